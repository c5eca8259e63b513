import { describe, expect, it } from "vitest";
import { createSessions } from "../adapters/fetch/index.js";
import { createCookieJar } from "./index.js";

const secret = "jar test secret: the current one, 48 bytes long.";
const oldSecret = "jar test secret: the previous one, 48 bytes long";
const otherSecret = "jar test secret: another app's key, 48 bytes lo.";

/** The Cookie header a browser sends back for one Set-Cookie value. */
const cookieOf = (setCookie: string): string => setCookie.split(";")[0]!;
const valueOf = (setCookie: string): string => cookieOf(setCookie).split(/=(.*)/s)[1]!;
const requestWith = (cookie: string) => new Request("https://app.test/", { headers: { cookie } });

describe("createCookieJar", () => {
  const jar = createCookieJar({ secrets: [secret] });

  it("writes a plain cookie percent-encoded, HttpOnly, Secure and SameSite=Lax by default, and reads it back", async () => {
    const headers = new Headers();
    await jar.write(headers, "my_cookie", "This is a cookie value; with = signs", { maxAge: "1d" });
    const [setCookie] = headers.getSetCookie();
    expect(setCookie).toMatch(/^my_cookie=This%20is%20a%20cookie%20value%3B%20with%20%3D%20signs; Max-Age=86400; Path=\/; Expires=.+; HttpOnly; Secure; SameSite=Lax$/);
    expect(await jar.read(requestWith(cookieOf(setCookie!)), "my_cookie")).toBe("This is a cookie value; with = signs");
    expect(await jar.read(requestWith("other=1"), "my_cookie")).toBeUndefined();
    // A value that is not percent-encoding reads as missing, not as an exception.
    expect(await jar.read(requestWith("my_cookie=%E0%A4%A"), "my_cookie")).toBeUndefined();
  });

  it("reads back an empty string as written, plain, signed or sealed, and a signed empty value still verifies", async () => {
    for (const options of [{}, { signed: true }, { sealed: true }]) {
      const setCookie = await jar.serialize("note", "", options);
      expect(await jar.read(requestWith(cookieOf(setCookie)), "note", options), JSON.stringify(options)).toBe("");
    }
    const signed = valueOf(await jar.serialize("note", "", { signed: true }));
    expect(signed.startsWith(".")).toBe(true);
    const [, signature] = signed.split(".");
    const forged = `${btoa("x").replace(/=+$/, "")}.${signature}`;
    expect(await jar.read(requestWith(`note=${forged}`), "note", { signed: true })).toBeUndefined();
  });

  it("signs a value anyone can read but nobody can change, bound to its name", async () => {
    const setCookie = await jar.serialize("theme", "dark", { signed: true });
    const value = valueOf(setCookie);
    expect(atob(value.split(".")[0]!)).toBe("dark");
    expect(await jar.read(requestWith(`theme=${value}`), "theme", { signed: true })).toBe("dark");
    // "light" with dark's signature, the signature with one character changed, and the value under another name.
    const forged = `${btoa("light").replace(/=+$/, "")}.${value.split(".")[1]}`;
    const flipped = value.slice(0, -2) + (value.at(-2) === "A" ? "B" : "A") + value.at(-1);
    for (const cookie of [`theme=${forged}`, `theme=${flipped}`, `theme=dark`, `theme=`]) {
      expect(await jar.read(requestWith(cookie), "theme", { signed: true })).toBeUndefined();
    }
    expect(await jar.read(requestWith(`layout=${value}`), "layout", { signed: true })).toBeUndefined();
    // Read as plain, a signed value is just its text: the caller chose not to check it.
    expect(await jar.read(requestWith(`theme=${value}`), "theme")).toBe(value);
  });

  it("seals a value nobody can read or change, bound to its name", async () => {
    const setCookie = await jar.serialize("prefs", "tea with milk", { sealed: true });
    const value = valueOf(setCookie);
    expect(value).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(value).not.toContain(btoa("tea").slice(0, 3));
    expect(await jar.read(requestWith(`prefs=${value}`), "prefs", { sealed: true })).toBe("tea with milk");
    // Two writes of one value differ (a random IV each).
    expect(valueOf(await jar.serialize("prefs", "tea with milk", { sealed: true }))).not.toBe(value);
    for (let index = 0; index < value.length; index += 7) {
      const changed = value.slice(0, index) + (value[index] === "A" ? "B" : "A") + value.slice(index + 1);
      expect(await jar.read(requestWith(`prefs=${changed}`), "prefs", { sealed: true })).toBeUndefined();
    }
    expect(await jar.read(requestWith(`__Host-prefs=${value}`), "__Host-prefs", { sealed: true })).toBeUndefined();
    // Signed and sealed are told apart: a sealed value does not read as signed, nor the other way round.
    expect(await jar.read(requestWith(`prefs=${value}`), "prefs", { signed: true })).toBeUndefined();
  });

  it("reads values made under an older secret while it is listed, and none made under another app's", async () => {
    const before = createCookieJar({ secrets: [oldSecret] });
    const signed = valueOf(await before.serialize("theme", "dark", { signed: true }));
    const sealed = valueOf(await before.serialize("prefs", "tea", { sealed: true }));
    const rotated = createCookieJar({ secrets: [secret, oldSecret] });
    expect(await rotated.read(requestWith(`theme=${signed}`), "theme", { signed: true })).toBe("dark");
    expect(await rotated.read(requestWith(`prefs=${sealed}`), "prefs", { sealed: true })).toBe("tea");
    const other = createCookieJar({ secrets: [otherSecret] });
    expect(await other.read(requestWith(`theme=${signed}`), "theme", { signed: true })).toBeUndefined();
    expect(await other.read(requestWith(`prefs=${sealed}`), "prefs", { sealed: true })).toBeUndefined();
  });

  it("reads the first value that verifies when a planted one comes first", async () => {
    const value = valueOf(await jar.serialize("theme", "dark", { signed: true }));
    const planted = `${btoa("evil").replace(/=+$/, "")}.${value.split(".")[1]}`;
    expect(await jar.read(requestWith(`theme=${planted}; theme=${value}`), "theme", { signed: true })).toBe("dark");
  });

  it("keeps jar values and session cookies apart, even under one name and one key ring", async () => {
    for (const codec of ["signed", "sealed"] as const) {
      const sessions = createSessions({ secrets: [secret], codec, cookie: { name: "pref", prefix: "none" } });
      const session = await sessions.load(new Request("https://app.test/"));
      session.set("theme", "dark");
      const sessionValue = valueOf((await sessions.commit(session, new Response("ok"))).headers.getSetCookie()[0]!);
      expect(await jar.read(requestWith(`pref=${sessionValue}`), "pref", { [codec]: true })).toBeUndefined();
      const jarValue = valueOf(await jar.serialize("pref", '{"theme":"dark"}', { [codec]: true }));
      expect((await sessions.load(requestWith(`pref=${jarValue}`))).isNew).toBe(true);
    }
  });

  it("reads from Node's req and writes to Node's res, and clears a cookie", async () => {
    const written: string[] = [];
    const res = { appendHeader: (name: string, value: string | string[]) => written.push(`${name}: ${String(value)}`) };
    await jar.write(res, "theme", "dark", { signed: true, secure: false });
    expect(written[0]).toMatch(/^set-cookie: theme=ZGFyaw\.[A-Za-z0-9_-]{50}; Path=\/; HttpOnly; SameSite=Lax$/);
    const req = { headers: { cookie: `a=1; ${cookieOf(written[0]!.slice("set-cookie: ".length))}` } };
    expect(await jar.read(req, "theme", { signed: true })).toBe("dark");
    const response = new Response("ok");
    jar.clear(response, "theme", { path: "/" });
    expect(response.headers.getSetCookie()).toEqual([expect.stringMatching(/^theme=; Max-Age=0; Path=\/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Secure; SameSite=Lax$/)]);
  });

  it("refuses, with typed errors, what no browser would keep or what it cannot do", async () => {
    const plainOnly = createCookieJar();
    await expect(plainOnly.serialize("theme", "dark", { signed: true })).rejects.toMatchObject({ code: "ERR_SECRET_MISSING" });
    await expect(plainOnly.read(requestWith("theme=x"), "theme", { sealed: true })).rejects.toMatchObject({ code: "ERR_SECRET_MISSING" });
    expect(await plainOnly.read(requestWith("theme=light"), "theme")).toBe("light");
    await expect(jar.serialize("theme", "dark", { signed: true, sealed: true })).rejects.toMatchObject({ code: "ERR_INVALID_OPTION" });
    await expect(jar.serialize("the me", "dark")).rejects.toMatchObject({ code: "ERR_INVALID_OPTION" });
    await expect(jar.serialize("__Host-theme", "dark", { secure: false })).rejects.toMatchObject({ code: "ERR_INVALID_OPTION" });
    await expect(jar.serialize("__Host-theme", "dark", { path: "/app" })).rejects.toMatchObject({ code: "ERR_INVALID_OPTION" });
    await expect(jar.serialize("theme", "dark", { path: "/; Domain=evil.test" })).rejects.toMatchObject({ code: "ERR_INVALID_OPTION" });
    await expect(jar.serialize("big", "x".repeat(4000), { sealed: true })).rejects.toMatchObject({ code: "ERR_COOKIE_TOO_LARGE" });
    await expect(jar.serialize("theme", "dark", { maxAge: 0 })).rejects.toMatchObject({ code: "ERR_INVALID_OPTION" });
    expect(() => createCookieJar({ secrets: ["short"] })).toThrow(expect.objectContaining({ code: "ERR_SECRET_TOO_SHORT" }));
  });
});
