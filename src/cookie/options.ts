// Session cookie options: defaults, prefixes and the rules browsers enforce, checked once at start-up.

import { TesseraError } from "../core/errors.js";
import { domainRegExp, pathRegExp, type CookieAttributes } from "./serialize.js";

/** Options for the session cookie. */
export interface CookieOptions {
  /** @default "sid" */
  name?: string;
  /** @default "/" */
  path?: string;
  /** @default undefined (host-only) */
  domain?: string;
  /** @default "lax" */
  sameSite?: "lax" | "strict" | "none";
  /** `"auto"` sets Secure when the request came over HTTPS. @default "auto" */
  secure?: boolean | "auto";
  /** @default true */
  httpOnly?: boolean;
  /** CHIPS: a cookie partitioned by top-level site. Requires Secure. @default false */
  partitioned?: boolean;
  /**
   * The name's prefix (RFC 6265bis §4.1.3), which browsers enforce: a `__Host-` cookie can only be set by this host
   * over HTTPS, with Path=/ and no Domain, so a sibling subdomain or a plain-http page cannot plant one (cookie
   * tossing). `"auto"`: `__Host-<name>` whenever the cookie is Secure (`__Secure-<name>` when a Domain or a Path
   * other than "/" rules `__Host-` out), the bare name when it is not (development over http). `"host"` and
   * `"secure"` always use that prefix and force Secure; `"none"` never prefixes. @default "auto"
   */
  prefix?: "auto" | "host" | "secure" | "none";
  /** A cookie that outlives the browser session, expiring with the session on the server. @default true */
  persistent?: boolean;
  /**
   * Cookie mode: a session over the 4096 bytes one cookie holds is split over `<name>.0`, `<name>.1`, ... (and joined
   * when read) instead of refused. A session that fits stays one cookie under its name. Every request then carries
   * every chunk. @default false
   */
  chunks?: boolean;
  /**
   * With `chunks`: the most the session's cookies may take together (name and value of each, as the 4096-byte
   * limit counts them); over it, commit throws `ERR_COOKIE_TOO_LARGE`, and in development a warning tells at 80 %.
   * From 4096 to 65536. @default 12288 (three full cookies: what Node's 16 KiB request header limit leaves room for)
   */
  maxBytes?: number;
}

/** Resolved cookie settings; `attributes.secure` is replaced per request when `secure` is `"auto"`. */
export interface CookieSettings {
  /** The name of the cookie when it is Secure. */
  name: string;
  /** The name of the cookie when it is not Secure (plain http with `secure: "auto"` or `false`). */
  plainName: string;
  secure: boolean | "auto";
  persistent: boolean;
  /** `chunks`: split a value too long for one cookie. */
  chunks: boolean;
  /** `maxBytes`: the budget of the session's cookies together, with `chunks`. */
  maxBytes: number;
  attributes: CookieAttributes;
}

/** Defaults for the session cookie. */
export const defaults = Object.freeze({
  name: "sid",
  path: "/",
  sameSite: "lax",
  secure: "auto",
  httpOnly: true,
  partitioned: false,
  persistent: true,
  prefix: "auto",
  chunks: false,
  maxBytes: 12288,
} as const);

/** RFC 6265 §4.1.1 cookie-name: an RFC 7230 token. */
const cookieNameRegExp = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** RFC 6265bis §4.1.3: names led by "__Secure-" or "__Host-" (matched case-insensitively) carry rules browsers enforce. */
const reservedPrefixRegExp = /^__(?:secure|host)-/i;

/**
 * Applies defaults and refuses, naming the option, any combination a browser would reject.
 *
 * @example
 * resolveCookieOptions({}).name; // "__Host-sid" (the bare "sid" over plain http: `plainName`)
 */
export function resolveCookieOptions(options: CookieOptions = {}): CookieSettings {
  const base = options.name ?? defaults.name;
  if (!cookieNameRegExp.test(base)) fail("cookie.name", "must be a cookie-name token (letters, digits and !#$%&'*+-.^_`|~)");
  // Spelt into the name, a prefix would skip the checks below and the browser would drop the cookie instead.
  if (reservedPrefixRegExp.test(base)) fail("cookie.name", 'must not start with "__Host-" or "__Secure-"; set `cookie.prefix` instead');
  const path = options.path ?? defaults.path;
  if (!pathRegExp.test(path)) fail("cookie.path", 'must start with "/" and hold only printable ASCII other than ";" and "<"');
  const domain = options.domain;
  if (domain !== undefined && !domainRegExp.test(domain)) fail("cookie.domain", "must be a host name such as example.com");
  const sameSite = options.sameSite ?? defaults.sameSite;
  if (!["lax", "strict", "none"].includes(sameSite)) fail("cookie.sameSite", 'must be "lax", "strict" or "none"');
  let secure = options.secure ?? defaults.secure;
  const partitioned = options.partitioned ?? defaults.partitioned;
  const prefix = options.prefix ?? defaults.prefix;
  let name = base;
  let plainName = base;
  if (prefix === "host" || prefix === "secure") {
    // RFC 6265bis §4.1.3.1-2: __Secure- and __Host- cookies are refused unless Secure.
    if (secure === false) fail("cookie.secure", `cannot be false with prefix "${prefix}": the prefix requires Secure`);
    secure = true;
    name = plainName = `${prefix === "host" ? "__Host-" : "__Secure-"}${base}`;
  } else if (prefix === "auto") {
    // Whenever the cookie goes out Secure, it goes out under the strongest prefix its attributes allow.
    name = secure === false ? base : `${path === "/" && domain === undefined ? "__Host-" : "__Secure-"}${base}`;
  } else if (prefix !== "none") {
    fail("cookie.prefix", 'must be "auto", "host", "secure" or "none"');
  }
  if (prefix === "host") {
    // RFC 6265bis §4.1.3.2: __Host- requires Secure, Path=/ and no Domain.
    if (path !== "/") fail("cookie.path", 'must be "/" with prefix "host"');
    if (domain !== undefined) fail("cookie.domain", 'must be left out with prefix "host"');
  }
  // RFC 6265bis §5.6.7 and CHIPS: browsers drop SameSite=None and Partitioned cookies that are not Secure.
  if (sameSite === "none" && secure !== true) fail("cookie.sameSite", '"none" requires `cookie.secure: true` (or a prefix)');
  if (partitioned && secure !== true) fail("cookie.partitioned", "requires `cookie.secure: true` (or a prefix)");
  const chunks = options.chunks ?? defaults.chunks;
  if (typeof chunks !== "boolean") fail("cookie.chunks", "must be true or false");
  const maxBytes = options.maxBytes ?? defaults.maxBytes;
  if (options.maxBytes !== undefined && !chunks) fail("cookie.maxBytes", "needs `cookie.chunks: true`: one cookie holds 4096 bytes at most");
  // 16 cookies of 4096 bytes: past that no server takes the Cookie header anyway (Node's default is 16 KiB in all).
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 4096 || maxBytes > 65536) fail("cookie.maxBytes", "must be a whole number of bytes from 4096 to 65536");
  return {
    name,
    plainName: secure === true ? name : plainName,
    secure,
    persistent: options.persistent ?? defaults.persistent,
    chunks,
    maxBytes,
    attributes: {
      path,
      domain,
      httpOnly: options.httpOnly ?? defaults.httpOnly,
      sameSite,
      secure: secure === true,
      partitioned,
    },
  };
}

function fail(option: string, rule: string): never {
  throw new TesseraError("ERR_INVALID_OPTION", `\`${option}\` ${rule}`);
}
