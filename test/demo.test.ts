// The demo app over real HTTP on 127.0.0.1, run as `npm start` runs it: every route, every bad input, its
// headers, its files, its connections, and revocation racing a request in flight.

import Database from "better-sqlite3";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { request as httpRequest, type IncomingMessage } from "node:http";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCookieJar } from "../src/index.js";
import { failingDemo, startDemo, type RunningDemo } from "./servers/demo.js";

/** A SECRET_KEY for the runs that do not use the generated development key (32 bytes or more, not repetitive). */
const secretKey = "tessera-demo-test-secret-0123456789abcdef";

/** A tiny cookie jar: what a browser would send back to this one origin. */
class Jar {
  readonly cookies = new Map<string, string>();
  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; ");
  }
  take(setCookies: readonly string[]): void {
    for (const header of setCookies) {
      const [pair] = header.split(";");
      const eq = pair!.indexOf("=");
      const name = pair!.slice(0, eq);
      const value = pair!.slice(eq + 1);
      if (value === "" || /Max-Age=0/i.test(header)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
  copy(): Jar {
    const jar = new Jar();
    for (const [name, value] of this.cookies) jar.cookies.set(name, value);
    return jar;
  }
}

/** How many sessions the demo's SQLite store holds, read beside the running server (WAL lets readers in). */
function storedSessions(dir: string): number {
  const db = new Database(join(dir, "data", "sessions.db"), { readonly: true, fileMustExist: true });
  try {
    return (db.prepare("SELECT count(*) AS n FROM tessera_sessions").get() as { n: number }).n;
  } finally {
    db.close();
  }
}

/** `sid` Set-Cookie headers that carry a session (not the ones that clear it), without their values. */
const sessionCookiesSet = (setCookies: readonly string[]) =>
  setCookies.filter((h) => /^sid=[^;]/.test(h) && !/Max-Age=0/i.test(h)).map(() => "sid=<a session>");

/** Requests to one running demo, with a jar per simulated browser. */
function client(demo: () => RunningDemo) {
  const call = async (path: string, jar?: Jar, init: RequestInit & { headers?: Record<string, string> } = {}) => {
    const headers: Record<string, string> = { ...init.headers };
    if (jar && jar.cookies.size > 0) headers.cookie = jar.header();
    const response = await fetch(demo().url + path, { ...init, headers, redirect: "manual" });
    jar?.take(response.headers.getSetCookie());
    return response;
  };
  const login = (username: string, jar: Jar, headers: Record<string, string> = {}) =>
    call("/login", jar, {
      method: "POST",
      body: new URLSearchParams({ username }),
      headers: { origin: demo().url, ...headers },
    });
  const logout = (jar: Jar) => call("/logout", jar, { method: "POST", headers: { origin: demo().url } });
  /** The name the index page greets, or undefined when `/` sends the visitor to log in. */
  const signedInAs = async (jar: Jar): Promise<string | undefined> => {
    const response = await call("/", jar);
    if (response.status === 303) return undefined;
    return /<h1>Hello (.*)!<\/h1>/.exec(await response.text())?.[1];
  };
  return { call, login, logout, signedInAs };
}

describe("the demo app over HTTP", () => {
  let dir: string;
  let demo: RunningDemo;
  const { call, login, logout, signedInAs } = client(() => demo);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "tessera-demo-"));
    demo = await startDemo(dir);
  });

  afterAll(async () => {
    await demo?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("keeps its development secret in data/secret.key, readable by its owner only", () => {
    const file = join(dir, "data", "secret.key");
    expect(existsSync(file)).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(demo.output()).toContain("SECRET_KEY is not set");
  });

  it("keeps data/, the session database and its -wal and -shm files readable by their owner only", async () => {
    // A write, so that SQLite has its write-ahead log and shared-memory index open.
    await login("olga", new Jar());
    expect(statSync(join(dir, "data")).mode & 0o777).toBe(0o700);
    for (const file of ["sessions.db", "sessions.db-wal", "sessions.db-shm"]) {
      expect({ file, mode: (statSync(join(dir, "data", file)).mode & 0o777).toString(8) }).toEqual({ file, mode: "600" });
    }
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
    const response = await login("alice", jar);
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("/");
    const setCookie = response.headers.getSetCookie().find((h) => h.startsWith("sid="))!;
    expect(setCookie).toContain("HttpOnly");
    expect(setCookie).toContain("SameSite=Lax");
    expect(setCookie).not.toContain("Secure");

    const first = await (await call("/", jar)).text();
    expect(first).toContain("<h1>Hello alice!</h1>");
    expect(first).toContain('<a href="/logout">Logout</a>');
    expect(first).toContain("Welcome, alice!");
    const second = await (await call("/", jar)).text();
    expect(second).toContain("<h1>Hello alice!</h1>");
    expect(second).not.toContain("Welcome, alice!");
  });

  it("gives a planted session cookie a new id at login and retires the planted one (session fixation)", async () => {
    // The attacker's own signed-in session, planted in the victim's browser.
    const victim = new Jar();
    await login("mallory", victim);
    const planted = victim.cookies.get("sid")!;
    // A store-mode value: a 256-bit token and its tag, `<43>.<22>` base64url characters.
    expect(planted).toMatch(/^[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{22}$/);

    await login("alice", victim);
    expect(victim.cookies.get("sid")).not.toBe(planted);
    expect(await signedInAs(victim)).toBe("alice");
    const attacker = new Jar();
    attacker.cookies.set("sid", planted);
    expect(await signedInAs(attacker)).toBeUndefined();
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

  it("shows a logout button on GET /logout and logs out only when it is pressed", async () => {
    const jar = new Jar();
    await login("gina", jar);
    const page = await call("/logout", jar);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<form method="post" action="/logout">');
    expect(html).toMatch(/<button type="submit">Log out<\/button>/);
    expect(page.headers.getSetCookie()).toEqual([]);
    expect(await signedInAs(jar)).toBe("gina");
  });

  it("does not log a user out from another site: a cross-site image or form cannot", async () => {
    const jar = new Jar();
    await login("hank", jar);
    // <img src="http://demo/logout">: a GET, which only shows the page.
    const image = await call("/logout", jar, { headers: { "sec-fetch-site": "cross-site", "sec-fetch-dest": "image" } });
    expect(image.status).toBe(200);
    // <form method="post" action="http://demo/logout">: refused by the same-origin check.
    const form = await call("/logout", jar, {
      method: "POST",
      headers: { origin: "http://evil.example", "sec-fetch-site": "cross-site", "content-type": "application/x-www-form-urlencoded" },
    });
    expect(form.status).toBe(403);
    // The same without an Origin header, as an old browser or a privacy extension sends it.
    const bare = await call("/logout", jar, { method: "POST", headers: { "sec-fetch-site": "cross-site" } });
    expect(bare.status).toBe(403);
    expect(await signedInAs(jar)).toBe("hank");
  });

  it("logs out on the server with POST /logout, so a replayed copy of the old cookie is logged out too (store mode)", async () => {
    const jar = new Jar();
    await login("bob", jar);
    const signedIn = jar.cookies.get("sid")!;
    const response = await logout(jar);
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("/login?logged_out");
    expect(response.headers.getSetCookie().find((h) => h.startsWith("sid="))).toMatch(/^sid=;.*Max-Age=0/);
    expect(jar.cookies.has("sid")).toBe(false);
    expect(await (await call("/login?logged_out", jar)).text()).toContain("You have been logged out.");
    const thief = new Jar();
    thief.cookies.set("sid", signedIn);
    expect(await signedInAs(thief)).toBeUndefined();
  });

  it("leaves no store row behind when users log in and out", async () => {
    const before = storedSessions(dir);
    for (let i = 0; i < 20; i++) {
      const jar = new Jar();
      await login(`visitor${i}`, jar);
      expect(storedSessions(dir)).toBe(before + 1);
      await logout(jar);
      await call("/login?logged_out", jar);
    }
    expect(storedSessions(dir)).toBe(before);
  });

  it("never costs a store row for an anonymous visitor, on any route", async () => {
    const origin = { origin: demo.url };
    const form = { ...origin, "content-type": "application/x-www-form-urlencoded" };
    const visits: [string, RequestInit & { headers?: Record<string, string> }][] = [
      ["/", {}],
      ["/login", {}],
      ["/login?logged_out", {}],
      ["/logout", {}],
      ["/logout", { method: "POST", headers: origin }],
      ["/setcookie", {}],
      ["/getcookie", {}],
      ["/sessions", {}],
      ["/sessions/revoke-others", { method: "POST", headers: origin }],
      ["/style.css", {}],
      ["/no/such/page", {}],
      ["/no/such/page", { method: "POST", headers: form, body: "a=b" }],
      ["/login", { method: "POST", headers: form, body: "username=" }],
      ["/login", { method: "POST", headers: form, body: `username=${"a".repeat(65)}` }],
      ["/login", { method: "POST", headers: form, body: "username=%00" }],
      ["/login", { method: "POST", headers: form, body: "not a form at all" }],
      ["/login", { method: "POST", headers: { ...origin, "content-type": "multipart/form-data; boundary=x" }, body: "--x\r\nbroken" }],
      ["/login", { method: "POST", headers: { ...origin, "content-type": "application/json" }, body: "{" }],
      ["/login", { method: "POST", headers: form, body: `username=${"x".repeat(10_000)}` }],
      ["/login", { method: "POST", headers: { ...form, origin: "http://evil.example" }, body: "username=eve" }],
    ];
    const cookies = [undefined, "sid=garbage", `sid=${"A".repeat(43)}`, `sid=${"A".repeat(43)}.${"A".repeat(22)}`, "sid=; my_cookie=x"];
    const before = storedSessions(dir);
    let requests = 0;
    for (let round = 0; round < 3; round++) {
      for (const cookie of cookies) {
        for (const [path, init] of visits) {
          const headers = { ...init.headers, ...(cookie ? { cookie } : {}) };
          const response = await fetch(demo.url + path, { ...init, headers, redirect: "manual" });
          await response.arrayBuffer();
          expect({ path, status: response.status }).not.toEqual({ path, status: 500 });
          expect({ path, method: init.method, set: sessionCookiesSet(response.headers.getSetCookie()) }).toEqual({ path, method: init.method, set: [] });
          requests++;
        }
      }
    }
    expect(requests).toBeGreaterThanOrEqual(200);
    expect(storedSessions(dir)).toBe(before);
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

  it("keeps a dark theme a year in a signed cookie, ignores a forged one, and takes no theme from another site", async () => {
    const form = { "content-type": "application/x-www-form-urlencoded" };
    const chosen = await fetch(`${demo.url}/theme`, { method: "POST", headers: { origin: demo.url, ...form }, body: "theme=dark", redirect: "manual" });
    expect(chosen.status).toBe(303);
    const [setCookie] = chosen.headers.getSetCookie();
    expect(setCookie).toMatch(/^theme=ZGFyaw\.[A-Za-z0-9_-]{50}; Max-Age=31536000; Path=\/; Expires=[^;]+; HttpOnly; SameSite=Lax$/);
    const page = async (cookie?: string) => (await fetch(`${demo.url}/login`, { headers: cookie ? { cookie } : {} })).text();
    expect(await page(setCookie!.split(";")[0])).toContain('<body class="dark">');
    expect(await page()).toContain("<body>");
    // Set by hand, unsigned: the default theme.
    expect(await page("theme=dark")).toContain("<body>");
    const crossSite = await fetch(`${demo.url}/theme`, {
      method: "POST",
      headers: { origin: "http://evil.example", "sec-fetch-site": "cross-site", ...form },
      body: "theme=dark",
      redirect: "manual",
    });
    expect(crossSite.status).toBe(403);
    expect(crossSite.headers.getSetCookie()).toEqual([]);
  });

  it("shows only a my_cookie it signed, and even that as text, never as markup", async () => {
    // A value planted by a visitor (or another site on the domain) is not signed: it reads as not set.
    const planted = encodeURIComponent("<script>alert('x')</script>");
    const refused = await (await fetch(`${demo.url}/getcookie`, { headers: { cookie: `my_cookie=${planted}` } })).text();
    expect(refused).not.toContain("<script>alert");
    expect(refused).toContain("Cookie value: (not set)");
    // Signed with the demo's own key (from its secret file), a hostile value is still shown escaped.
    const jar = createCookieJar({ secrets: [readFileSync(join(dir, "data", "secret.key"), "utf8").trim()] });
    const signed = (await jar.serialize("my_cookie", "<script>alert('x')</script>", { signed: true, secure: false })).split(";")[0]!;
    const html = await (await fetch(`${demo.url}/getcookie`, { headers: { cookie: signed } })).text();
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
    expect(await response.text()).toContain("That request is too large.");
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

describe("the demo's security headers", () => {
  let dir: string;
  let demo: RunningDemo;
  const { call, login } = client(() => demo);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "tessera-demo-headers-"));
    demo = await startDemo(dir, { SECRET_KEY: secretKey });
  });
  afterAll(async () => {
    await demo?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Every kind of response the demo gives: pages, redirects, the stylesheet, and each error page. */
  const responses = async (): Promise<[string, Response][]> => {
    const jar = new Jar();
    await login("ivy", jar);
    const form = { origin: demo.url, "content-type": "application/x-www-form-urlencoded" };
    return [
      ["GET / signed in", await call("/", jar)],
      ["GET / anonymous (303)", await call("/")],
      ["GET /login", await call("/login")],
      ["GET /logout", await call("/logout", jar)],
      ["GET /setcookie", await call("/setcookie")],
      ["GET /getcookie", await call("/getcookie")],
      ["GET /sessions", await call("/sessions", jar)],
      ["GET /style.css", await call("/style.css")],
      ["POST /login 400", await call("/login", undefined, { method: "POST", headers: form, body: "username=" })],
      ["POST /login 403", await call("/login", undefined, { method: "POST", headers: { ...form, origin: "http://evil.example" }, body: "username=x" })],
      ["GET 404", await call("/no/such/page")],
      ["POST /login 413", await call("/login", undefined, { method: "POST", headers: form, body: `username=${"x".repeat(10_000)}` })],
    ];
  };

  it("sends a Content-Security-Policy without inline script, frame-ancestors 'none', Referrer-Policy and nosniff on every response", async () => {
    for (const [name, response] of await responses()) {
      await response.arrayBuffer();
      const csp = response.headers.get("content-security-policy") ?? "";
      const directives = new Map(csp.split(";").map((d) => d.trim().split(/\s+/)).map(([key, ...values]) => [key!, values]));
      expect({ name, scripts: directives.get("script-src") }).toEqual({ name, scripts: ["'none'"] });
      expect({ name, frameAncestors: directives.get("frame-ancestors") }).toEqual({ name, frameAncestors: ["'none'"] });
      expect({ name, defaultSrc: directives.get("default-src") }).toEqual({ name, defaultSrc: ["'none'"] });
      expect({ name, csp }).not.toEqual({ name, csp: expect.stringMatching(/unsafe-inline|unsafe-eval|\*/) });
      expect({ name, referrer: response.headers.get("referrer-policy") }).toEqual({ name, referrer: "same-origin" });
      expect({ name, nosniff: response.headers.get("x-content-type-options") }).toEqual({ name, nosniff: "nosniff" });
      expect({ name, frames: response.headers.get("x-frame-options") }).toEqual({ name, frames: "DENY" });
    }
  });

  it("serves pages with no inline script, event handler, javascript: URL or inline style", async () => {
    for (const [name, response] of await responses()) {
      const text = await response.text();
      if (!(response.headers.get("content-type") ?? "").startsWith("text/html")) continue;
      expect({ name, script: /<script/i.test(text) }).toEqual({ name, script: false });
      expect({ name, handler: /\son[a-z]+\s*=/i.test(text) }).toEqual({ name, handler: false });
      expect({ name, javascriptUrl: /javascript:/i.test(text) }).toEqual({ name, javascriptUrl: false });
      expect({ name, inlineStyle: /<style|\sstyle\s*=/i.test(text) }).toEqual({ name, inlineStyle: false });
      expect({ name, stylesheet: text.includes('<link rel="stylesheet" href="/style.css"/>') }).toEqual({ name, stylesheet: true });
    }
  });

  it("serves the stylesheet as text/css that the policy allows", async () => {
    const response = await call("/style.css");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/css; charset=utf-8");
    expect(await response.text()).toContain("box-sizing");
    expect(response.headers.get("content-security-policy")).toContain("style-src 'self'");
  });
});

describe("the demo's connections after a 413", () => {
  let dir: string;
  let demo: RunningDemo;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "tessera-demo-413-"));
    demo = await startDemo(dir, { SECRET_KEY: secretKey });
  });
  afterAll(async () => {
    await demo?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /**
   * Sends an oversized login on a keep-alive socket and, once the whole 413 has arrived, a second request on the
   * same socket. Resolves with everything the server sent and how the socket ended.
   */
  const oversizedThenAnother = (bodyBytes: number, chunked: boolean) =>
    new Promise<{ received: string; ended: "fin" | "error"; secondAnswered: boolean }>((resolve) => {
      const { port } = new URL(demo.url);
      const socket = connect(Number(port), "127.0.0.1");
      let received = "";
      let sentSecond = false;
      let ended: "fin" | "error" = "fin";
      socket.on("data", (chunk) => {
        received += chunk.toString("latin1");
        if (!sentSecond && received.includes("</html>")) {
          sentSecond = true;
          // A keep-alive client reuses the socket unless the response said Connection: close.
          if (!/\r\nconnection: close\r\n/i.test(received)) socket.write(`GET /login HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
        }
      });
      socket.on("error", () => (ended = "error"));
      socket.on("close", () => resolve({ received, ended, secondAnswered: /HTTP\/1\.1 200/.test(received) }));
      const body = `username=${"x".repeat(bodyBytes)}`;
      const framing = chunked ? "Transfer-Encoding: chunked" : `Content-Length: ${body.length}`;
      socket.write(
        `POST /login HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nOrigin: http://127.0.0.1:${port}\r\n` +
          `Content-Type: application/x-www-form-urlencoded\r\nConnection: keep-alive\r\n${framing}\r\n\r\n`,
      );
      socket.write(chunked ? `${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n` : body);
    });

  it.each([
    ["a 1 MB body with Content-Length", 1_000_000, false],
    ["a 1 MB chunked body", 1_000_000, true],
    ["a 10 kB body with Content-Length", 10_000, false],
  ])("answers %s with a whole 413 that says Connection: close, then closes the socket cleanly", async (_case, bytes, chunked) => {
    const { received, ended, secondAnswered } = await oversizedThenAnother(bytes, chunked);
    expect(received.startsWith("HTTP/1.1 413 ")).toBe(true);
    const head = received.slice(0, received.indexOf("\r\n\r\n"));
    // Either the server said it would close (so a client never reuses the socket) or it answered the reuse.
    expect({ closeAnnounced: /\r\nconnection: close(\r\n|$)/i.test(head), secondAnswered }).toEqual({ closeAnnounced: true, secondAnswered: false });
    expect(received).toContain("That request is too large.");
    expect(received.trimEnd().endsWith("</html>")).toBe(true);
    expect(ended).toBe("fin");
  });

  it("never fails a fetch after a 413, on a reused or a new connection", async () => {
    const failures: string[] = [];
    for (const bytes of [10_000, 200_000, 1_000_000, 4_000_000]) {
      for (let i = 0; i < 5; i++) {
        try {
          const big = await fetch(`${demo.url}/login`, {
            method: "POST",
            headers: { origin: demo.url, "content-type": "application/x-www-form-urlencoded" },
            body: `username=${"x".repeat(bytes)}`,
          });
          await big.arrayBuffer();
          expect(big.status).toBe(413);
          const next = await fetch(`${demo.url}/login`);
          await next.arrayBuffer();
          expect(next.status).toBe(200);
        } catch (error) {
          failures.push(`${bytes} bytes, round ${i}: ${(error as Error).message} ${String((error as { cause?: { code?: string } }).cause?.code ?? "")}`);
        }
      }
    }
    expect(failures).toEqual([]);
  });
});

describe("the demo's files", () => {
  it("tightens a data folder, database and secret key left readable by others", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tessera-demo-modes-"));
    try {
      mkdirSync(join(dir, "data"), { mode: 0o755 });
      chmodSync(join(dir, "data"), 0o755);
      writeFileSync(join(dir, "data", "secret.key"), `${randomBytes(32).toString("base64url")}\n`, { mode: 0o644 });
      writeFileSync(join(dir, "data", "sessions.db"), "", { mode: 0o644 });
      chmodSync(join(dir, "data", "sessions.db"), 0o644);
      const demo = await startDemo(dir);
      try {
        expect((statSync(join(dir, "data")).mode & 0o777).toString(8)).toBe("700");
        expect((statSync(join(dir, "data", "secret.key")).mode & 0o777).toString(8)).toBe("600");
        expect((statSync(join(dir, "data", "sessions.db")).mode & 0o777).toString(8)).toBe("600");
      } finally {
        await demo.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * A login held open: the headers go out with `Expect: 100-continue`, so the server answers "100 Continue" as it
 * dispatches the request to the app, then half the body. Node writes the 100 before it runs the app, and the app
 * loads the session from SQLite (synchronous) in the same turn of the event loop, before it reads any other
 * socket: once the client has the 100, any request it sends next is handled after this one loaded its session.
 */
async function holdLogin(url: string, jar: Jar, username: string) {
  const body = new URLSearchParams({ username }).toString();
  const half = Math.floor(body.length / 2);
  const held = httpRequest(`${url}/login`, {
    method: "POST",
    agent: false,
    headers: {
      cookie: jar.header(),
      origin: url,
      "content-type": "application/x-www-form-urlencoded",
      "content-length": String(body.length),
      expect: "100-continue",
    },
  });
  const response = new Promise<IncomingMessage>((resolve, reject) => {
    held.once("response", resolve);
    held.once("error", reject);
  });
  held.flushHeaders();
  await once(held, "continue");
  held.write(body.slice(0, half));
  return {
    /** Sends the rest of the body; resolves with the answer, its cookies taken into `jar`. */
    async finish(): Promise<{ status: number; location: string | undefined; setCookie: string[] }> {
      held.end(body.slice(half));
      const answer = await response;
      answer.resume();
      await once(answer, "end");
      const setCookie = answer.headers["set-cookie"] ?? [];
      jar.take(setCookie);
      return { status: answer.statusCode!, location: answer.headers.location, setCookie };
    },
  };
}

describe("revocation racing a login in flight, over HTTP on the demo in store mode", () => {
  let dir: string;
  let demo: RunningDemo;
  const { call, login, logout, signedInAs } = client(() => demo);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "tessera-demo-race-"));
    demo = await startDemo(dir, { SECRET_KEY: secretKey, SESSION_STORE: "sqlite:data/sessions.db" });
  });
  afterAll(async () => {
    await demo?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("a login held open by a slow body does not come back signed in after the user signs out everywhere else", async () => {
    const laptop = new Jar();
    const stolen = new Jar();
    await login("alice", laptop);
    await login("alice", stolen);
    const thief = stolen.copy();
    const rowsBefore = storedSessions(dir);

    const held = await holdLogin(demo.url, thief, "alice");
    const revoke = await call("/sessions/revoke-others", laptop, { method: "POST", headers: { origin: demo.url } });
    expect(revoke.status).toBe(303);
    expect(await (await call("/sessions", laptop)).text()).toContain("Signed out 1 other session.");
    const answer = await held.finish();

    // The handler ran to its redirect, but the commit found the session revoked: no cookie, no session.
    expect(answer.status).toBe(303);
    expect(sessionCookiesSet(answer.setCookie)).toEqual([]);
    expect(await signedInAs(thief)).toBeUndefined();
    expect(await signedInAs(stolen)).toBeUndefined();
    // Only the laptop's session is left: the held request left nothing behind.
    expect(storedSessions(dir)).toBe(rowsBefore - 1);
    expect((await (await call("/sessions", laptop)).text()).match(/<tr>/g)).toHaveLength(2);
    expect(await signedInAs(laptop)).toBe("alice");
  });

  it("a login held open by a slow body does not come back signed in after the same session logs out from another copy", async () => {
    const phone = new Jar();
    await login("bruno", phone);
    const thief = phone.copy();
    const rowsBefore = storedSessions(dir);

    const held = await holdLogin(demo.url, thief, "bruno");
    const loggedOut = await logout(phone);
    expect(loggedOut.status).toBe(303);
    expect(phone.cookies.has("sid")).toBe(false);
    const answer = await held.finish();

    expect(answer.status).toBe(303);
    expect(sessionCookiesSet(answer.setCookie)).toEqual([]);
    expect(await signedInAs(thief)).toBeUndefined();
    expect(storedSessions(dir)).toBe(rowsBefore - 1);
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
      const demo = await startDemo(dir, { SESSION_STORE: store, SECRET_KEY: secretKey });
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
        const text = await page.text();
        expect(text).toMatch(store === "cookie" || store.startsWith("memcached") ? /cannot list/ : /This browser/);
        // Each says why in its own terms: memcached is a store, not cookie mode.
        if (store.startsWith("memcached")) expect(text).toContain("The memcached session store cannot list");
        if (store.startsWith("memcached")) expect(text).not.toContain("cookie mode");
      } finally {
        expect(await demo.stop()).toBe(0);
      }
    },
  );

  it("logs out a copied cookie with SESSION_STORE=cookie too, as the logout page says: revocation in its SQLite file", async () => {
    const demo = await startDemo(dir, { SESSION_STORE: "cookie", SECRET_KEY: secretKey });
    const { login, logout, signedInAs, call } = client(() => demo);
    try {
      const jar = new Jar();
      await login("gus", jar);
      const copy = jar.copy();
      expect(await signedInAs(copy)).toBe("gus");
      expect(await (await call("/logout", jar)).text()).toContain("cookie is logged out too");
      await logout(jar);
      expect(await signedInAs(jar)).toBeUndefined();
      // The sealed cookie still opens, but its session id is revoked in data/sessions.db.
      expect(await signedInAs(copy)).toBeUndefined();
    } finally {
      expect(await demo.stop()).toBe(0);
    }
  });

  it("signs out every other browser with SESSION_STORE=cookie, and keeps this one", async () => {
    const demo = await startDemo(dir, { SESSION_STORE: "cookie", SECRET_KEY: secretKey });
    const { login, signedInAs, call } = client(() => demo);
    try {
      const laptop = new Jar();
      const phone = new Jar();
      await login("hana", laptop);
      await login("hana", phone);
      const page = await (await call("/sessions", laptop)).text();
      expect(page).toContain("cannot list them");
      expect(page).toContain("Sign out everywhere else");
      const revoked = await call("/sessions/revoke-others", laptop, { method: "POST", headers: { origin: demo.url } });
      expect(revoked.status).toBe(303);
      expect(await (await call("/sessions", laptop)).text()).toContain("Signed out every other session.");
      expect(await signedInAs(phone)).toBeUndefined();
      expect(await signedInAs(laptop)).toBe("hana");
    } finally {
      expect(await demo.stop()).toBe(0);
    }
  });

  it("marks my_cookie Secure when a trusted proxy says the request came over HTTPS", async () => {
    const demo = await startDemo(dir, { TRUST_PROXY: "1", SECRET_KEY: secretKey });
    try {
      const response = await fetch(`${demo.url}/setcookie`, { headers: { "x-forwarded-proto": "https" } });
      expect(response.headers.getSetCookie().find((h) => h.startsWith("my_cookie="))).toContain("Secure");
    } finally {
      await demo.stop();
    }
  });

  it("believes only the X-Forwarded-Proto entry its one trusted proxy appended, not one the client wrote", async () => {
    const demo = await startDemo(dir, { TRUST_PROXY: "1", SECRET_KEY: secretKey });
    try {
      // The client sent "https" itself; the proxy, reached over plain http, appended "http".
      const spoofed = await fetch(`${demo.url}/setcookie`, { headers: { "x-forwarded-proto": "https, http" } });
      expect(spoofed.headers.getSetCookie().find((h) => h.startsWith("my_cookie="))).not.toContain("Secure");
      const real = await fetch(`${demo.url}/setcookie`, { headers: { "x-forwarded-proto": "http, https" } });
      expect(real.headers.getSetCookie().find((h) => h.startsWith("my_cookie="))).toContain("Secure");
    } finally {
      await demo.stop();
    }
  });

  it("refuses a TRUST_PROXY that is not true, false or a number of proxies", async () => {
    const { code, output } = await failingDemo(dir, { TRUST_PROXY: "yes please", SECRET_KEY: secretKey });
    expect(code).toBe(1);
    expect(output).toContain("TRUST_PROXY must be");
  });
});
