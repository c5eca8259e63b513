import { describe, expect, it } from "vitest";
import { isTesseraError } from "../../core/errors.js";
import { serializeSetCookie } from "../../cookie/serialize.js";
import { nextCookieOf } from "./set-cookie.js";

const attributes = { path: "/", domain: undefined, httpOnly: true, sameSite: "lax" as const, secure: true, partitioned: false };

describe("nextCookieOf", () => {
  it("reads back every attribute tessera's writer puts on a session cookie", () => {
    const now = Date.UTC(2026, 0, 1);
    const header = serializeSetCookie("__Host-sid", "abc_-.9", attributes, 1800, now);
    expect(nextCookieOf(header)).toEqual({
      name: "__Host-sid",
      value: "abc_-.9",
      maxAge: 1800,
      path: "/",
      expires: new Date(now + 1800 * 1000),
      httpOnly: true,
      secure: true,
      sameSite: "lax",
    });
  });

  it("reads a clearing cookie, a Domain, Partitioned and a browser-session cookie", () => {
    const header = serializeSetCookie("__Secure-sid", "", { ...attributes, path: "/app", domain: "example.com", sameSite: "none", partitioned: true }, 0, 0);
    expect(nextCookieOf(header)).toEqual({
      name: "__Secure-sid",
      value: "",
      maxAge: 0,
      domain: "example.com",
      path: "/app",
      expires: new Date(0),
      httpOnly: true,
      secure: true,
      partitioned: true,
      sameSite: "none",
    });
    expect(nextCookieOf(serializeSetCookie("sid", "v", { ...attributes, secure: false, httpOnly: false, sameSite: "strict" }))).toEqual({
      name: "sid",
      value: "v",
      path: "/",
      sameSite: "strict",
    });
  });

  it("refuses a value Next would percent-encode, without echoing it", () => {
    const error = (() => {
      try {
        nextCookieOf("sid=a/b+c=; Path=/");
      } catch (caught) {
        return caught;
      }
    })();
    expect(isTesseraError(error) && error.code).toBe("ERR_NOT_SUPPORTED");
    expect((error as Error).message).not.toContain("a/b+c=");
  });
});
