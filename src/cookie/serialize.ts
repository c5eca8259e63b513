// Set-Cookie serialising (strict, through the `cookie` package's grammar checks) and the browser's size limit.

import { stringifySetCookie } from "cookie";
import { TesseraError } from "../core/errors.js";

/** The session cookie's attributes, fully resolved. */
export interface CookieAttributes {
  path: string;
  domain: string | undefined;
  httpOnly: boolean;
  sameSite: "lax" | "strict" | "none";
  secure: boolean;
  partitioned: boolean;
}

/** RFC 6265 §6.1 and every current browser: at least 4096 bytes of name plus value per cookie, and no more. */
export const maxCookieBytes = 4096;

/** Writes one cookie's `Set-Cookie` values: the attributes are checked and joined once, the value per call. */
export type SetCookieWriter = (value: string, maxAgeSeconds?: number) => string;

/**
 * A writer of `Set-Cookie` values for one cookie name and set of attributes. The attributes go through the
 * `cookie` package's strict grammar checks once, here; per call only the value, Max-Age and Expires change.
 * Values must be cookie-octets (tessera's are base64url). `maxAgeSeconds` undefined gives a cookie that ends
 * with the browser session; 0 deletes it. Throws `ERR_COOKIE_TOO_LARGE` rather than emit a cookie a browser
 * would drop.
 *
 * @example
 * const write = createSetCookieWriter("sid", attributes);
 * headers.append("set-cookie", write(token, 3600));
 */
export function createSetCookieWriter(name: string, attributes: CookieAttributes): SetCookieWriter {
  // The same attributes, in the same order, as the `cookie` package writes them; it also checks them.
  const checked = stringifySetCookie({
    name,
    value: "",
    path: attributes.path,
    domain: attributes.domain,
    httpOnly: attributes.httpOnly,
    sameSite: attributes.sameSite,
    secure: attributes.secure,
    partitioned: attributes.partitioned,
  });
  const domain = attributes.domain === undefined ? "" : `; Domain=${attributes.domain}`;
  const path = `; Path=${attributes.path}`;
  const flags =
    (attributes.httpOnly ? "; HttpOnly" : "") +
    (attributes.secure ? "; Secure" : "") +
    (attributes.partitioned ? "; Partitioned" : "") +
    `; SameSite=${attributes.sameSite === "lax" ? "Lax" : attributes.sameSite === "strict" ? "Strict" : "None"}`;
  if (checked !== `${name}=${domain}${path}${flags}`) {
    throw new TesseraError("ERR_INVALID_OPTION", `cookie "${name}": attributes could not be written`);
  }
  // Expires for "now + maxAge", formatted once per second rather than per response.
  let expiresAt = -1;
  let expires = "";
  return (value, maxAgeSeconds) => {
    const size = name.length + value.length;
    if (size > maxCookieBytes) {
      throw new TesseraError(
        "ERR_COOKIE_TOO_LARGE",
        `session cookie "${name}" would be ${size} bytes (name + value), over the ${maxCookieBytes}-byte limit browsers keep; store less in the session or use a store (for example sqliteStore) so the cookie holds only an id`,
      );
    }
    if (maxAgeSeconds === undefined) return `${name}=${value}${domain}${path}${flags}`;
    const at = maxAgeSeconds === 0 ? 0 : Math.floor(Date.now() / 1000) + maxAgeSeconds;
    if (at !== expiresAt) {
      expiresAt = at;
      expires = new Date(at * 1000).toUTCString();
    }
    return `${name}=${value}; Max-Age=${maxAgeSeconds}${domain}${path}; Expires=${expires}${flags}`;
  };
}

/**
 * One `Set-Cookie` header value (see `createSetCookieWriter`, which the manager keeps per cookie).
 *
 * @example
 * serializeSetCookie("sid", token, attributes, 3600);
 */
export function serializeSetCookie(name: string, value: string, attributes: CookieAttributes, maxAgeSeconds?: number): string {
  return createSetCookieWriter(name, attributes)(value, maxAgeSeconds);
}
