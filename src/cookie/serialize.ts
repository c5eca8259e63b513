// Set-Cookie serialising (strict: every attribute checked against RFC 6265's grammar) and the browser's size limit.

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
/**
 * RFC 6265 §4.1.1 path-value: any CHAR except CTLs or ";", and tessera requires it to start with "/". "<" is
 * refused too: no real path needs it, and it is where markup injected through a reflected path would start.
 */
export const pathRegExp = /^\/[\u0020-\u003A\u003D-\u007E]*$/;
/** RFC 6265 §4.1.1 domain-value: a subdomain per RFC 1034 §3.5, optionally led by a dot. */
export const domainRegExp = /^\.?[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i;
/** RFC 6265bis §5.5 step 13: browsers cap Max-Age (and Expires) at 400 days; a longer one is clamped here, as they would. */
export const maxCookieAgeSeconds = 400 * 24 * 60 * 60;

/**
 * Writes one cookie's `Set-Cookie` values: the attributes are checked and joined once, the value per call. `now`
 * (epoch ms, the manager's clock) dates `Expires`.
 */
export type SetCookieWriter = (value: string, maxAgeSeconds?: number, now?: number) => string;

/**
 * A writer of `Set-Cookie` values for one cookie name and set of attributes. The attributes are checked against
 * RFC 6265's grammar and joined once, here; per call only the value, Max-Age and Expires change. Max-Age over 400
 * days is written as 400 days (`maxCookieAgeSeconds`), which is what browsers keep.
 * Values must be cookie-octets (tessera's are base64url). `maxAgeSeconds` undefined gives a cookie that ends
 * with the browser session; 0 deletes it. Throws `ERR_COOKIE_TOO_LARGE` rather than emit a cookie a browser
 * would drop.
 *
 * @example
 * const write = createSetCookieWriter("sid", attributes);
 * headers.append("set-cookie", write(token, 3600));
 */
export function createSetCookieWriter(name: string, attributes: CookieAttributes): SetCookieWriter {
  if (!cookieNameRegExp.test(name)) invalid("the cookie name must be a cookie-name token (RFC 6265 §4.1.1)");
  // RFC 6265bis §4.1.3: browsers drop a __Secure- cookie without Secure, a __Host- one unless also Path=/ and no
  // Domain; the prefixes are matched case-insensitively.
  if (reservedPrefixRegExp.test(name) && !attributes.secure) invalid(`cookie "${name}" needs Secure for its prefix`);
  if (hostPrefixRegExp.test(name) && (attributes.path !== "/" || attributes.domain !== undefined)) {
    invalid(`cookie "${name}" needs Path=/ and no Domain for its prefix`);
  }
  // RFC 6265 §5.2: a browser trims whitespace around an attribute value, so the cookie would get another path.
  if (!pathRegExp.test(attributes.path) || attributes.path.trim() !== attributes.path) {
    invalid(`cookie "${name}": the path must start with "/" and hold only printable ASCII other than ";" and "<", with no whitespace at either end`);
  }
  if (attributes.domain !== undefined && !domainRegExp.test(attributes.domain)) invalid(`cookie "${name}": the domain must be a host name`);
  const sameSite = sameSiteNames[attributes.sameSite];
  if (sameSite === undefined || !Object.hasOwn(sameSiteNames, attributes.sameSite)) invalid(`cookie "${name}": sameSite must be "lax", "strict" or "none"`);
  const domain = attributes.domain === undefined ? "" : `; Domain=${attributes.domain}`;
  const path = `; Path=${attributes.path}`;
  const flags =
    (attributes.httpOnly ? "; HttpOnly" : "") +
    (attributes.secure ? "; Secure" : "") +
    (attributes.partitioned ? "; Partitioned" : "") +
    `; SameSite=${sameSite}`;
  // Expires for "now + maxAge", formatted once per second rather than per response.
  let expiresAt = -1;
  let expires = "";
  return (value, maxAgeSeconds, now = Date.now()) => {
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
    if (maxAgeSeconds > maxCookieAgeSeconds) maxAgeSeconds = maxCookieAgeSeconds;
    const at = maxAgeSeconds === 0 ? 0 : Math.floor(now / 1000) + maxAgeSeconds;
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
export function serializeSetCookie(name: string, value: string, attributes: CookieAttributes, maxAgeSeconds?: number, now?: number): string {
  return createSetCookieWriter(name, attributes)(value, maxAgeSeconds, now);
}

/** How each SameSite value is written. */
const sameSiteNames: Readonly<Record<string, string>> = Object.freeze({ lax: "Lax", strict: "Strict", none: "None" });

function invalid(message: string): never {
  throw new TesseraError("ERR_INVALID_OPTION", message);
}
