// The keys `inspect` opens cookies with: from the environment as the demo reads them, or from a file.

import { readFileSync } from "node:fs";
import { createKeyRing, isTesseraError, type KeyRing } from "../index.js";
import { CliError, exitCodes } from "./command.js";

/** The keys, and where each came from (a name to print: never the key). */
export interface Keys {
  /**
   * tessera's key ring, made on first use, as `createSessions` makes it: a key it refuses (shorter than 32 bytes)
   * throws a CliError then. Formats of other libraries (Flask, express-session) use `secrets` raw, as their apps do.
   */
  readonly ring: KeyRing;
  /** The secrets as given, first the current one, for formats that use them raw (and for redaction). */
  secrets: string[];
  /** Where `secrets[i]` came from: `SECRET_KEY`, `SECRET_KEY_FALLBACKS[0]`, `line 2 of keys.txt`. */
  sources: string[];
}

/** The environment variable `--secret-env` names by default, as the demo (demo/config.ts) reads it. */
export const defaultSecretEnv = "SECRET_KEY";

/**
 * Reads the keys. From the environment: `NAME` (default `SECRET_KEY`), then `NAME_FALLBACKS`, comma-separated, as
 * demo/config.ts reads SECRET_KEY and SECRET_KEY_FALLBACKS. From a file: one secret per line, the current one first.
 * tessera's formats check the keys as `createSessions` does, when they first use them.
 *
 * @example
 * const keys = readKeys({ secretEnv: undefined, secretFile: "keys.txt" }, process.env);
 */
export function readKeys(options: { secretEnv: string | undefined; secretFile: string | undefined }, env: NodeJS.ProcessEnv): Keys {
  let secrets: string[];
  let sources: string[];
  if (options.secretFile !== undefined) {
    if (options.secretEnv !== undefined) throw new CliError(exitCodes.usage, "give `--secret-env` or `--secret-file`, not both");
    let text: string;
    try {
      text = readFileSync(options.secretFile, "utf8");
    } catch (error) {
      throw new CliError(exitCodes.usage, `cannot read --secret-file ${options.secretFile} (${(error as { code?: string }).code ?? "error"})`);
    }
    const lines = text.split(/\r?\n/).map((line, index) => ({ secret: line.trim(), source: `line ${index + 1} of ${options.secretFile}` }));
    const kept = lines.filter((line) => line.secret !== "");
    secrets = kept.map((line) => line.secret);
    sources = kept.map((line) => line.source);
    if (secrets.length === 0) throw new CliError(exitCodes.usage, `--secret-file ${options.secretFile} holds no secret`);
  } else {
    const name = options.secretEnv ?? defaultSecretEnv;
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new CliError(exitCodes.usage, "`--secret-env` must name an environment variable");
    const current = env[name];
    if (!current) {
      throw new CliError(exitCodes.usage, `${name} is not set: export the application's secret as ${name}, or pass --secret-env NAME or --secret-file PATH`);
    }
    const fallbacks = (env[`${name}_FALLBACKS`] ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
    secrets = [current, ...fallbacks];
    sources = [name, ...fallbacks.map((_, index) => `${name}_FALLBACKS[${index}]`)];
  }
  let ring: KeyRing | undefined;
  return {
    secrets,
    sources,
    get ring() {
      ring ??= tesseraRing(secrets, sources);
      return ring;
    },
  };
}

/** The key ring as `createSessions` builds it; a refusal names the key by where it came from, never by its value. */
function tesseraRing(secrets: string[], sources: string[]): KeyRing {
  try {
    return createKeyRing(secrets);
  } catch (error) {
    // The key ring names a key by its index (`secrets[1]`), never by its value: say where that one came from.
    if (isTesseraError(error)) {
      const message = error.message.replace(/`secrets\[(\d+)\]`/g, (_, index: string) => sources[Number(index)] ?? `key ${index}`);
      throw new CliError(exitCodes.refused, `the keys were refused: ${message}`);
    }
    throw error;
  }
}
