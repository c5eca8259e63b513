// Flask's SECRET_KEY and SECRET_KEY_FALLBACKS as bytes: what Flask accepts is accepted, a weak key warned about once.

import { TesseraError } from "../../core/errors.js";
import { minimumDistinctBytes, minimumSecretBytes, type Secret } from "../../crypto/keyring.js";

/** The `code` of the warning a short or repetitive Flask key raises (`process.on("warning")` sees it). */
export const weakKeyWarningCode = "TESSERA_WEAK_FLASK_KEY";

/** One warning per process: a key does not get stronger by being read again. */
let warned = false;

/**
 * The secret keys as bytes, the current key first, then the fallbacks in the order given. Like Flask, any non-empty
 * key is taken (a `str` is UTF-8 encoded, as itsdangerous's `want_bytes` does); tessera's own secrets must be 32
 * bytes, and a Flask key that is shorter, or of fewer than 8 distinct bytes, raises one process warning that names
 * the option and its length, never the key.
 *
 * @example
 * const [current, ...older] = flaskSecretKeys(process.env.FLASK_SECRET_KEY!, []);
 */
export function flaskSecretKeys(secretKey: Secret, fallbacks: readonly Secret[]): Buffer[] {
  if (!Array.isArray(fallbacks)) throw new TesseraError("ERR_INVALID_OPTION", "`fallbacks` must be an array of older secret keys");
  const named: [string, unknown][] = [["secretKey", secretKey], ...fallbacks.map((key, i): [string, unknown] => [`fallbacks[${i}]`, key])];
  return named.map(([option, key]) => {
    const bytes = typeof key === "string" ? Buffer.from(key, "utf8") : key instanceof Uint8Array ? Buffer.from(key) : undefined;
    if (bytes === undefined || bytes.length === 0) {
      // Flask has no session at all without a SECRET_KEY, and so neither has this codec.
      throw new TesseraError("ERR_SECRET_MISSING", `\`${option}\` must be the Flask app's secret key, a non-empty string or Uint8Array`);
    }
    const short = bytes.length < minimumSecretBytes;
    if (!warned && (short || new Set(bytes).size < minimumDistinctBytes)) {
      warned = true;
      const weakness = short ? `is ${bytes.length} bytes` : `repeats fewer than ${minimumDistinctBytes} distinct bytes`;
      process.emitWarning(
        `The Flask codec's \`${option}\` ${weakness}. Flask accepts it, and so does tessera, ` +
          `but one session cookie is enough to guess a weak key offline and then forge any session. Rotate to a random key of 32 bytes or more ` +
          `(python -c "import secrets; print(secrets.token_hex(32))"), keeping the old one in \`fallbacks\` for a while.`,
        { code: weakKeyWarningCode },
      );
    }
    return bytes;
  });
}
