import { describe, it, expect } from "vitest";
import { TesseraError } from "../core/errors.js";
import { defaults, resolveCookieOptions, type CookieOptions } from "./options.js";
import { serializeSetCookie } from "./serialize.js";

/** The option a refused configuration names; fails the test when it is accepted. */
function refusedOption(options: CookieOptions): string {
  try {
    resolveCookieOptions(options);
  } catch (err) {
    expect(err).toBeInstanceOf(TesseraError);
    expect((err as TesseraError).code).toBe("ERR_INVALID_OPTION");
    const named = /^`([^`]+)`/.exec((err as TesseraError).message);
    expect(named).not.toBeNull();
    return named![1]!;
  }
  throw new Error(`expected ${JSON.stringify(options)} to be refused`);
}

describe("resolveCookieOptions", () => {
  it("defaults to __Host-sid when Secure and sid over plain http, HttpOnly, SameSite=Lax, Path=/, host-only, Secure decided per request, persistent", () => {
    const settings = resolveCookieOptions();
    expect(settings.name).toBe("__Host-sid");
    expect(settings.plainName).toBe("sid");
    expect(settings.secure).toBe("auto");
    expect(settings.persistent).toBe(true);
    expect(settings.attributes).toEqual({ path: "/", domain: undefined, httpOnly: true, sameSite: "lax", secure: false, partitioned: false });
    expect(resolveCookieOptions({})).toEqual(settings);
  });

  it("uses __Secure- when a Domain or Path rules out __Host-, and no prefix with prefix \"none\" or secure: false", () => {
    expect(resolveCookieOptions({ domain: "example.com" }).name).toBe("__Secure-sid");
    expect(resolveCookieOptions({ path: "/app" }).name).toBe("__Secure-sid");
    expect(resolveCookieOptions({ secure: true }).name).toBe("__Host-sid");
    expect(resolveCookieOptions({ secure: true }).plainName).toBe("__Host-sid");
    expect(resolveCookieOptions({ prefix: "none", secure: true }).name).toBe("sid");
    expect(resolveCookieOptions({ secure: false }).name).toBe("sid");
    expect(refusedOption({ prefix: "bogus" as never })).toBe("cookie.prefix");
  });

  it("keeps its defaults in one frozen object", () => {
    expect(Object.isFrozen(defaults)).toBe(true);
    expect(defaults).toMatchObject({ name: "sid", path: "/", sameSite: "lax", httpOnly: true, secure: "auto" });
  });

  it('names the cookie __Host-sid with prefix "host" and makes it Secure', () => {
    const settings = resolveCookieOptions({ prefix: "host" });
    expect(settings.name).toBe("__Host-sid");
    expect(settings.secure).toBe(true);
    expect(settings.attributes.secure).toBe(true);
    expect(settings.attributes.path).toBe("/");
    expect(settings.attributes.domain).toBeUndefined();
  });

  it('names the cookie __Secure-<name> with prefix "secure" and allows a path and domain', () => {
    const settings = resolveCookieOptions({ prefix: "secure", name: "app", path: "/app", domain: "example.com" });
    expect(settings.name).toBe("__Secure-app");
    expect(settings.attributes).toMatchObject({ secure: true, path: "/app", domain: "example.com" });
  });

  it("refuses secure: false with a prefix, naming cookie.secure", () => {
    expect(refusedOption({ prefix: "host", secure: false })).toBe("cookie.secure");
    expect(refusedOption({ prefix: "secure", secure: false })).toBe("cookie.secure");
  });

  it('refuses a path other than "/" with prefix "host", naming cookie.path', () => {
    expect(refusedOption({ prefix: "host", path: "/app" })).toBe("cookie.path");
  });

  it('refuses a domain with prefix "host", naming cookie.domain', () => {
    expect(refusedOption({ prefix: "host", domain: "example.com" })).toBe("cookie.domain");
  });

  it("refuses an unknown prefix", () => {
    expect(refusedOption({ prefix: "strict" as CookieOptions["prefix"] })).toBe("cookie.prefix");
  });

  it("refuses a name that spells a prefix itself, whatever its case", () => {
    for (const name of ["__Host-sid", "__Secure-sid", "__host-sid", "__SECURE-sid"]) expect(refusedOption({ name }), name).toBe("cookie.name");
    expect(resolveCookieOptions({ name: "__sid" }).plainName).toBe("__sid");
  });

  it('requires secure: true for sameSite "none"', () => {
    expect(refusedOption({ sameSite: "none" })).toBe("cookie.sameSite");
    expect(refusedOption({ sameSite: "none", secure: "auto" })).toBe("cookie.sameSite");
    expect(refusedOption({ sameSite: "none", secure: false })).toBe("cookie.sameSite");
    expect(resolveCookieOptions({ sameSite: "none", secure: true }).attributes.sameSite).toBe("none");
    expect(resolveCookieOptions({ sameSite: "none", prefix: "secure" }).attributes.secure).toBe(true);
  });

  it("requires secure: true for partitioned", () => {
    expect(refusedOption({ partitioned: true })).toBe("cookie.partitioned");
    expect(refusedOption({ partitioned: true, secure: false })).toBe("cookie.partitioned");
    expect(resolveCookieOptions({ partitioned: true, secure: true }).attributes.partitioned).toBe(true);
  });

  it("refuses an unknown sameSite value", () => {
    expect(refusedOption({ sameSite: "lenient" as CookieOptions["sameSite"] })).toBe("cookie.sameSite");
  });

  it("refuses names that are not cookie-name tokens", () => {
    for (const name of ["", "a b", "a;b", "a=b", "a,b", 'a"b', "a\tb", "sé", "a(b)", "a/b"]) {
      expect(refusedOption({ name }), JSON.stringify(name)).toBe("cookie.name");
    }
  });

  it("refuses paths that do not start with / or hold ; or control characters", () => {
    for (const path of ["", "app", "/a;b", "/a\nb", "/a\u0000", "/é", "/a<b"]) {
      expect(refusedOption({ path }), JSON.stringify(path)).toBe("cookie.path");
    }
  });

  it("refuses domains that are not host names", () => {
    for (const domain of ["", "-bad.com", "bad-.com", "a..b", "exa mple.com", "example.com;", "a_b.com", "ex/ample.com", `${"a".repeat(64)}.com`]) {
      expect(refusedOption({ domain }), JSON.stringify(domain)).toBe("cookie.domain");
    }
  });

  it("accepts names, paths and domains the grammar allows", () => {
    const settings = resolveCookieOptions({ name: "my.app_sid-1", path: "/app/v1", domain: ".Example.com" });
    expect(settings.plainName).toBe("my.app_sid-1");
    expect(settings.attributes.path).toBe("/app/v1");
    expect(settings.attributes.domain).toBe(".Example.com");
  });

  it("produces only settings the serializer accepts", () => {
    const configurations: CookieOptions[] = [
      {},
      { prefix: "host" },
      { prefix: "secure", path: "/a b~!", domain: "sub.example.com", sameSite: "none", partitioned: true },
      { name: "x", path: "/[]{}=?&", sameSite: "strict", httpOnly: false, secure: true },
    ];
    for (const options of configurations) {
      const settings = resolveCookieOptions(options);
      // Both names a manager writes: the plain one with the resolved attributes, and the Secure one with Secure.
      expect(() => serializeSetCookie(settings.plainName, "value", settings.attributes, 60), JSON.stringify(options)).not.toThrow();
      expect(() => serializeSetCookie(settings.name, "value", { ...settings.attributes, secure: true }, 60), JSON.stringify(options)).not.toThrow();
    }
  });

  it("never puts an option's value in the message for a refused name", () => {
    try {
      resolveCookieOptions({ name: "secret value;" });
      expect.unreachable();
    } catch (err) {
      expect((err as TesseraError).message).not.toContain("secret value");
    }
  });
});
