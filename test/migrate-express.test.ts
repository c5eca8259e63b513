// A real express-session app (express 5, connect-redis on the real Redis, passport-local) whose users log in, then
// the same app with tessera/express and the migration in its place: same cookie jar, still logged in, once.

import { RedisStore } from "connect-redis";
import { parseSetCookie } from "cookie";
import express, { type NextFunction, type Request, type RequestHandler, type Response } from "express";
import expressSession from "express-session";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import passport from "passport";
import { Strategy as LocalStrategy } from "passport-local";
import { createClient } from "redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSessions, type SessionEvent, type Sessions } from "tessera";
import { expressSessions } from "tessera/express";
import { expressSecrets, expressSessionMigration, verifyExpressSessionId, type ExpressSessionStore } from "tessera/migrate";
import { redisStore } from "tessera/stores/redis";
import { secret } from "./helpers.js";

const redisUrl = process.env.TESSERA_REDIS_URL ?? "redis://127.0.0.1:6379";
const run = `tessera-test:migrate-express:${process.pid.toString(36)}-${Date.now().toString(36)}`;
const legacyPrefix = `${run}:sess:`;
const legacySecret = "keyboard cat";

const users = new Map([
  ["alice", { id: "u1", username: "alice", password: "wonderland" }],
  ["bob", { id: "u2", username: "bob", password: "builder" }],
  ["carol", { id: "u3", username: "carol", password: "christmas" }],
  ["dave", { id: "u4", username: "dave", password: "diver" }],
]);

/** A browser's cookie jar for one origin: Set-Cookie in (an expired or emptied cookie goes), Cookie out. */
class Jar {
  readonly cookies = new Map<string, string>();
  constructor(cookie?: string) {
    if (cookie) this.take(cookie);
  }
  take(pair: string): void {
    const eq = pair.indexOf("=");
    this.cookies.set(pair.slice(0, eq), pair.slice(eq + 1));
  }
  update(response: globalThis.Response): void {
    for (const header of response.headers.getSetCookie()) {
      const { name, value, maxAge, expires } = parseSetCookie(header);
      if (!value || maxAge === 0 || (expires !== undefined && expires.getTime() <= Date.now())) this.cookies.delete(name);
      else this.take(header.split(";")[0]!);
    }
  }
  get header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; ");
  }
}

/**
 * A barrier on the migration's reads of the old store: once armed for `size` reads, each waits until all have
 * arrived, so that every request of a burst has read the old session before any of them commits.
 */
let barrier: { size: number; arrived: number; open: Promise<void>; release(): void } | undefined;
function armBarrier(size: number): void {
  let release!: () => void;
  const open = new Promise<void>((resolve) => (release = resolve));
  barrier = { size, arrived: 0, open, release };
}
function behindBarrier(inner: ExpressSessionStore): ExpressSessionStore {
  return {
    get(sid, callback) {
      const armed = barrier;
      if (armed === undefined) return inner.get(sid, callback);
      if (++armed.arrived === armed.size) {
        barrier = undefined;
        armed.release();
      }
      void armed.open.then(() => inner.get(sid, callback));
    },
    destroy: (sid, callback) => inner.destroy(sid, callback),
  };
}

/** One app process: express, a swappable session middleware, passport-local. */
function makeApp(middleware: () => RequestHandler): express.Express {
  const app = express();
  app.use(express.urlencoded({ extended: false }));
  app.use((req, res, next) => middleware()(req, res, next));
  app.use(passport.session());
  app.post("/login", passport.authenticate("local", { failureRedirect: "/login-failed" }), (_req, res) => res.redirect(303, "/me"));
  app.get("/me", (req, res) => {
    if (!req.user) return void res.status(401).send("nobody");
    res.send((req.user as { username: string }).username);
  });
  app.get("/cart/add", (req, res) => {
    const session = req.session as unknown as { cart?: string[] };
    session.cart = [...(session.cart ?? []), String(req.query.item)];
    res.json(session.cart);
  });
  app.get("/cart", (req, res) => res.json((req.session as unknown as { cart?: string[] }).cart ?? []));
  app.get("/boom", () => {
    throw new Error("handler failed");
  });
  app.use((error: { status?: number }, _req: Request, res: Response, _next: NextFunction) => {
    res.status(error.status ?? 500).send(`error ${error.status ?? 500}`);
  });
  return app;
}

async function listen(app: express.Express): Promise<{ server: Server; url: string }> {
  const server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe("moving a running express-session app to tessera", () => {
  const redis = createClient({ url: redisUrl }).on("error", () => undefined);
  const servers: Server[] = [];
  const managers: Sessions[] = [];
  const clients: ReturnType<typeof createClient>[] = [];
  const events: SessionEvent[] = [];
  /** The session middleware the apps run: express-session until the test swaps it. */
  let middleware: RequestHandler;
  let url: string;
  /** A second process of the same app, with its own clients, for the cross-process race. */
  let middlewareB: RequestHandler;
  let urlB: string;

  /** express-session as the old app configured it, on connect-redis. */
  const oldMiddleware = async (): Promise<RequestHandler> => {
    const client = await createClient({ url: redisUrl }).on("error", () => undefined).connect();
    clients.push(client);
    return expressSession({
      store: new RedisStore({ client, prefix: legacyPrefix }),
      secret: legacySecret,
      resave: false,
      saveUninitialized: false,
      cookie: { maxAge: 3_600_000, sameSite: "lax" },
    });
  };

  /** The new app: tessera on Redis, reading the old sessions once through its own connect-redis client. */
  const newMiddleware = async (): Promise<RequestHandler> => {
    const client = await createClient({ url: redisUrl }).on("error", () => undefined).connect();
    clients.push(client);
    const sessions = createSessions({
      secrets: [secret],
      store: redisStore({ url: redisUrl, prefix: `${run}:tessera:` }),
      onEvent: (event) => events.push(event),
      migrateFrom: [expressSessionMigration({ store: behindBarrier(new RedisStore({ client, prefix: legacyPrefix })), secrets: [legacySecret], cookieName: "connect.sid" })],
    });
    managers.push(sessions);
    return expressSessions(sessions) as RequestHandler;
  };

  beforeAll(async () => {
    await redis.connect();
    passport.use(
      new LocalStrategy((username, password, done) => {
        const user = users.get(username);
        done(null, user && user.password === password ? user : false);
      }),
    );
    passport.serializeUser((user, done) => done(null, (user as { id: string }).id));
    passport.deserializeUser((id: string, done) => done(null, [...users.values()].find((u) => u.id === id) ?? false));
    middleware = await oldMiddleware();
    middlewareB = middleware;
    const a = await listen(makeApp(() => middleware));
    const b = await listen(makeApp(() => middlewareB));
    servers.push(a.server, b.server);
    url = a.url;
    urlB = b.url;
  });

  afterAll(async () => {
    for (const server of servers) await new Promise((resolve) => server.close(resolve));
    for (const sessions of managers) await sessions.close();
    for (const client of clients) await client.close();
    const keys: string[] = [];
    for await (const batch of redis.scanIterator({ MATCH: `${run}:*`, COUNT: 500 })) keys.push(...batch);
    if (keys.length > 0) await redis.del(keys);
    await redis.close();
  });

  const call = async (jar: Jar, path: string, init: RequestInit = {}, base = url): Promise<globalThis.Response> => {
    const response = await fetch(base + path, { ...init, headers: { cookie: jar.header, ...(init.headers as object) }, redirect: "manual" });
    jar.update(response);
    return response;
  };
  const login = (jar: Jar, username: string) =>
    call(jar, "/login", {
      method: "POST",
      body: new URLSearchParams({ username, password: users.get(username)!.password }),
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
  /** The Redis key connect-redis keeps the session of `jar`'s connect.sid under. */
  const legacyKey = (jar: Jar): string => {
    const verdict = verifyExpressSessionId(decodeURIComponent(jar.cookies.get("connect.sid")!), expressSecrets(legacySecret));
    if (!("id" in verdict)) throw new Error("the jar holds no valid connect.sid");
    return `${legacyPrefix}${verdict.id}`;
  };

  // Users sign in while express-session runs.
  const alice = new Jar();
  const bob = new Jar();
  const carol = new Jar();
  const dave = new Jar();

  it("logs users in under express-session (the old app)", async () => {
    for (const [jar, name] of [[alice, "alice"], [bob, "bob"], [carol, "carol"], [dave, "dave"]] as const) {
      expect((await login(jar, name)).status).toBe(303);
      expect(await (await call(jar, "/me")).text()).toBe(name);
      expect([...jar.cookies.keys()]).toEqual(["connect.sid"]);
      expect(await redis.exists(legacyKey(jar))).toBe(1);
    }
    expect(await (await call(alice, "/cart/add?item=tea")).json()).toEqual(["tea"]);
  });

  it("keeps a user logged in across the swap: tessera cookie set, connect.sid cleared, the old Redis key gone", async () => {
    middleware = await newMiddleware();
    middlewareB = await newMiddleware();
    const oldCookie = `connect.sid=${alice.cookies.get("connect.sid")}`;
    const key = legacyKey(alice);

    const response = await call(alice, "/me");
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("alice");
    const setCookies = response.headers.getSetCookie();
    expect(setCookies.find((h) => h.startsWith("sid="))).toMatch(/^sid=[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{22}; Max-Age=\d+; Path=\/; Expires=.*; HttpOnly; SameSite=Lax$/);
    expect(setCookies.find((h) => h.startsWith("connect.sid="))).toMatch(/^connect\.sid=; Max-Age=0; Path=\/; Expires=Thu, 01 Jan 1970 00:00:00 GMT/);
    expect([...alice.cookies.keys()]).toEqual(["sid"]);
    expect(await redis.exists(key)).toBe(0);

    // The same jar goes on with the tessera cookie alone, data and user intact.
    expect(await (await call(alice, "/me")).text()).toBe("alice");
    expect(await (await call(alice, "/cart")).json()).toEqual(["tea"]);
    expect((await managers[0]!.userSessions("u1")).length).toBe(1);

    // The old cookie, replayed by itself (a copy an attacker kept), is an anonymous visitor.
    const replay = await fetch(`${url}/me`, { headers: { cookie: oldCookie } });
    expect(replay.status).toBe(401);
    expect(replay.headers.getSetCookie().some((h) => h.startsWith("sid="))).toBe(false);
    expect((await managers[0]!.userSessions("u1")).length).toBe(1);
  });

  it("saves nothing when the handler fails: the old session stays and migrates on the next request", async () => {
    const key = legacyKey(carol);
    const failed = await call(carol, "/boom");
    expect(failed.status).toBe(500);
    expect(failed.headers.getSetCookie()).toEqual([]);
    expect(await redis.exists(key)).toBe(1);
    expect(await (await call(carol, "/me")).text()).toBe("carol");
    expect([...carol.cookies.keys()]).toEqual(["sid"]);
    expect(await redis.exists(key)).toBe(0);
  });

  it("turns six parallel requests with one connect.sid, over two processes, into one tessera session", async () => {
    const key = legacyKey(bob);
    const copies = Array.from({ length: 6 }, () => new Jar(`connect.sid=${bob.cookies.get("connect.sid")}`));
    const before = events.length;
    armBarrier(copies.length);
    const responses = await Promise.all(copies.map((jar, i) => call(jar, "/me", {}, i % 2 === 0 ? url : urlB)));
    // Every request read the old session before any committed (the barrier), so each answered as bob...
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
    // ...and exactly one issued a session: the others set no cookie at all.
    const issued = copies.filter((jar) => jar.cookies.has("sid"));
    expect(issued).toHaveLength(1);
    expect(responses.filter((r) => r.headers.getSetCookie().length > 0)).toHaveLength(1);
    expect(await redis.exists(key)).toBe(0);
    expect((await managers[0]!.userSessions("u2")).length).toBe(1);
    expect(events.slice(before).filter((e) => e.type === "session_migrated")).toHaveLength(1);
    expect(await (await call(issued[0]!, "/me")).text()).toBe("bob");
  });

  it("answers the old cookie with a signature under another secret as an anonymous visitor, reading no old session", async () => {
    const forged = new Jar(`connect.sid=${encodeURIComponent(`s:${legacyKey(dave).slice(legacyPrefix.length)}.${"A".repeat(43)}`)}`);
    const response = await call(forged, "/me");
    expect(response.status).toBe(401);
    expect(await redis.exists(legacyKey(dave))).toBe(1);
    expect(events.at(-1)).toEqual({ type: "migration_rejected", from: "express-session", reason: "bad_signature" });
  });
});
