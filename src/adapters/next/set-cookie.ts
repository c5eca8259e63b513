// A Set-Cookie value tessera wrote, as the cookie object Next's `cookies().set` takes.

import { TesseraError } from "../../core/errors.js";

/** The cookie `cookies().set` takes (Next's `ResponseCookie`), with exactly the attributes tessera wrote. */
export interface NextCookie {
  name: string;
  value: string;
  path?: string;
  domain?: string;
  maxAge?: number;
  expires?: Date;
  httpOnly?: boolean;
  secure?: boolean;
  sameSite?: "lax" | "strict" | "none";
  partitioned?: boolean;
}

/**
 * Reads back one `Set-Cookie` value of a commit (tessera's own writer: `name=value` then `; `-separated attributes)
 * into the object Next's `cookies().set` takes, so the cookie Next writes has the attributes tessera chose. Next
 * writes the value through `encodeURIComponent`: a value that would change there (a custom codec's, not
 * base64url) is refused with `ERR_NOT_SUPPORTED`, and so is an attribute Next cannot write.
 *
 * @example
 * (await cookies()).set(nextCookieOf("sid=abc; Max-Age=60; Path=/; Expires=Thu, 01 Jan 2026 00:01:00 GMT; HttpOnly; SameSite=Lax"));
 */
export function nextCookieOf(header: string): NextCookie {
  const [pair = "", ...attributes] = header.split("; ");
  const eq = pair.indexOf("=");
  const cookie: NextCookie = { name: pair.slice(0, eq), value: pair.slice(eq + 1) };
  if (encodeURIComponent(cookie.value) !== cookie.value) {
    throw new TesseraError("ERR_NOT_SUPPORTED", `session cookie "${cookie.name}": Next.js would percent-encode its value; use a codec whose values are base64url`);
  }
  for (const attribute of attributes) {
    const at = attribute.indexOf("=");
    const key = (at === -1 ? attribute : attribute.slice(0, at)).toLowerCase();
    const value = at === -1 ? "" : attribute.slice(at + 1);
    switch (key) {
      case "max-age":
        cookie.maxAge = Number(value);
        break;
      case "expires":
        cookie.expires = new Date(value);
        break;
      case "path":
        cookie.path = value;
        break;
      case "domain":
        cookie.domain = value;
        break;
      case "httponly":
        cookie.httpOnly = true;
        break;
      case "secure":
        cookie.secure = true;
        break;
      case "partitioned":
        cookie.partitioned = true;
        break;
      case "samesite":
        cookie.sameSite = value.toLowerCase() as NextCookie["sameSite"];
        break;
      default:
        throw new TesseraError("ERR_NOT_SUPPORTED", `session cookie "${cookie.name}": Next.js cannot write its attribute ${JSON.stringify(key)}`);
    }
  }
  return cookie;
}
