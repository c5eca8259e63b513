// `tessera keygen`: a new random secret for SECRET_KEY, checked as createSessions checks its secrets.

import { randomBytes } from "node:crypto";
import { createKeyRing } from "../index.js";
import { CliError, exitCodes, parse, printJson, wholeNumber, type Command } from "./command.js";

/** The fewest random bytes keygen makes: what `createSessions` asks of a secret (256 bits). */
const minimumBytes = 32;

const help = `Usage: tessera keygen [--bytes N] [--env] [--json]

Prints a new secret: N random bytes (default ${minimumBytes}) from the operating system's CSPRNG, in base64url.
Use it as SECRET_KEY; when you rotate, move the old one to SECRET_KEY_FALLBACKS.

Options:
  --bytes N   random bytes, ${minimumBytes} or more (fewer is refused: exit 1)
  --env       print SECRET_KEY=<secret>, for a .env file
  --json      print {"secret": ..., "bytes": N}
  -h, --help  this text

Exit codes: 0 printed, 1 refused (--bytes below ${minimumBytes}), 2 usage.`;

/** `tessera keygen`. */
export const keygen: Command = {
  name: "keygen",
  summary: "print a new random secret for SECRET_KEY",
  help,
  async run(args, io) {
    const { values } = parse(args, { bytes: { type: "string" }, env: { type: "boolean" }, json: { type: "boolean" } }, { command: "keygen" });
    if (values.help) {
      io.stdout.write(`${help}\n`);
      return exitCodes.ok;
    }
    const bytes = wholeNumber(values.bytes, "--bytes", { min: 0, max: 4096 }) ?? minimumBytes;
    if (bytes < minimumBytes) {
      throw new CliError(exitCodes.refused, `refused: --bytes must be ${minimumBytes} or more (got ${bytes}); tessera refuses shorter secrets`);
    }
    const secret = randomBytes(bytes).toString("base64url");
    // The same check createSessions runs at start-up, so what keygen prints is always accepted.
    createKeyRing([secret]);
    if (values.json) printJson(io, values.env ? { secret, bytes, env: `SECRET_KEY=${secret}` } : { secret, bytes });
    else io.stdout.write(values.env ? `SECRET_KEY=${secret}\n` : `${secret}\n`);
    return exitCodes.ok;
  },
};
