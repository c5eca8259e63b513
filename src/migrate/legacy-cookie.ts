// Deleting another library's cookie: a Set-Cookie with its name, Path and Domain, expired, checked once at start-up.

import { TesseraError } from "../core/errors.js";
import { createSetCookieWriter, type SetCookieWriter } from "../cookie/serialize.js";

/** Where the old library set its cookie; a deletion only reaches a cookie with the same Path and Domain. */
export interface LegacyCookieOptions {
  /** @default "/" */
  path?: string;
  /** @default undefined (host-only) */
  domain?: string;
}

/**
 * Makes the `Set-Cookie` values that delete cookie `name`: Max-Age=0 and an Expires in 1970, with the Path and
 * Domain given (RFC 6265 §5.3 step 11: otherwise the browser keeps the old cookie beside the deletion). `Secure` is
 * added for a request that came over HTTPS, since a Secure cookie can only be replaced from a secure origin.
 *
 * @example
 * const clear = legacyCookieClearer("connect.sid", { path: "/" }, "cookieName");
 * clear(true); // ["connect.sid=; Max-Age=0; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Secure; SameSite=Lax"]
 */
export function legacyCookieClearer(name: string, options: LegacyCookieOptions | undefined, option: string): (secure: boolean) => string[] {
  const path = options?.path ?? "/";
  const domain = options?.domain;
  let writers: { secure: SetCookieWriter; plain: SetCookieWriter };
  try {
    const attributes = { path, domain, httpOnly: true, sameSite: "lax" as const, partitioned: false };
    const secure = createSetCookieWriter(name, { ...attributes, secure: true });
    // RFC 6265bis §4.1.3: a prefixed cookie exists only with Secure, so it is deleted with Secure too.
    writers = { secure, plain: /^__(?:secure|host)-/i.test(name) ? secure : createSetCookieWriter(name, { ...attributes, secure: false }) };
  } catch (error) {
    if (!(error instanceof TesseraError)) throw error;
    throw new TesseraError("ERR_INVALID_OPTION", `\`${option}\` (or its cookie path and domain) cannot be written in a Set-Cookie header: ${error.message}`);
  }
  return (secure) => [(secure ? writers.secure : writers.plain)("", 0)];
}
