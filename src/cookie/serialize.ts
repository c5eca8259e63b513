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

/**
 * A `Set-Cookie` header value. `maxAgeSeconds` undefined gives a cookie that ends with the browser session;
 * 0 deletes it. Throws `ERR_COOKIE_TOO_LARGE` rather than emit a cookie a browser would drop.
 *
 * @example
 * serializeSetCookie("sid", token, attributes, 3600);
 */
export function serializeSetCookie(name: string, value: string, attributes: CookieAttributes, maxAgeSeconds?: number): string {
  const size = name.length + value.length;
  if (size > maxCookieBytes) {
    throw new TesseraError(
      "ERR_COOKIE_TOO_LARGE",
      `session cookie "${name}" would be ${size} bytes (name + value), over the ${maxCookieBytes}-byte limit browsers keep; store less in the session or use a store (for example sqliteStore) so the cookie holds only an id`,
    );
  }
  return stringifySetCookie({
    name,
    value,
    path: attributes.path,
    domain: attributes.domain,
    httpOnly: attributes.httpOnly,
    sameSite: attributes.sameSite,
    secure: attributes.secure,
    partitioned: attributes.partitioned,
    maxAge: maxAgeSeconds,
    expires: maxAgeSeconds === undefined ? undefined : new Date(maxAgeSeconds === 0 ? 0 : Date.now() + maxAgeSeconds * 1000),
  });
}
