// Flask-Session's signed session id (SESSION_USE_SIGNER): itsdangerous's Signer, salt "flask-session", HMAC-SHA1, no timestamp.

import { createHmac, timingSafeEqual } from "node:crypto";
import { TesseraError } from "../core/errors.js";

/** itsdangerous `Signer(secret_key, salt="flask-session", key_derivation="hmac")`: the derived keys, first to last. */
export type FlaskSessionKeys = readonly Buffer[];

/** The salt Flask-Session (0.3 to 0.8) gives its Signer. */
const salt = "flask-session";

/**
 * Flask's `SECRET_KEY` (or several, tried in order) as the keys Flask-Session's signer derives from it:
 * `HMAC-SHA1(key = secret, msg = "flask-session")` (itsdangerous `derive_key` with `key_derivation="hmac"`).
 *
 * @example
 * const keys = flaskSessionKeys(process.env.FLASK_SECRET_KEY!);
 */
export function flaskSessionKeys(secretKey: string | readonly string[], option = "secretKey"): FlaskSessionKeys {
  const list = typeof secretKey === "string" ? [secretKey] : secretKey;
  if (!Array.isArray(list) || list.length === 0) throw new TesseraError("ERR_INVALID_OPTION", `\`${option}\` must be the Flask app's SECRET_KEY`);
  return list.map((secret: unknown, index) => {
    if (typeof secret !== "string" || secret.length === 0) {
      throw new TesseraError("ERR_INVALID_OPTION", `\`${option}${typeof secretKey === "string" ? "" : `[${index}]`}\` must be a non-empty string`);
    }
    return createHmac("sha1", Buffer.from(secret, "utf8")).update(salt).digest();
  });
}

/** base64url without padding of HMAC-SHA1(derived key, sid): always 27 characters. */
function signatureOf(key: Buffer, sid: string): string {
  return createHmac("sha1", key).update(sid, "utf8").digest("base64url");
}

/**
 * The cookie value Flask-Session sets for `sid` with `SESSION_USE_SIGNER = True`: `<sid>.<signature>`.
 *
 * @example
 * signFlaskSessionId("1b4e28ba-2fa1-41d2-883f-0016d3cca427", flaskSessionKeys(secret));
 */
export function signFlaskSessionId(sid: string, keys: FlaskSessionKeys): string {
  return `${sid}.${signatureOf(keys[0]!, sid)}`;
}

/**
 * The session id in a signed Flask-Session cookie value, or `undefined`. Cut at the last `.` as itsdangerous does;
 * the signature must be the exact base64url text (itsdangerous's lenient decoding, which also takes padding, `+`/`/`
 * and stray characters, is not copied), compared in constant time under each key in order.
 *
 * @example
 * verifyFlaskSessionId("<sid>.<signature>", keys); // "<sid>"
 */
export function verifyFlaskSessionId(value: string, keys: FlaskSessionKeys): string | undefined {
  const dot = value.lastIndexOf(".");
  if (dot <= 0) return undefined;
  const sid = value.slice(0, dot);
  const given = Buffer.from(value.slice(dot + 1), "utf8");
  for (const key of keys) {
    const expected = Buffer.from(signatureOf(key, sid), "latin1");
    if (expected.length === given.length && timingSafeEqual(expected, given)) return sid;
  }
  return undefined;
}
