// express-session's signed session-id cookie (cookie-signature): sign and verify, strictly, with a list of secrets.

import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from "node:crypto";
import { TesseraError } from "../core/errors.js";

/** express-session's marker for a signed value: `s:<id>.<signature>`. */
const signedPrefix = "s:";

/** express-session's `secret` option as keys, first to last; checked once. */
export type ExpressSecrets = readonly KeyObject[];

/**
 * express-session's `secret` option (a string, or a list whose first entry signs and every entry verifies) as keys.
 * Legacy secrets are taken as they are, however short: they only verify cookies the old app already issued.
 *
 * @example
 * const keys = expressSecrets(["keyboard cat"]);
 */
export function expressSecrets(secrets: string | readonly string[], option = "secrets"): ExpressSecrets {
  const list = typeof secrets === "string" ? [secrets] : secrets;
  if (!Array.isArray(list) || list.length === 0) {
    throw new TesseraError("ERR_INVALID_OPTION", `\`${option}\` must list the express-session secret (or secrets) the old app used`);
  }
  return list.map((secret: unknown, index) => {
    if (typeof secret !== "string" || secret.length === 0) {
      throw new TesseraError("ERR_INVALID_OPTION", `\`${option}[${index}]\` must be a non-empty string`);
    }
    return createSecretKey(Buffer.from(secret, "utf8"));
  });
}

/** cookie-signature's MAC: standard base64 of HMAC-SHA256(secret, id), trailing "=" removed (always 43 characters). */
function signatureOf(key: KeyObject, id: string): string {
  return createHmac("sha256", key).update(id, "utf8").digest("base64").replace(/=+$/, "");
}

/**
 * The cookie value express-session sets for `id`, before URL-encoding: `s:<id>.<signature>`, signed with the first key.
 *
 * @example
 * signExpressSessionId("Hv4n1hIlsRa7mVxQh0Qfk-TJ7cVH2q3Z", expressSecrets("keyboard cat"));
 */
export function signExpressSessionId(id: string, keys: ExpressSecrets): string {
  return `${signedPrefix}${id}.${signatureOf(keys[0]!, id)}`;
}

/** Why a value did not verify. */
export type ExpressCookieFailure = "malformed" | "bad_signature";

/**
 * The session id inside an express-session cookie value (URL-decoded, as `cookie.parse` gives it), or why there is
 * none. Like express-session: the value must start with `s:`, is cut at its last `.`, and the signature must be the
 * exact text cookie-signature writes under one of the keys, tried in order (compared in constant time). So padding,
 * `-`/`_` for `+`/`/`, or a truncated signature are all refused.
 *
 * @example
 * const verdict = verifyExpressSessionId("s:abc.<sig>", keys); // { id: "abc" } or { failure: "bad_signature" }
 */
export function verifyExpressSessionId(value: string, keys: ExpressSecrets): { id: string } | { failure: ExpressCookieFailure } {
  if (!value.startsWith(signedPrefix)) return { failure: "malformed" };
  const dot = value.lastIndexOf(".");
  // express-session treats an empty id as no cookie at all.
  if (dot <= signedPrefix.length) return { failure: "malformed" };
  const id = value.slice(signedPrefix.length, dot);
  const given = Buffer.from(value.slice(dot + 1), "utf8");
  for (const key of keys) {
    const expected = Buffer.from(signatureOf(key, id), "latin1");
    // The length is public (always 43); the bytes are compared in constant time.
    if (expected.length === given.length && timingSafeEqual(expected, given)) return { id };
  }
  return { failure: "bad_signature" };
}

/**
 * A cookie value as the `cookie` package (0.7, express-session's) reads it: URL-decoded only when it holds a `%`,
 * and kept as it is when that decoding fails.
 *
 * @example
 * decodeCookieValue("s%3Aabc.def"); // "s:abc.def"
 */
export function decodeCookieValue(value: string): string {
  if (!value.includes("%")) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
