// The cookie jar: plain cookies beside the session (a preference, the seed's `my_cookie`), plain, signed or sealed
// with the session's key ring, each bound to its own name, written by the same strict Set-Cookie writer.

import { allocBytes, fromBase64url, readUint32, toBase64url, utf8Bytes, utf8Text } from "../core/bytes.js";
import { toMilliseconds, type Duration } from "../core/duration.js";
import { TesseraError } from "../core/errors.js";
import { ivBytes, isPromise, macBytes, tagBytes } from "../crypto/backend.js";
import { createKeyRing, type KeyRing, type Secret } from "../crypto/keyring.js";
import { fillRandom } from "../crypto/tokens.js";
import { readCookieValues } from "../cookie/parse.js";
import { serializeSetCookie, type CookieAttributes } from "../cookie/serialize.js";

/** How a cookie's value is kept: readable and changeable (`plain`), readable but unforgeable (`signed`), or neither. */
export type CookieProtection = "plain" | "signed" | "sealed";

/** Options of `createCookieJar`. */
export interface CookieJarOptions {
  /**
   * The key ring for signed and sealed cookies: the application's `secrets`, the first current. A jar without
   * secrets reads and writes plain cookies only. Jar values are bound to the jar's purpose and the cookie's name, so
   * none can pass for a session cookie or for another cookie of the jar.
   */
  secrets?: readonly Secret[];
  /** Attributes every write starts from; each write may change them. */
  defaults?: CookieWriteOptions;
}

/** How `read` opens a value: give at most one of `signed` and `sealed`; neither reads a plain cookie. */
export interface CookieReadOptions {
  signed?: boolean;
  sealed?: boolean;
}

/** The attributes of one write, and how its value is kept. */
export interface CookieWriteOptions extends CookieReadOptions {
  /** How long the browser keeps it: seconds or a string such as `"30d"`; left out, it ends with the browser session. */
  maxAge?: Duration;
  /** @default "/" */
  path?: string;
  /** @default undefined (host-only) */
  domain?: string;
  /** @default true: scripts have no business with a cookie they did not set */
  httpOnly?: boolean;
  /** @default "lax" */
  sameSite?: "lax" | "strict" | "none";
  /** @default true. Browsers drop a `__Host-` or `__Secure-` cookie without it; over plain http (development) pass false. */
  secure?: boolean;
  /** @default false */
  partitioned?: boolean;
}

/** Where `read` finds the Cookie header: a Fetch `Request`, its `Headers`, or Node's `req` (`req.headers.cookie`). */
export type CookieSource = Request | Headers | { headers: Headers | { cookie?: string | string[] | undefined } };

/** Where `write` appends a Set-Cookie: a Fetch `Response` or `Headers`, or Node's `res` (`appendHeader`). */
export type CookieTarget = Response | Headers | { appendHeader(name: string, value: string | string[]): unknown };

/** Plain, signed and sealed cookies with one key ring. */
export interface CookieJar {
  /**
   * The value of cookie `name`, or `undefined` when it is missing or, signed or sealed, does not verify under this
   * name (tampered, made for another cookie, an unknown key). Never throws for a bad value. Of several values under
   * one name (a planted one first), the first that verifies is read.
   */
  read(source: CookieSource, name: string, options?: CookieReadOptions): Promise<string | undefined>;
  /** Appends the Set-Cookie for `name` = `value` to `target`. Throws `ERR_INVALID_OPTION` or `ERR_COOKIE_TOO_LARGE`. */
  write(target: CookieTarget, name: string, value: string, options?: CookieWriteOptions): Promise<void>;
  /** The Set-Cookie value `write` appends, for frameworks that set headers their own way. */
  serialize(name: string, value: string, options?: CookieWriteOptions): Promise<string>;
  /** Appends a Set-Cookie that deletes cookie `name` (its path and domain must match the ones it was set with). */
  clear(target: CookieTarget, name: string, options?: Pick<CookieWriteOptions, "path" | "domain" | "secure" | "sameSite" | "partitioned">): void;
}

/** Format version of signed and sealed jar values: their first byte. */
const formatVersion = 1;
/** `version(1) || keyId(4)`, leading both signed and sealed values. */
const headerBytes = 5;
/** Several values under one name are read, at most this many (a planted value cannot hide the real one). */
const maxValuesPerName = 4;

/**
 * A cookie jar. Plain values are written percent-encoded (any string goes) and read back decoded. Signed values are
 * `base64url(value).base64url(version || keyId || HMAC-SHA256)`, readable by anyone; sealed values are AES-256-GCM,
 * readable by nobody without the secrets. Both bind the jar's purpose and the cookie's full name (a `__Host-` prefix
 * included) into the MAC or the AAD, under keys derived from the secrets as the session's are, so a value moved to
 * another name, or a session cookie renamed into the jar, does not verify. Values made under an older secret still
 * read while it stays in `secrets`.
 *
 * @example
 * const jar = createCookieJar({ secrets: [process.env.SECRET_KEY!] });
 * await jar.write(response, "theme", "dark", { signed: true, maxAge: "1y" });
 * const theme = await jar.read(request, "theme", { signed: true }); // "dark", or undefined if changed
 */
export function createCookieJar(options: CookieJarOptions = {}): CookieJar {
  if (options === null || typeof options !== "object") throw new TesseraError("ERR_INVALID_OPTION", "`createCookieJar` takes an options object");
  const ring: KeyRing | undefined = options.secrets === undefined ? undefined : createKeyRing(options.secrets);
  const base = options.defaults ?? {};
  checkProtection(base, "defaults");

  const keysFor = (protection: CookieProtection, operation: string): KeyRing => {
    if (ring === undefined) {
      throw new TesseraError("ERR_SECRET_MISSING", `a ${protection} cookie needs the jar's \`secrets\` (createCookieJar({ secrets })) to ${operation} it`);
    }
    return ring;
  };

  const encode = async (name: string, value: string, protection: CookieProtection): Promise<string> => {
    if (protection === "plain") return encodeURIComponent(value);
    const keys = keysFor(protection, "write");
    const header = allocBytes(headerBytes);
    header[0] = formatVersion;
    header.set(keys.current.id, 1);
    const plaintext = utf8Bytes(value);
    if (protection === "signed") {
      const payload = toBase64url(plaintext);
      const mac = await keys.crypto.hmac(keys.current.signKey, [header, purpose("signed", name), payload]);
      const signature = allocBytes(headerBytes + macBytes);
      signature.set(header);
      signature.set(mac, headerBytes);
      return `${payload}.${toBase64url(signature)}`;
    }
    const out = allocBytes(headerBytes + ivBytes + plaintext.length + tagBytes);
    out.set(header);
    const iv = fillRandom(out.subarray(headerBytes, headerBytes + ivBytes));
    const sealing = keys.crypto.seal(keys.current.sealKey, iv, aadOf(header, name), plaintext, out, headerBytes + ivBytes);
    if (isPromise(sealing)) await sealing;
    return toBase64url(out);
  };

  /** The value `text` holds for cookie `name`, or `undefined`. */
  const decode = async (name: string, text: string, protection: CookieProtection): Promise<string | undefined> => {
    if (protection === "plain") {
      try {
        return decodeURIComponent(text);
      } catch {
        return undefined;
      }
    }
    const keys = keysFor(protection, "read");
    if (protection === "signed") {
      // An empty string is signed with an empty payload: the dot may come first.
      const dot = text.lastIndexOf(".");
      if (dot < 0) return undefined;
      const payload = text.slice(0, dot);
      const signature = fromBase64url(text.slice(dot + 1));
      const bytes = payload === "" ? new Uint8Array(0) : fromBase64url(payload);
      if (signature === undefined || bytes === undefined || signature.length !== headerBytes + macBytes || signature[0] !== formatVersion) return undefined;
      const found = keys.find(readUint32(signature, 1));
      if (found === undefined) return undefined;
      const header = signature.subarray(0, headerBytes);
      const ok = await keys.crypto.verifyHmac(found.keys.signKey, signature.subarray(headerBytes), [header, purpose("signed", name), payload]);
      return ok ? utf8TextOrUndefined(bytes) : undefined;
    }
    const bytes = fromBase64url(text);
    if (bytes === undefined || bytes.length < headerBytes + ivBytes + tagBytes || bytes[0] !== formatVersion) return undefined;
    const found = keys.find(readUint32(bytes, 1));
    if (found === undefined) return undefined;
    const header = bytes.subarray(0, headerBytes);
    const iv = bytes.subarray(headerBytes, headerBytes + ivBytes);
    const opened = await keys.crypto.open(found.keys.sealKey, iv, aadOf(header, name), bytes.subarray(headerBytes + ivBytes));
    return opened === null ? undefined : utf8TextOrUndefined(opened);
  };

  const serialize = async (name: string, value: string, writeOptions: CookieWriteOptions = {}): Promise<string> => {
    if (typeof value !== "string") throw new TesseraError("ERR_INVALID_OPTION", `cookie "${safeName(name)}": the value must be a string`);
    const merged = { ...base, ...writeOptions };
    const protection = protectionOf(merged, "options");
    const maxAge = merged.maxAge === undefined ? undefined : Math.floor(toMilliseconds(merged.maxAge, "maxAge") / 1000);
    if (maxAge !== undefined && maxAge < 1) throw new TesseraError("ERR_INVALID_OPTION", "`maxAge` must be at least one second; use `clear` to delete a cookie");
    const attributes = attributesOf(merged);
    // The name and attributes are checked before any cryptography: a bad name never gets a MAC.
    serializeSetCookie(name, "", attributes);
    return serializeSetCookie(name, await encode(name, value, protection), attributes, maxAge);
  };

  return {
    async read(source, name, readOptions = {}) {
      const protection = protectionOf(readOptions, "options");
      if (protection !== "plain") keysFor(protection, "read");
      for (const text of readCookieValues(cookieHeaderOf(source), name, maxValuesPerName)) {
        const value = await decode(name, text, protection);
        if (value !== undefined) return value;
      }
      return undefined;
    },
    async write(target, name, value, writeOptions) {
      append(target, await serialize(name, value, writeOptions));
    },
    serialize,
    clear(target, name, clearOptions = {}) {
      append(target, serializeSetCookie(name, "", attributesOf({ ...base, ...clearOptions }), 0));
    },
  };
}

/** The label bound into every jar MAC and AAD, with the cookie's name: never the session codecs' `tessera.signed`. */
function purpose(protection: "signed" | "sealed", name: string): string {
  return `tessera.jar.${protection}\u0000${name}\u0000`;
}

function aadOf(header: Uint8Array, name: string): Uint8Array {
  const label = utf8Bytes(purpose("sealed", name));
  const aad = new Uint8Array(header.length + label.length);
  aad.set(header);
  aad.set(label, header.length);
  return aad;
}

function protectionOf(options: CookieReadOptions, where: string): CookieProtection {
  checkProtection(options, where);
  return options.sealed ? "sealed" : options.signed ? "signed" : "plain";
}

function checkProtection(options: CookieReadOptions, where: string): void {
  if (options === null || typeof options !== "object") throw new TesseraError("ERR_INVALID_OPTION", `\`${where}\` must be an object`);
  if (options.signed && options.sealed) throw new TesseraError("ERR_INVALID_OPTION", `\`${where}\`: a cookie is signed or sealed, not both`);
}

function attributesOf(options: CookieWriteOptions): CookieAttributes {
  return {
    path: options.path ?? "/",
    domain: options.domain,
    httpOnly: options.httpOnly ?? true,
    sameSite: options.sameSite ?? "lax",
    secure: options.secure ?? true,
    partitioned: options.partitioned ?? false,
  };
}

function cookieHeaderOf(source: CookieSource): string | undefined {
  const headers = source instanceof Headers ? source : source.headers;
  if (headers instanceof Headers) return headers.get("cookie") ?? undefined;
  const cookie = headers.cookie;
  return Array.isArray(cookie) ? cookie.join("; ") : cookie;
}

function append(target: CookieTarget, value: string): void {
  if (target instanceof Headers) target.append("set-cookie", value);
  else if (target instanceof Response) target.headers.append("set-cookie", value);
  else target.appendHeader("set-cookie", value);
}

function utf8TextOrUndefined(bytes: Uint8Array): string | undefined {
  try {
    return utf8Text(bytes);
  } catch {
    return undefined;
  }
}

/** A cookie name as an error may show it: names are the application's, but a hostile one is cut short. */
function safeName(name: unknown): string {
  return typeof name === "string" ? name.slice(0, 64).replace(/[^\x21-\x7e]/g, "?") : typeof name;
}
