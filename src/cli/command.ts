// What every command shares: argument parsing with node:util, exit codes, output that never carries a secret.

import { parseArgs, type ParseArgsConfig } from "node:util";
import { isTesseraError, sessionExpiry, type Duration } from "../index.js";

/** The exit codes of every command, as `tessera --help` documents them. */
export const exitCodes = Object.freeze({
  /** Done. */
  ok: 0,
  /** Refused or invalid: a cookie that does not verify, a weak secret, a store that failed or cannot do it. */
  refused: 1,
  /** Usage: an unknown command or option, a missing argument, no secret to inspect with. */
  usage: 2,
  /** Interrupted (Ctrl-C) part way, after reporting what was done: the shell's convention, 128 + SIGINT. */
  interrupted: 130,
} as const);

/** A command ending with `exitCode` and a message for stderr. Never carries a secret, cookie value or store URL. */
export class CliError extends Error {
  readonly exitCode: number;

  constructor(exitCode: number, message: string) {
    super(message);
    this.exitCode = exitCode;
    this.name = "CliError";
  }
}

/** Where a command reads and writes: the process's streams, or a test's. */
export interface Io {
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stdin: NodeJS.ReadableStream;
  env: NodeJS.ProcessEnv;
  /** Ends the command early (Ctrl-C): long commands stop between steps and report what they did. */
  signal: AbortSignal;
}

/** One command of the `tessera` program. */
export interface Command {
  /** `keygen`, `inspect`, `sessions list`, ... */
  readonly name: string;
  /** One line for `tessera --help`. */
  readonly summary: string;
  /** The whole `--help` text. */
  readonly help: string;
  /** Runs with the arguments after the command's name; resolves to the exit code. */
  run(args: string[], io: Io): Promise<number>;
}

/** The options a command declares, as `parseArgs` takes them. */
export type ParseOptions = NonNullable<ParseArgsConfig["options"]>;

/** What `parse` gives: the option values (`help` among them) and the positional arguments. */
export type Parsed<O extends ParseOptions> = ReturnType<
  typeof parseArgs<{ args: string[]; options: O & { help: { type: "boolean"; short: "h" } }; allowPositionals: boolean; strict: true }>
>;

/** An option's spelling as it may be echoed: a plain `--name`, never a value pasted onto it. */
const optionNameRegExp = /^--?[a-z][a-z0-9-]{0,31}$/;

/**
 * `parseArgs` in strict mode with `--help` added, its errors turned into usage errors that echo no argument
 * (an argument can be a cookie value or a secret pasted in the wrong place).
 *
 * @example
 * const { values, positionals } = parse(args, { bytes: { type: "string" } }, { positionals: 0 });
 */
export function parse<O extends ParseOptions>(args: string[], options: O, { positionals = 0, command }: { positionals?: number; command: string }): Parsed<O> {
  let parsed: Parsed<O>;
  try {
    args = withDashedValues(args, options, positionals > 0);
    parsed = parseArgs({ args, options: { ...options, help: { type: "boolean", short: "h" } as const }, allowPositionals: positionals > 0, strict: true });
  } catch (error) {
    throw new CliError(exitCodes.usage, `${describeParseError(error)}; see \`tessera ${command} --help\``);
  }
  if (parsed.positionals.length > positionals) {
    throw new CliError(exitCodes.usage, `\`tessera ${command}\` takes ${positionals === 0 ? "no" : `at most ${positionals}`} argument${positionals === 1 ? "" : "s"} (got ${parsed.positionals.length}); see \`tessera ${command} --help\``);
  }
  return parsed;
}

/**
 * Session ids, tokens and cookie values are base64url, so one in 64 starts with "-", which `parseArgs` would read as
 * an option. A value after an option that takes one is joined to it (`--except=-abc`), and an argument such as
 * `-abc` that is no declared option is passed as a positional (after `--`).
 */
function withDashedValues(args: string[], options: ParseOptions, takesPositionals: boolean): string[] {
  const declared = (arg: string): boolean => {
    const name = arg.startsWith("--") ? arg.slice(2).split("=")[0]! : undefined;
    if (name !== undefined) return name === "help" || name in options;
    return arg === "-h" || Object.values(options).some((option) => option.short !== undefined && arg === `-${option.short}`);
  };
  const out: string[] = [];
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") {
      positional.push(...args.slice(i + 1));
      break;
    }
    const option = arg.startsWith("--") && !arg.includes("=") ? options[arg.slice(2)] : undefined;
    const next = args[i + 1];
    if (option?.type === "string" && next !== undefined && next.startsWith("-") && next !== "-" && !declared(next)) {
      out.push(`${arg}=${next}`);
      i++;
    } else if (takesPositionals && arg.length > 2 && arg.startsWith("-") && !arg.startsWith("--") && !declared(arg)) {
      positional.push(arg);
    } else {
      out.push(arg);
    }
  }
  return positional.length > 0 ? [...out, "--", ...positional] : out;
}

function describeParseError(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : "";
  // Node's messages quote the option's name ('--bytes'), or for positionals the argument itself.
  const named = /'(-[^' ]*)/.exec(message)?.[1]?.split("=")[0];
  const option = named !== undefined && optionNameRegExp.test(named) ? `\`${named}\`` : "an option";
  switch (code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION":
      return `unknown option ${option}`;
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE":
      return message.includes("argument missing") ? `${option} needs a value` : `${option} takes no value`;
    case "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL":
      return "this command takes no arguments";
    default:
      return "the arguments could not be read";
  }
}

/**
 * A whole number option within bounds; `undefined` when not given.
 *
 * @example
 * const batch = wholeNumber(values.batch, "--batch", { min: 1, max: 100_000 });
 */
export function wholeNumber(value: string | undefined, option: string, { min, max }: { min: number; max: number }): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,15}$/.test(value)) throw new CliError(exitCodes.usage, `\`${option}\` must be a whole number`);
  const number = Number(value);
  if (number < min || number > max) throw new CliError(exitCodes.usage, `\`${option}\` must be from ${min} to ${max} (got ${number})`);
  return number;
}

/**
 * Text with every occurrence of the given sensitive strings (secrets, a store URL and its password) replaced, for
 * anything a command prints that came from elsewhere (a driver's error message).
 *
 * @example
 * io.stderr.write(redact(error.message, [storeUrl]));
 */
export function redact(text: string, sensitive: readonly string[]): string {
  let out = text;
  for (const value of sensitive) if (value.length >= 4) out = out.split(value).join("[redacted]");
  return out;
}

/**
 * The message for an error a command did not expect to handle itself: tessera's own (whose messages never hold a
 * secret), a driver's (redacted, with its cause), or anything else.
 *
 * @example
 * catch (error) { io.stderr.write(`tessera: ${describeError(error, [url])}\n`); }
 */
export function describeError(error: unknown, sensitive: readonly string[]): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    const code = isTesseraError(current) ? current.code : (current as { code?: unknown }).code;
    // AggregateError (a connection refused on every address) keeps its reasons in `errors`, its message empty.
    const inner = (current as { errors?: unknown }).errors;
    const message = current.message || (Array.isArray(inner) && inner[0] instanceof Error ? inner[0].message : current.name);
    parts.push(typeof code === "string" && !message.includes(code) ? `${message} (${code})` : message);
    current = current.cause;
  }
  if (parts.length === 0) parts.push(String(error));
  return redact(parts.filter(Boolean).join(": "), sensitive);
}

/**
 * Writes `value` as JSON on its own line.
 *
 * @example
 * printJson(io, { secret });
 */
export function printJson(io: Io, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** The application's timeouts, as `inspect` and `sessions` take them. */
export interface Timeouts {
  idleTimeout: Duration | undefined;
  absoluteTimeout: Duration | undefined;
}

/** The help lines for `--idle-timeout` and `--absolute-timeout`. */
export const timeoutHelp = `  --idle-timeout D     the application's idleTimeout, "30m" or seconds (default $SESSION_IDLE_TIMEOUT, else 24h)
  --absolute-timeout D the application's absoluteTimeout (default $SESSION_ABSOLUTE_TIMEOUT, else 30d)`;

/** The options `timeoutsOf` reads. */
export const timeoutOptions = {
  "idle-timeout": { type: "string" },
  "absolute-timeout": { type: "string" },
} as const;

/**
 * `--idle-timeout` and `--absolute-timeout`, else SESSION_IDLE_TIMEOUT and SESSION_ABSOLUTE_TIMEOUT as the demo reads
 * them ("30m", "12h", or a number of seconds), else tessera's defaults; checked as `createSessions` checks them.
 *
 * @example
 * const timeouts = timeoutsOf(values, io.env);
 */
export function timeoutsOf(values: { "idle-timeout"?: string | undefined; "absolute-timeout"?: string | undefined }, env: NodeJS.ProcessEnv): Timeouts {
  const timeouts = {
    idleTimeout: durationOf(values["idle-timeout"] ?? env.SESSION_IDLE_TIMEOUT),
    absoluteTimeout: durationOf(values["absolute-timeout"] ?? env.SESSION_ABSOLUTE_TIMEOUT),
  };
  try {
    sessionExpiry({ createdAt: 0, lastSeenAt: 0 }, timeouts);
  } catch (error) {
    const message = error instanceof Error ? error.message : "";
    const which = /`(idle|absolute)Timeout`/.exec(message)?.[1] ?? "idle";
    throw new CliError(exitCodes.usage, `\`--${which}-timeout\` must be a positive number of seconds or a duration such as "30m"`);
  }
  return timeouts;
}

function durationOf(value: string | undefined): Duration | undefined {
  if (value === undefined || value === "") return undefined;
  return (/^\d+(\.\d+)?$/.test(value) ? Number(value) : value) as Duration;
}
