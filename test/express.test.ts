// tessera/express where express-session used to be: passport-local unchanged, express-session's habits
// (properties, in-place changes, callbacks), streams, and a store outage reaching next(err) as a 503.

import express, { type NextFunction, type Request, type Response } from "express";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import passport from "passport";
import { Strategy as LocalStrategy } from "passport-local";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSessions, type Sessions } from "tessera";
import { expressSessions } from "tessera/express";
import { sqliteStore } from "tessera/stores/sqlite";
import { secret } from "./helpers.js";

const users = new Map([
  ["alice", { id: "u1", username: "alice", password: "wonderland" }],
  ["bob", { id: "u2", username: "bob", password: "builder" }],
  ["carol", { id: "u3", username: "carol", password: "christmas" }],
]);

describe("tessera/express with passport-local and express-session habits", () => {
  let dir: string;
  let server: Server;
  let url: string;
  let sessions: Sessions;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "tessera-express-"));
    sessions = createSessions({ secrets: [secret], store: sqliteStore({ path: join(dir, "sessions.db"), gcInterval: false }) });

    passport.use(
      new LocalStrategy((username, password, done) => {
        const user = users.get(username);
        done(null, user && user.password === password ? user : false);
      }),
    );
    passport.serializeUser((user, done) => done(null, (user as { id: string }).id));
    passport.deserializeUser((id: string, done) => done(null, [...users.values()].find((u) => u.id === id) ?? false));

    const app = express();
    app.use(express.urlencoded({ extended: false }));
    app.use(expressSessions(sessions));
    app.use(passport.session());
    app.post("/login", passport.authenticate("local", { failureRedirect: "/login-failed" }), (req, res, next) => {
      // Bound to the user as well, so that sessions.userSessions and revokeUserSessions know it.
      req.session.signIn((req.user as { id: string }).id).then(() => res.redirect(303, "/me"), next);
    });
    app.get("/me", (req, res) => {
      if (!req.user) return void res.status(401).send("nobody");
      res.send((req.user as { username: string }).username);
    });
    app.post("/logout", (req, res, next) => {
      req.logout((error) => (error ? next(error) : res.redirect(303, "/me")));
    });
    app.post("/regenerate", (req, res, next) => {
      req.session.regenerate((error) => (error ? next(error) : res.redirect(303, "/me")));
    });
    app.get("/cart/add", (req, res) => {
      // express-session habits: properties, and objects changed in place.
      const session = req.session as unknown as { cart?: string[]; views?: number };
      if (!session.cart) session.cart = [];
      session.cart.push(String(req.query.item));
      session.views = (session.views ?? 0) + 1;
      res.json({ cart: session.cart, views: session.views });
    });
    app.get("/cart", (req, res) => {
      res.json(Object.assign({}, req.session));
    });
    app.get("/define", (req, res) => {
      // A data property defined rather than assigned is set too; an accessor is refused.
      Object.defineProperty(req.session, "plan", { value: "pro", writable: true, enumerable: true, configurable: true });
      const accessor = Reflect.defineProperty(req.session, "tier", { get: () => "gold", enumerable: true, configurable: true });
      res.json({ plan: (req.session as unknown as { plan?: string }).plan, accessor });
    });
    app.get("/stream", (req, res) => {
      (req.session as unknown as { streamed: boolean }).streamed = true;
      Readable.from(["one ", "two ", "three"]).pipe(res);
    });
    app.get("/save-callback", (req, res) => {
      (req.session as unknown as { saved: string }).saved = "yes";
      req.session.save((error) => res.send(error ? "error" : "saved"));
    });
    app.post("/remember", (req, res) => {
      // express-session's remember me: a lasting cookie, or one that ends with the browser.
      req.session.views = 1;
      if (req.query.remember === "yes") req.session.cookie.maxAge = 30 * 24 * 3600 * 1000;
      else req.session.cookie.expires = false;
      res.json({ maxAge: req.session.cookie.maxAge ?? null, expires: req.session.cookie.expires });
    });
    app.get("/id", (req, res) => {
      req.session.touch().reload(() => res.json({ sessionID: req.sessionID, id: req.session.id, persistent: req.session.persistent }));
    });
    app.use((error: { status?: number }, _req: Request, res: Response, _next: NextFunction) => {
      res.status(error.status ?? 500).send(`error ${error.status ?? 500}`);
    });
    server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await sessions.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const call = (path: string, cookie?: string, init: RequestInit = {}) =>
    fetch(url + path, { ...init, headers: { ...(cookie ? { cookie } : {}), ...(init.headers as object) }, redirect: "manual" });
  const cookieOf = (response: Response | globalThis.Response) => {
    const header = (response as globalThis.Response).headers.getSetCookie().find((h) => h.startsWith("sid="));
    return header?.split(";")[0];
  };
  const login = (password: string, cookie?: string, username = "alice") =>
    call("/login", cookie, {
      method: "POST",
      body: new URLSearchParams({ username, password }),
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });

  it("takes a data property defined on req.session as a set, and refuses an accessor", async () => {
    const response = await call("/define");
    expect(await response.json()).toEqual({ plan: "pro", accessor: false });
    expect(await (await call("/cart", cookieOf(response)!)).json()).toEqual({ plan: "pro" });
  });

  it("logs in with passport-local, under a new session id, and logs out", async () => {
    const planted = cookieOf(await call("/cart/add?item=tea"))!;
    const response = await login("wonderland", planted);
    expect(response.status).toBe(303);
    const cookie = cookieOf(response)!;
    expect(cookie).toMatch(/^sid=[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{22}$/);
    expect(cookie).not.toBe(planted);
    expect(await (await call("/me", cookie)).text()).toBe("alice");
    // The pre-login session id no longer resolves.
    expect((await call("/me", planted)).status).toBe(401);

    const logout = await call("/logout", cookie, { method: "POST" });
    expect(logout.status).toBe(303);
    expect((await call("/me", cookie)).status).toBe(401);
    const after = cookieOf(logout);
    expect(after).not.toBe(cookie);
  });

  it("ends the user binding on passport's req.logout(): userSessions no longer lists the session, and the old cookie is anonymous", async () => {
    const cookie = cookieOf(await login("builder", undefined, "bob"))!;
    expect(await (await call("/me", cookie)).text()).toBe("bob");
    expect(await sessions.userSessions("u2")).toHaveLength(1);

    const logout = await call("/logout", cookie, { method: "POST" });
    expect(logout.status).toBe(303);
    expect(logout.headers.getSetCookie().find((h) => h.startsWith("sid="))).toMatch(/^sid=;.*Max-Age=0/);
    expect(await sessions.userSessions("u2")).toEqual([]);
    expect((await call("/me", cookie)).status).toBe(401);
    expect(await (await call("/cart", cookie)).json()).toEqual({});

    // Passport's login regenerates, then sets passport.user: the next login is one listed session again.
    const again = cookieOf(await login("builder", cookie, "bob"))!;
    expect(await (await call("/me", again)).text()).toBe("bob");
    expect(await sessions.userSessions("u2")).toHaveLength(1);
  });

  it("ends the session and its user binding on req.session.regenerate(), as express-session does", async () => {
    const cookie = cookieOf(await login("christmas", undefined, "carol"))!;
    const withCart = await call("/cart/add?item=tea", cookie);
    expect(cookieOf(withCart)).toBeUndefined();
    expect(await sessions.userSessions("u3")).toHaveLength(1);

    const regenerated = await call("/regenerate", cookie, { method: "POST" });
    expect(regenerated.status).toBe(303);
    expect(regenerated.headers.getSetCookie().find((h) => h.startsWith("sid="))).toMatch(/^sid=;.*Max-Age=0/);
    expect(await sessions.userSessions("u3")).toEqual([]);
    expect((await call("/me", cookie)).status).toBe(401);
    expect(await (await call("/cart", cookie)).json()).toEqual({});
  });

  it("gives req.sessionID and req.session.id as the id userSessions lists, never the cookie's token", async () => {
    const anonymous = await (await call("/id")).json();
    expect(anonymous).toEqual({ sessionID: "", id: "", persistent: true });
    const cookie = cookieOf(await login("wonderland"))!;
    const { sessionID, id } = (await (await call("/id", cookie)).json()) as { sessionID: string; id: string };
    expect(id).toBe(sessionID);
    expect((await sessions.userSessions("u1")).map((listed) => listed.id)).toContain(sessionID);
    expect(cookie).not.toContain(sessionID);
  });

  it("keeps express-session's remember me: cookie.maxAge for a lasting cookie, cookie.expires = false for a browser-session one", async () => {
    const forgotten = await call("/remember", undefined, { method: "POST" });
    expect(await forgotten.json()).toEqual({ maxAge: null, expires: null });
    const header = forgotten.headers.getSetCookie().find((h) => h.startsWith("sid="))!;
    expect(header).not.toMatch(/Max-Age|Expires/);
    // Later requests keep the choice.
    expect(await (await call("/id", cookieOf(forgotten))).json()).toMatchObject({ persistent: false });

    const remembered = await call("/remember?remember=yes", undefined, { method: "POST" });
    const body = (await remembered.json()) as { maxAge: number; expires: string };
    expect(body.maxAge).toBeGreaterThan(0);
    expect(new Date(body.expires).getTime()).toBeGreaterThan(Date.now());
    expect(remembered.headers.getSetCookie().find((h) => h.startsWith("sid="))).toMatch(/Max-Age=\d+/);
  });

  it("refuses a wrong password without a session", async () => {
    const response = await login("wrong");
    expect(response.headers.get("location")).toBe("/login-failed");
    expect((await call("/me", cookieOf(response))).status).toBe(401);
  });

  it("saves objects changed in place and properties set directly", async () => {
    const first = await call("/cart/add?item=tea");
    const cookie = cookieOf(first)!;
    expect(await first.json()).toEqual({ cart: ["tea"], views: 1 });
    expect(await (await call("/cart/add?item=cake", cookie)).json()).toEqual({ cart: ["tea", "cake"], views: 2 });
    expect(await (await call("/cart", cookie)).json()).toEqual({ cart: ["tea", "cake"], views: 2 });
  });

  it("commits before a piped stream writes the head", async () => {
    const response = await call("/stream");
    expect(await response.text()).toBe("one two three");
    expect(await (await call("/cart", cookieOf(response))).json()).toEqual({ streamed: true });
  });

  it("calls save's callback, as express-session code expects", async () => {
    const response = await call("/save-callback");
    expect(await response.text()).toBe("saved");
    expect(await (await call("/cart", cookieOf(response))).json()).toEqual({ saved: "yes" });
  });

  it("passes a store outage while loading to next(err) with status 503", async () => {
    const cookie = cookieOf(await call("/cart/add?item=tea"))!;
    const broken = createSessions({ secrets: [secret], store: sqliteStore({ path: join(dir, "other.db"), gcInterval: false }) });
    await broken.close();
    const app = express();
    app.use(expressSessions(broken));
    app.get("/", (_req, res) => void res.send("unreachable"));
    app.use((error: { status?: number; code?: string }, _req: Request, res: Response, _next: NextFunction) => {
      res.status(error.status ?? 500).send(`${error.status} ${error.code}`);
    });
    const other = createServer(app);
    await new Promise<void>((resolve) => other.listen(0, "127.0.0.1", resolve));
    try {
      const response = await fetch(`http://127.0.0.1:${(other.address() as AddressInfo).port}/`, { headers: { cookie } });
      expect(response.status).toBe(503);
      expect(await response.text()).toBe("503 ERR_STORE_UNAVAILABLE");
    } finally {
      await new Promise((resolve) => other.close(resolve));
    }
  });
});
