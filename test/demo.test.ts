// The demo app over real HTTP on 127.0.0.1, run as `npm start` runs it: every route and every bad input.

import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { failingDemo, startDemo, type RunningDemo } from "./servers/demo.js";

/** A tiny cookie jar: what a browser would send back to this one origin. */
class Jar {
  readonly cookies = new Map<string, string>();
  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; ");
  }
  take(response: Response): void {
    for (const header of response.headers.getSetCookie()) {
      const [pair] = header.split(";");
      const eq = pair!.indexOf("=");
      const name = pair!.slice(0, eq);
      const value = pair!.slice(eq + 1);
      if (value === "" || /Max-Age=0/i.test(header)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
}

describe("the demo app over HTTP", () => {
  let dir: string;
  let demo: RunningDemo;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "tessera-demo-"));
    demo = await startDemo(dir);
  });

  afterAll(async () => {
    await demo?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const call = async (path: string, jar?: Jar, init: RequestInit & { headers?: Record<string, string> } = {}) => {
    const headers: Record<string, string> = { ...init.headers };
    if (jar && jar.cookies.size > 0) headers.cookie = jar.header();
    const response = await fetch(demo.url + path, { ...init, headers, redirect: "manual" });
    jar?.take(response);
    return response;
  };
  const login = (username: string, jar: Jar, headers: Record<string, string> = {}) =>
    call("/login", jar, {
      method: "POST",
      body: new URLSearchParams({ username }),
      headers: { origin: demo.url, ...headers },
    });

  it("keeps its development secret in data/secret.key, readable by its owner only", () => {
    const file = join(dir, "data", "secret.key");
    expect(existsSync(file)).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(demo.output()).toContain("SECRET_KEY is not set");
  });

  it("redirects a visitor without a session from / to /login, which shows the form", async () => {
    const root = await call("/");
    expect(root.status).toBe(303);
    expect(root.headers.get("location")).toBe("/login");
    expect(root.headers.getSetCookie()).toEqual([]);
    const page = await call("/login");
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<form method="post" action="/login">');
    expect(html).toContain('name="username"');
  });

  it("signs in with a new session id, greets the user, flashes a welcome once", async () => {
    const jar = new Jar();
    // An anonymous session first (logout leaves a flash message), as an attacker could plant one.
    await call("/logout", jar);
    const planted = jar.cookies.get("sid");
    expect(planted).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const response = await login("alice", jar);
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("/");
    const setCookie = response.headers.getSetCookie().find((h) => h.startsWith("sid="))!;
    expect(setCookie).toContain("HttpOnly");
    expect(setCookie).toContain("SameSite=Lax");
    expect(setCookie).not.toContain("Secure");
    expect(jar.cookies.get("sid")).not.toBe(planted);

    const first = await (await call("/", jar)).text();
    expect(first).toContain("<h1>Hello alice!</h1>");
    expect(first).toContain('<a href="/logout">Logout</a>');
    expect(first).toContain("Welcome, alice!");
    const second = await (await call("/", jar)).text();
    expect(second).toContain("<h1>Hello alice!</h1>");
    expect(second).not.toContain("Welcome, alice!");

    // The planted id was retired at login.
    const fixation = await fetch(`${demo.url}/`, { headers: { cookie: `sid=${planted}` }, redirect: "manual" });
    expect(fixation.status).toBe(303);
  });

  it.each([
    ["an empty name", "", "Please enter a username."],
    ["a blank name", "   ", "Please enter a username."],
    ["a 65-character name", "a".repeat(65), "at most 64 characters"],
    ["a control character", "ali\u0007ce", "control characters"],
    ["a right-to-left override", "\u202eecila", "control characters"],
  ])("re-renders the form with status 400 for %s", async (_case, username, message) => {
    const jar = new Jar();
    const response = await login(username, jar);
    expect(response.status).toBe(400);
    expect(await response.text()).toContain(message);
    expect(jar.cookies.has("sid")).toBe(false);
  });

  it("escapes what a visitor typed when it re-renders the form", async () => {
    const response = await login(`<script>alert(1)</script>${"x".repeat(64)}`, new Jar());
    expect(response.status).toBe(400);
    const html = await response.text();
    expect(html).not.toContain("<script>alert(1)</script>");
    expect(html).toContain("&lt;script&gt;");
  });

  it("logs out on the server, so a replayed copy of the old cookie is logged out too", async () => {
    const jar = new Jar();
    await login("bob", jar);
    const signedIn = jar.cookies.get("sid")!;
    const logout = await call("/logout", jar);
    expect(logout.status).toBe(303);
    expect(logout.headers.get("location")).toBe("/login");
    // The flash message travels in a new anonymous session, whose cookie replaces the signed-in one.
    expect(jar.cookies.get("sid")).not.toBe(signedIn);
    expect(await (await call("/login", jar)).text()).toContain("You have been logged out.");
    const replay = await fetch(`${demo.url}/`, { headers: { cookie: `sid=${signedIn}` }, redirect: "manual" });
    expect(replay.status).toBe(303);
    expect(replay.headers.get("location")).toBe("/login");
  });

  it("sets my_cookie on /setcookie with HttpOnly and SameSite=Lax, and reads it back on /getcookie", async () => {
    const jar = new Jar();
    const set = await call("/setcookie", jar);
    expect(set.status).toBe(200);
    expect(await set.text()).toContain("<h1>Hello Guest!</h1>");
    const header = set.headers.getSetCookie().find((h) => h.startsWith("my_cookie="))!;
    expect(header).toContain("HttpOnly");
    expect(header).toContain("SameSite=Lax");
    expect(header).not.toContain("Secure");
    const get = await call("/getcookie", jar);
    expect(await get.text()).toContain("Cookie value: This is a cookie value");
  });

  it("shows a hostile my_cookie as text, never as markup", async () => {
    const value = encodeURIComponent("<script>alert('x')</script>");
    const response = await fetch(`${demo.url}/getcookie`, { headers: { cookie: `my_cookie=${value}` } });
    const html = await response.text();
    expect(html).not.toContain("<script>alert");
    expect(html).toContain("Cookie value: &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;");
  });

  it("treats a tampered, truncated or stale session cookie as a logged-out visitor", async () => {
    const jar = new Jar();
    await login("carol", jar);
    const good = jar.cookies.get("sid")!;
    for (const bad of [good.slice(0, -1), `${good.slice(0, -1)}${good.endsWith("A") ? "B" : "A"}`, "x".repeat(4000), "%00%ff"]) {
      const response = await fetch(`${demo.url}/`, { headers: { cookie: `sid=${bad}` }, redirect: "manual" });
      expect(response.status).toBe(303);
      expect(response.headers.get("location")).toBe("/login");
    }
  });

  it("lists the user's sessions and signs out everywhere else", async () => {
    const laptop = new Jar();
    const phone = new Jar();
    await login("dora", laptop, { "user-agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0" });
    await login("dora", phone, { "user-agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Safari/604.1" });
    const page = await (await call("/sessions", laptop)).text();
    expect(page).toContain("Firefox on Linux");
    expect(page).toContain("Safari on iOS");
    expect(page.match(/This browser/g)).toHaveLength(1);

    const revoke = await call("/sessions/revoke-others", laptop, { method: "POST", headers: { origin: demo.url } });
    expect(revoke.status).toBe(303);
    expect(await (await call("/sessions", laptop)).text()).toContain("Signed out 1 other session.");
    expect((await call("/", phone)).status).toBe(303);
    expect((await call("/", laptop)).status).toBe(200);
  });

  it("refuses a form posted from another origin", async () => {
    const response = await call("/login", new Jar(), {
      method: "POST",
      body: new URLSearchParams({ username: "mallory" }),
      headers: { origin: "http://evil.example", "sec-fetch-site": "cross-site" },
    });
    expect(response.status).toBe(403);
  });

  it("refuses a request body over the limit with 413", async () => {
    const response = await login("x".repeat(10_000), new Jar());
    expect(response.status).toBe(413);
  });

  it("answers unknown paths with a 404 page", async () => {
    const response = await call("/no/such/page");
    expect(response.status).toBe(404);
    expect(await response.text()).toContain("There is no page here.");
  });

  it("answers a body that is not a form with 400, not 500", async () => {
    const response = await call("/login", new Jar(), {
      method: "POST",
      body: "--broken\r\nContent-Disposition: form-data; name=\"username\"\r\n\r\nalice",
      headers: { origin: demo.url, "content-type": "multipart/form-data; boundary=broken" },
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain("That form could not be read.");
  });

  it("keeps users logged in across a restart (SQLite store, same secret file)", async () => {
    const jar = new Jar();
    await login("erin", jar);
    expect(await demo.stop("SIGTERM")).toBe(0);
    expect(demo.output()).toContain("closing the session store");
    demo = await startDemo(dir);
    expect(await (await call("/", jar)).text()).toContain("<h1>Hello erin!</h1>");
  });
});

describe("the demo's configuration", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "tessera-demo-config-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("refuses to start in production without SECRET_KEY", async () => {
    const { code, output } = await failingDemo(dir, { NODE_ENV: "production", SECRET_KEY: "" });
    expect(code).toBe(1);
    expect(output).toContain("SECRET_KEY must be set");
    expect(existsSync(join(dir, "data", "secret.key"))).toBe(false);
  });

  it("refuses a short SECRET_KEY without printing it", async () => {
    const { code, output } = await failingDemo(dir, { SECRET_KEY: "hunter2-hunter2" });
    expect(code).toBe(1);
    expect(output).toContain("at least 32 bytes");
    expect(output).not.toContain("hunter2");
  });

  it.each(["cookie", "memory", "redis://127.0.0.1:6379", "postgres://postgres@127.0.0.1:5432/test", "memcached://127.0.0.1:11211"])(
    "signs a user in with SESSION_STORE=%s",
    async (store) => {
    const demo = await startDemo(dir, { SESSION_STORE: store, SECRET_KEY: "k".repeat(40) });
    try {
      const login = await fetch(`${demo.url}/login`, {
        method: "POST",
        body: new URLSearchParams({ username: "frank" }),
        headers: { origin: demo.url },
        redirect: "manual",
      });
      const cookie = login.headers.getSetCookie().find((h) => h.startsWith("sid="))!.split(";")[0]!;
      expect(await (await fetch(`${demo.url}/`, { headers: { cookie } })).text()).toContain("Hello frank!");
      // The sessions page lists, or says it cannot: never an error.
      const page = await fetch(`${demo.url}/sessions`, { headers: { cookie } });
      expect(page.status).toBe(200);
      expect(await page.text()).toMatch(store === "cookie" || store.startsWith("memcached") ? /cannot list/ : /This browser/);
    } finally {
      expect(await demo.stop()).toBe(0);
    }
    },
  );

  it("marks my_cookie Secure when a trusted proxy says the request came over HTTPS", async () => {
    const demo = await startDemo(dir, { TRUST_PROXY: "1", SECRET_KEY: "k".repeat(40) });
    try {
      const response = await fetch(`${demo.url}/setcookie`, { headers: { "x-forwarded-proto": "https" } });
      expect(response.headers.getSetCookie().find((h) => h.startsWith("my_cookie="))).toContain("Secure");
    } finally {
      await demo.stop();
    }
  });
});
