import { describe, it, expect } from "vitest";
import { parseSetCookie } from "cookie";
import { TesseraError } from "../core/errors.js";
import { resolveCookieOptions } from "./options.js";
import { maxCookieAgeSeconds, maxCookieBytes, serializeSetCookie, type CookieAttributes } from "./serialize.js";

const lax: CookieAttributes = resolveCookieOptions().attributes;
const token = "q3VYbqIjyvq3ewRPNbQvKzvwM3YwXcMy61Yfb5T2c9o";

function tooLarge(name: string, value: string): TesseraError {
  try {
    serializeSetCookie(name, value, lax, 60);
  } catch (err) {
    expect(err).toBeInstanceOf(TesseraError);
    expect((err as TesseraError).code).toBe("ERR_COOKIE_TOO_LARGE");
    return err as TesseraError;
  }
  throw new Error("expected ERR_COOKIE_TOO_LARGE");
}

describe("serializeSetCookie", () => {
  it("writes HttpOnly, SameSite=Lax and Path=/ by default, without Secure, Domain or Partitioned", () => {
    const header = serializeSetCookie("sid", token, lax, 3600);
    const parsed = parseSetCookie(header);
    expect(parsed).toMatchObject({ name: "sid", value: token, path: "/", httpOnly: true, sameSite: "lax", maxAge: 3600 });
    expect(parsed.secure).toBeFalsy();
    expect(parsed.domain).toBeUndefined();
    expect(parsed.partitioned).toBeFalsy();
    expect(header).toMatch(/^sid=q3VYbq[^;]*; Max-Age=3600; Path=\/; Expires=[^;]+ GMT; HttpOnly; SameSite=Lax$/);
  });

  it("sets Expires to match Max-Age", () => {
    const before = Date.now();
    const parsed = parseSetCookie(serializeSetCookie("sid", token, lax, 3600));
    const expires = parsed.expires!.getTime();
    expect(expires).toBeGreaterThanOrEqual(Math.floor((before + 3_600_000) / 1000) * 1000);
    expect(expires).toBeLessThanOrEqual(Date.now() + 3_600_000);
  });

  it("writes every attribute a prefixed, cross-site, partitioned cookie needs", () => {
    const settings = resolveCookieOptions({ prefix: "host", sameSite: "none", partitioned: true });
    const parsed = parseSetCookie(serializeSetCookie(settings.name, token, settings.attributes, 60));
    expect(parsed).toMatchObject({ name: "__Host-sid", value: token, path: "/", secure: true, httpOnly: true, sameSite: "none", partitioned: true });
    expect(parsed.domain).toBeUndefined();
  });

  it("writes Domain, a custom path and SameSite=Strict when asked", () => {
    const settings = resolveCookieOptions({ domain: "example.com", path: "/app", sameSite: "strict", httpOnly: false });
    const parsed = parseSetCookie(serializeSetCookie(settings.plainName, token, settings.attributes, 60));
    expect(parsed).toMatchObject({ domain: "example.com", path: "/app", sameSite: "strict" });
    expect(parsed.httpOnly).toBeFalsy();
  });

  it("writes Max-Age=0 and an Expires in 1970 to delete the cookie", () => {
    const header = serializeSetCookie("sid", "", lax, 0);
    const parsed = parseSetCookie(header);
    expect(header).toContain("Max-Age=0");
    expect(parsed.maxAge).toBe(0);
    expect(parsed.value).toBe("");
    expect(parsed.expires?.getTime()).toBe(0);
  });

  it("writes neither Max-Age nor Expires for a cookie that ends with the browser session", () => {
    const parsed = parseSetCookie(serializeSetCookie("sid", token, lax));
    expect(parsed.maxAge).toBeUndefined();
    expect(parsed.expires).toBeUndefined();
  });

  it("allows exactly 4096 bytes of name plus value", () => {
    expect(maxCookieBytes).toBe(4096);
    const value = "v".repeat(4096 - 3);
    expect(parseSetCookie(serializeSetCookie("sid", value, lax, 60)).value).toBe(value);
  });

  it("refuses 4097 bytes of name plus value with ERR_COOKIE_TOO_LARGE, giving the size but never the value", () => {
    const value = "S3cr3tV4lue".repeat(373); // 4103 characters
    const err = tooLarge("sid", value);
    expect(err.message).toContain(`${3 + value.length} bytes`);
    expect(err.message).toContain("4096");
    expect(err.message).not.toContain("S3cr3tV4lue");
    expect(tooLarge("sid", "x".repeat(4094)).message).toContain("4097 bytes");
  });

  it("counts the name toward the limit", () => {
    const value = "v".repeat(4090);
    expect(() => serializeSetCookie("sid", value, lax, 60)).not.toThrow();
    expect(tooLarge("a-long-name", value).message).toContain(`${11 + 4090} bytes`);
  });

  it("dates Expires from the clock it is given, not the machine's", () => {
    const now = Date.UTC(2030, 0, 1, 12, 0, 0);
    const parsed = parseSetCookie(serializeSetCookie("sid", token, lax, 3600, now));
    expect(parsed.expires?.getTime()).toBe(now + 3_600_000);
  });

  it("writes a Max-Age over 400 days as 400 days, with Expires to match, as browsers would keep it", () => {
    const now = Date.UTC(2030, 0, 1);
    const header = serializeSetCookie("sid", token, lax, 5 * 365 * 86_400, now);
    const parsed = parseSetCookie(header);
    expect(maxCookieAgeSeconds).toBe(400 * 86_400);
    expect(parsed.maxAge).toBe(maxCookieAgeSeconds);
    expect(parsed.expires?.getTime()).toBe(now + maxCookieAgeSeconds * 1000);
  });

  it("refuses attributes outside the grammar by its own checks, naming no value", () => {
    const refused = (attributes: CookieAttributes): string | undefined => {
      try {
        serializeSetCookie("sid", token, attributes, 60);
      } catch (err) {
        expect(err).toBeInstanceOf(TesseraError);
        expect((err as TesseraError).code).toBe("ERR_INVALID_OPTION");
        return (err as TesseraError).message;
      }
      return undefined;
    };
    expect(refused({ ...lax, path: "/a;b" })).toContain("path");
    expect(refused({ ...lax, path: "/a " })).toContain("path");
    expect(refused({ ...lax, domain: "exa mple.com" })).toContain("domain");
    expect(refused({ ...lax, sameSite: "toString" as "lax" })).toContain("sameSite");
    expect(refused({ ...lax, sameSite: "__proto__" as "lax" })).toContain("sameSite");
    expect(refused({ ...lax, domain: "example.com", path: "/app" })).toBeUndefined();
  });
});
