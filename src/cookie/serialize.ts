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

/** RFC 6265 §4.1.1 cookie-name: an RFC 7230 token. */
const cookieNameRegExp = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** RFC 6265 §4.1.1 cookie-value, unquoted: `*cookie-octet`, US-ASCII but CTLs, whitespace, DQUOTE, ",", ";" and "\". */
const cookieValueRegExp = /^[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]*$/;
/** RFC 6265bis §4.1.3: "__Secure-" and "__Host-", matched case-insensitively. */
const reservedPrefixRegExp = /^__(?:secure|host)-/i;
/** RFC 6265bis §4.1.3.2: "__Host-", matched case-insensitively. */
const hostPrefixRegExp = /^__host-/i;

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
  // The `cookie` package's name grammar is wider than a token (it lets "," and '"' through): ours is checked first.
  if (!cookieNameRegExp.test(name)) invalid("the cookie name must be a cookie-name token (RFC 6265 §4.1.1)");
  // RFC 6265bis §4.1.3: browsers drop a __Secure- cookie without Secure, a __Host- one unless also Path=/ and no
  // Domain; the prefixes are matched case-insensitively.
  if (reservedPrefixRegExp.test(name) && !attributes.secure) invalid(`cookie "${name}" needs Secure for its prefix`);
  if (hostPrefixRegExp.test(name) && (attributes.path !== "/" || attributes.domain !== undefined)) {
    invalid(`cookie "${name}" needs Path=/ and no Domain for its prefix`);
  }
  // RFC 6265 §5.2: a browser trims whitespace around an attribute value, so the cookie would get another path.
  if (attributes.path.trim() !== attributes.path) invalid(`cookie "${name}": the path must not start or end with whitespace`);
  // The same attributes, in the same order, as the `cookie` package writes them; it also checks them.
  let checked: string;
  try {
    checked = stringifySetCookie({
      name,
      value: "",
      path: attributes.path,
      domain: attributes.domain,
      httpOnly: attributes.httpOnly,
      sameSite: attributes.sameSite,
      secure: attributes.secure,
      partitioned: attributes.partitioned,
    });
  } catch {
    // The package's message echoes the refused text; ours names the attributes only.
    invalid(`cookie "${name}": the path, domain or sameSite is outside the Set-Cookie grammar`);
  }
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
    // A value is written as is: anything but cookie-octets (";", ",", CR/LF, spaces, quotes) would inject.
    if (!cookieValueRegExp.test(value)) {
      invalid(`session cookie "${name}": the value is not cookie-octets (RFC 6265 §4.1.1); a custom codec must return base64url`);
    }
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

function invalid(message: string): never {
  throw new TesseraError("ERR_INVALID_OPTION", message);
}
