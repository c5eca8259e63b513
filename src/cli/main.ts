#!/usr/bin/env node
// The `tessera` command line: dispatches to keygen, inspect, sessions and gc, and turns failures into exit codes.

import { CliError, describeError, exitCodes, type Command, type Io } from "./command.js";
import { gc } from "./gc.js";
import { inspect } from "./inspect.js";
import { keygen } from "./keygen.js";
import { sessions } from "./sessions.js";

const commands: readonly Command[] = [keygen, inspect, sessions, gc];

const help = `Usage: tessera <command> [options]

Commands:
${commands.map((command) => `  ${command.name.padEnd(10)}${command.summary}`).join("\n")}

Run \`tessera <command> --help\` for a command's options. Add --json to any command that prints data.

Exit codes:
  0    done
  1    refused or invalid: a cookie that does not verify (the reason is printed), a weak secret,
       a store that failed or cannot do what was asked
  2    usage: an unknown command or option, a missing argument or secret
  130  interrupted (gc), after reporting how far it got

Nothing tessera prints contains a secret, a store URL's password, or a store token.`;

/** Runs one command line and resolves to its exit code; errors become a message on stderr. */
async function main(args: string[], io: Io): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    (name === undefined ? io.stderr : io.stdout).write(`${help}\n`);
    return name === undefined ? exitCodes.usage : exitCodes.ok;
  }
  const command = commands.find((candidate) => candidate.name === name);
  if (command === undefined) {
    io.stderr.write(`tessera: unknown command; the commands are ${commands.map((c) => c.name).join(", ")} (see \`tessera --help\`)\n`);
    return exitCodes.usage;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof CliError) {
      io.stderr.write(`tessera ${command.name}: ${error.message}\n`);
      return error.exitCode;
    }
    // Not one of the command's own failures: say what it was, never what was passed in.
    io.stderr.write(`tessera ${command.name}: ${describeError(error, [])}\n`);
    return exitCodes.refused;
  }
}

const controller = new AbortController();
// The first Ctrl-C asks a long command to stop at its next step and report; a second one ends the process at once.
process.once("SIGINT", () => {
  controller.abort();
  process.once("SIGINT", () => process.exit(exitCodes.interrupted));
});
process.exitCode = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
  signal: controller.signal,
});
