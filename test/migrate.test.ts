// createSessions({ migrateFrom }) with express-session's MemoryStore and connect-redis as the old store: what a migrated
// request sees and writes, and what a planted cookie, a replay, a race, a huge record or a failing old store can do.

import { RedisStore } from "connect-redis";
import session from "express-session";
import { createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { createClient } from "redis";
import { afterAll, describe, expect, it } from "vitest";
import { createSessions, TesseraError, type SessionEvent, type Sessions, type Store } from "../src/index.js";
import { expressSecrets, expressSessionMigration, signExpressSessionId, type ExpressSessionMigrationOptions, type ExpressSessionStore } from "../src/migrate/index.js";
import { memoryStore } from "../src/stores/memory/index.js";
import { gatedStore } from "./servers/gated-store.js";
import { request, secret, setCookieFor } from "./helpers.js";
import { sha256 } from "./store-conformance.js";

const legacySecret = "keyboard cat";
const redisUrl = process.env.TESSERA_REDIS_URL ?? "redis://127.0.0.1:6379";
const runPrefix = `tessera-test:migrate:${process.pid.toString(36)}-${Date.now().toString(36)}:`;

/** The Cookie header a browser holding express-session's cookie for `sid` sends (URL-encoded, as express-session sets it). */
const legacyCookie = (sid: string, secrets: string | string[] = legacySecret): string =>
  `connect.sid=${encodeURIComponent(signExpressSessionId(sid, expressSecrets(secrets)))}`;

/** Stores a session the way express-session does at the end of a request: its data beside its `cookie`. */
function plant(store: session.Store, sid: string, data: Record<string, unknown>, expires: Date | null = new Date(Date.now() + 3_600_000)): Promise<void> {
  const cookie = { originalMaxAge: expires === null ? null : 3_600_000, expires, secure: false, httpOnly: true, path: "/" };
  return new Promise((resolve, reject) => store.set(sid, { cookie, ...data } as unknown as session.SessionData, (error) => (error ? reject(error) : resolve())));
}

/** What an express-session store holds under `sid`, or undefined. */
function held(store: ExpressSessionStore, sid: string): Promise<unknown> {
  return new Promise((resolve, reject) => store.get(sid, (error, value) => (error ? reject(error) : resolve(value ?? undefined))));
}

/** The old store as the migration sees it, counting its calls (each goes to the real store). */
function counting(inner: ExpressSessionStore): { store: ExpressSessionStore; calls: { get: number; destroy: number } } {
  const calls = { get: 0, destroy: 0 };
  return {
    calls,
    store: {
      get: (sid, callback) => (calls.get++, inner.get(sid, callback)),
      destroy: (sid, callback) => (calls.destroy++, inner.destroy(sid, callback)),
    },
  };
}

/** A tessera cookie value a response set under `name` (`sid` over http), or undefined. */
const tesseraValue = (response: Response, name = "sid"): string | undefined => {
  const value = setCookieFor(response, name)?.value;
  return value ? value : undefined;
};

interface Setup {
  sessions: Sessions;
  legacy: session.MemoryStore;
  calls: { get: number; destroy: number };
  events: SessionEvent[];
  store: Store | undefined;
}

function setup(
  options: { store?: Store | null; maxRecordBytes?: number; clock?: () => number; migration?: Partial<ExpressSessionMigrationOptions>; legacy?: session.MemoryStore } = {},
): Setup {
  const legacy = options.legacy ?? new session.MemoryStore();
  const { store: countedLegacy, calls } = counting(legacy);
  const events: SessionEvent[] = [];
  const store = options.store === null ? undefined : (options.store ?? memoryStore());
  const sessions = createSessions({
    secrets: [secret],
    store,
    maxRecordBytes: options.maxRecordBytes,
    clock: options.clock,
    storeTimeout: "1s",
    onEvent: (event) => events.push(event),
    migrateFrom: [expressSessionMigration({ store: countedLegacy, secrets: [legacySecret], ...options.migration })],
  });
  return { sessions, legacy, calls, events, store };
}

const migrated = (events: SessionEvent[]) => events.filter((e) => e.type === "session_migrated");
const rejectedFor = (events: SessionEvent[]) => events.flatMap((e) => (e.type === "migration_rejected" ? [e.reason] : []));

describe("express-session migration (store mode)", () => {
  it("carries the data and passport.user over, binds the user, retires the old record and cookie in one response", async () => {
    const { sessions, legacy, calls, events, store } = setup();
    await plant(legacy, "sid-alice", { passport: { user: "u1" }, cart: ["apple"] });

    const loaded = await sessions.load(request(legacyCookie("sid-alice")));
    expect(loaded.isNew).toBe(false);
    expect(loaded.get("cart")).toEqual(["apple"]);
    expect(loaded.get("passport")).toEqual({ user: "u1" });
    expect(loaded.has("cookie")).toBe(false);
    expect(loaded.userId).toBe("u1");
    const response = await sessions.commit(loaded, new Response("ok"));

    const token = tesseraValue(response);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{22}$/);
    expect(setCookieFor(response, "connect.sid")).toMatchObject({ value: "", maxAge: 0, path: "/" });
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(await held(legacy, "sid-alice")).toBeUndefined();
    expect(calls.destroy).toBe(1);
    // Hashed at rest: the store knows the token's SHA-256 only.
    expect(await store!.get(token!)).toBeUndefined();
    expect(await store!.get(sha256(token!))).toBeDefined();

    const next = await sessions.load(request(`sid=${token}`));
    expect(next.get("cart")).toEqual(["apple"]);
    expect(next.userId).toBe("u1");
    expect((await sessions.userSessions("u1")).map((s) => s.current)).toEqual([false]);
    expect(migrated(events)).toEqual([{ type: "session_migrated", from: "express-session" }]);
  });

  it("answers a replayed connect.sid after the migration with an anonymous session, and writes nothing", async () => {
    const { sessions, legacy, events } = setup();
    await plant(legacy, "sid-alice", { passport: { user: "u1" } });
    await sessions.commit(await sessions.load(request(legacyCookie("sid-alice"))), new Response("ok"));

    const replay = await sessions.load(request(legacyCookie("sid-alice")));
    expect(replay.isNew).toBe(true);
    expect(replay.userId).toBeUndefined();
    expect(replay.keys()).toEqual([]);
    const response = await sessions.commit(replay, new Response("ok"));
    expect(tesseraValue(response)).toBeUndefined();
    // The dead cookie is deleted, so the browser stops sending it.
    expect(setCookieFor(response, "connect.sid")?.maxAge).toBe(0);
    expect(rejectedFor(events)).toEqual(["unknown_session"]);
    expect(await sessions.userSessions("u1")).toHaveLength(1);
  });

  it("never reads the old store for a bad signature, and keeps the cookie (the secret may be missing from the list)", async () => {
    const { sessions, legacy, calls, events } = setup();
    await plant(legacy, "sid-alice", { passport: { user: "u1" } });
    const forged = await sessions.load(request(legacyCookie("sid-alice", "another secret")));
    expect(forged.isNew).toBe(true);
    const response = await sessions.commit(forged, new Response("ok"));
    expect(response.headers.getSetCookie()).toEqual([]);
    expect(calls.get).toBe(0);
    expect(await held(legacy, "sid-alice")).toBeDefined();
    expect(rejectedFor(events)).toEqual(["bad_signature"]);
  });

  it("verifies with every old secret in order, so a cookie signed before a rotation migrates", async () => {
    const { sessions, legacy } = setup({ migration: { secrets: ["new keyboard cat", legacySecret] } });
    await plant(legacy, "sid-old", { n: 1 });
    const loaded = await sessions.load(request(legacyCookie("sid-old", legacySecret)));
    expect(loaded.get("n")).toBe(1);
  });

  it("does not migrate a session express-session would call expired (cookie.expires in the past by the manager's clock)", async () => {
    const { sessions, legacy, events } = setup({ clock: () => Date.now() + 2 * 3_600_000 });
    await plant(legacy, "sid-stale", { passport: { user: "u1" } });
    const loaded = await sessions.load(request(legacyCookie("sid-stale")));
    expect(loaded.isNew).toBe(true);
    expect(loaded.userId).toBeUndefined();
    expect(rejectedFor(events)).toEqual(["expired"]);
  });

  it("migrates a browser-session cookie (no cookie.expires) and takes a numeric passport.user as the user id", async () => {
    const { sessions, legacy } = setup();
    await plant(legacy, "sid-n", { passport: { user: 42 } }, null);
    const loaded = await sessions.load(request(legacyCookie("sid-n")));
    expect(loaded.userId).toBe("42");
    expect(loaded.get("passport")).toEqual({ user: 42 });
  });

  it("binds the user the userId option names, and leaves an anonymous old session anonymous", async () => {
    const { sessions, legacy } = setup({ migration: { userId: (data) => (data.user as { id?: string } | undefined)?.id } });
    await plant(legacy, "sid-user", { user: { id: "u7", name: "Grace" } });
    await plant(legacy, "sid-anon", { cart: ["pear"] });
    expect((await sessions.load(request(legacyCookie("sid-user")))).userId).toBe("u7");
    const anonymous = await sessions.load(request(legacyCookie("sid-anon")));
    expect(anonymous.userId).toBeUndefined();
    expect(anonymous.get("cart")).toEqual(["pear"]);
    const token = tesseraValue(await sessions.commit(anonymous, new Response("ok")));
    expect((await sessions.load(request(`sid=${token}`))).get("cart")).toEqual(["pear"]);
  });

  it("gives a valid tessera session precedence over a connect.sid planted beside it: the old store is not read, nothing merges", async () => {
    const { sessions, legacy, calls, events } = setup();
    const own = await sessions.load(request());
    own.set("cart", ["mine"]);
    const token = tesseraValue(await sessions.commit(own, new Response("ok")));
    // An attacker's own signed-in legacy session, tossed into the victim's browser from a sibling subdomain.
    await plant(legacy, "sid-attacker", { passport: { user: "attacker" }, cart: ["theirs"] });

    const loaded = await sessions.load(request(`sid=${token}; ${legacyCookie("sid-attacker")}`));
    expect(loaded.get("cart")).toEqual(["mine"]);
    expect(loaded.userId).toBeUndefined();
    const response = await sessions.commit(loaded, new Response("ok"));
    expect(calls.get).toBe(0);
    expect(await held(legacy, "sid-attacker")).toBeDefined();
    // The legacy cookie is deleted (it can only be dead weight or planted); the tessera cookie is left alone.
    expect(setCookieFor(response, "connect.sid")?.maxAge).toBe(0);
    expect(setCookieFor(response, "sid")).toBeUndefined();
    expect(rejectedFor(events)).toEqual(["tessera_session"]);
  });

  it("deletes the old cookie with the Path and Domain the old app set it with, Secure over https", async () => {
    const { sessions, legacy } = setup({ migration: { cookie: { path: "/app", domain: "example.com" } } });
    await plant(legacy, "sid-alice", { n: 1 });
    const loaded = await sessions.load(request(legacyCookie("sid-alice"), { url: "https://example.com/app" }));
    const response = await sessions.commit(loaded, new Response("ok"));
    expect(setCookieFor(response, "connect.sid")).toMatchObject({ value: "", maxAge: 0, path: "/app", domain: "example.com", secure: true });
    expect(tesseraValue(response, "__Host-sid")).toBeDefined();
  });

  it("refuses an old record over maxRecordBytes: anonymous, the old session and cookie kept for a larger limit", async () => {
    const { sessions, legacy, events } = setup({ maxRecordBytes: 1024 });
    await plant(legacy, "sid-huge", { passport: { user: "u1" }, blob: "x".repeat(5000) });
    const loaded = await sessions.load(request(legacyCookie("sid-huge")));
    expect(loaded.isNew).toBe(true);
    expect(loaded.has("blob")).toBe(false);
    const response = await sessions.commit(loaded, new Response("ok"));
    expect(response.headers.getSetCookie()).toEqual([]);
    expect(await held(legacy, "sid-huge")).toBeDefined();
    expect(rejectedFor(events)).toEqual(["too_large"]);
  });

  it("refuses an old record with __proto__ or constructor keys, polluting nothing", async () => {
    const { sessions, legacy, events } = setup();
    // express-session's MemoryStore keeps JSON text: what a hostile writer of the old store could have left.
    const sessionsText = (legacy as unknown as { sessions: Record<string, string> }).sessions;
    const cookie = { originalMaxAge: 3_600_000, expires: new Date(Date.now() + 3_600_000).toISOString(), httpOnly: true, path: "/" };
    sessionsText["sid-top"] = `{"cookie":${JSON.stringify(cookie)},"__proto__":{"polluted":true},"passport":{"user":"u1"}}`;
    sessionsText["sid-deep"] = `{"cookie":${JSON.stringify(cookie)},"prefs":{"a":{"constructor":{"prototype":{"polluted":true}}}}}`;
    for (const sid of ["sid-top", "sid-deep"]) {
      const loaded = await sessions.load(request(legacyCookie(sid)));
      expect(loaded.isNew).toBe(true);
      expect(loaded.keys()).toEqual([]);
      expect((await sessions.commit(loaded, new Response("ok"))).headers.getSetCookie()).toEqual([]);
    }
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
    expect(rejectedFor(events)).toEqual(["bad_data", "bad_data"]);
  });

  it("ends the old session too when the migrating request destroys (signs out)", async () => {
    const { sessions, legacy, events } = setup();
    await plant(legacy, "sid-alice", { passport: { user: "u1" } });
    const loaded = await sessions.load(request(legacyCookie("sid-alice")));
    await loaded.destroy();
    const response = await sessions.commit(loaded, new Response("ok"));
    expect(await held(legacy, "sid-alice")).toBeUndefined();
    expect(tesseraValue(response)).toBeUndefined();
    expect(setCookieFor(response, "connect.sid")?.maxAge).toBe(0);
    expect(await sessions.userSessions("u1")).toEqual([]);
    expect(migrated(events)).toEqual([]);
    expect((await sessions.load(request(legacyCookie("sid-alice")))).isNew).toBe(true);
  });

  it("ends the old session too when a failed request destroyed the migrating session: a sign-out stays done", async () => {
    const { sessions, legacy } = setup();
    await plant(legacy, "sid-alice", { passport: { user: "u1" } });
    const loaded = await sessions.load(request(legacyCookie("sid-alice")));
    await loaded.destroy();
    const response = await sessions.commit(loaded, new Response("error", { status: 500 }), { failed: true });
    expect(tesseraValue(response)).toBeUndefined();
    expect(setCookieFor(response, "connect.sid")?.maxAge).toBe(0);
    expect(await held(legacy, "sid-alice")).toBeUndefined();
    expect((await sessions.load(request(legacyCookie("sid-alice")))).isNew).toBe(true);
  });

  it("saves nothing for a failed request that did not destroy: the old session stays for the next one", async () => {
    const { sessions, legacy } = setup();
    await plant(legacy, "sid-alice", { passport: { user: "u1" } });
    const loaded = await sessions.load(request(legacyCookie("sid-alice")));
    loaded.set("half", "done");
    const response = await sessions.commit(loaded, new Response("error", { status: 500 }), { failed: true });
    expect(response.headers.getSetCookie()).toEqual([]);
    expect(await held(legacy, "sid-alice")).toBeDefined();
    expect(await sessions.userSessions("u1")).toEqual([]);
    expect((await sessions.load(request(legacyCookie("sid-alice")))).userId).toBe("u1");
  });

  it("issues a fresh session bound to the new user when the migrating request signs in", async () => {
    const { sessions, legacy } = setup();
    await plant(legacy, "sid-cart", { cart: ["apple"] });
    const loaded = await sessions.load(request(legacyCookie("sid-cart"), { headers: { "user-agent": "Firefox" } }));
    await loaded.signIn("u2");
    const token = tesseraValue(await sessions.commit(loaded, new Response("ok")));
    const next = await sessions.load(request(`sid=${token}`));
    expect(next.userId).toBe("u2");
    expect(next.get("cart")).toEqual(["apple"]);
    expect(await held(legacy, "sid-cart")).toBeUndefined();
    expect((await sessions.userSessions("u2")).map((s) => s.userAgent)).toEqual(["Firefox"]);
  });

  it("retires an old session the request emptied, and issues nothing", async () => {
    const { sessions, legacy } = setup();
    await plant(legacy, "sid-cart", { cart: ["apple"] });
    const loaded = await sessions.load(request(legacyCookie("sid-cart")));
    loaded.clear();
    const response = await sessions.commit(loaded, new Response("ok"));
    expect(tesseraValue(response)).toBeUndefined();
    expect(setCookieFor(response, "connect.sid")?.maxAge).toBe(0);
    expect(await held(legacy, "sid-cart")).toBeUndefined();
  });

  it("keeps this request's changes in the migrated session", async () => {
    const { sessions, legacy } = setup();
    await plant(legacy, "sid-alice", { passport: { user: "u1" }, views: 1 });
    const loaded = await sessions.load(request(legacyCookie("sid-alice")));
    loaded.update("views", (n) => (n as number) + 1);
    loaded.flash("notice", "welcome back");
    const token = tesseraValue(await sessions.commit(loaded, new Response("ok")));
    const next = await sessions.load(request(`sid=${token}`));
    expect(next.get("views")).toBe(2);
    expect(next.readFlash("notice")).toBe("welcome back");
  });

  describe("two requests with one connect.sid", () => {
    /** Loads two requests with the same legacy cookie, holds the first one's claim deletion, commits the second. */
    async function race(a: Setup, b: Setup, gated: ReturnType<typeof gatedStore>) {
      const cookie = legacyCookie("sid-alice");
      const first = await a.sessions.load(request(cookie));
      const second = await b.sessions.load(request(cookie));
      expect([first.userId, second.userId]).toEqual(["u1", "u1"]);
      first.set("from", "first");
      second.set("from", "second");
      const hold = gated.hold("delete");
      const firstCommit = a.sessions.commit(first, new Response("first"));
      await hold.reached;
      const secondResponse = await b.sessions.commit(second, new Response("second"));
      hold.release();
      return { firstResponse: await firstCommit, secondResponse };
    }

    it("end with one tessera session in one process: the other request sets no cookie, the old record goes once", async () => {
      const one = setup();
      await plant(one.legacy, "sid-alice", { passport: { user: "u1" } });
      const loaded = await Promise.all(["first", "second"].map(async (from) => {
        const session = await one.sessions.load(request(legacyCookie("sid-alice")));
        session.set("from", from);
        return session;
      }));
      expect(loaded.map((s) => s.userId)).toEqual(["u1", "u1"]);
      const responses = await Promise.all(loaded.map((s) => one.sessions.commit(s, new Response("ok"))));
      const tokens = responses.map((r) => tesseraValue(r));
      expect(tokens.filter((t) => t !== undefined)).toHaveLength(1);
      const winner = tokens.findIndex((t) => t !== undefined);
      // Only the winner deletes the old cookie: the loser leaves the browser the winner's headers.
      expect(responses.map((r) => setCookieFor(r, "connect.sid")?.maxAge)).toEqual(winner === 0 ? [0, undefined] : [undefined, 0]);
      expect(one.calls.destroy).toBe(1);
      expect(await one.sessions.userSessions("u1")).toHaveLength(1);
      expect((await one.sessions.load(request(`sid=${tokens[winner]}`))).get("from")).toBe(["first", "second"][winner]);
      expect(rejectedFor(one.events)).toEqual(["already_migrated"]);
    });

    it("end with one tessera session across two processes sharing the stores", async () => {
      const gated = gatedStore(memoryStore());
      const legacy = new session.MemoryStore();
      // Two managers with their own migrations and queues, as two processes would have, over shared backends.
      const a = setup({ store: gated.store, legacy });
      const b = setup({ store: gated.store, legacy });
      await plant(legacy, "sid-alice", { passport: { user: "u1" } });
      const { firstResponse, secondResponse } = await race(a, b, gated);
      expect(tesseraValue(firstResponse)).toBeUndefined();
      expect(tesseraValue(secondResponse)).toBeDefined();
      expect(a.calls.destroy + b.calls.destroy).toBe(1);
      expect(await a.sessions.userSessions("u1")).toHaveLength(1);
    });

    it("a request that read the old session earlier loses to the migrated marker while the winner is still retiring it", async () => {
      const store = memoryStore();
      const legacy = new session.MemoryStore();
      // Process A's old store: its delete is held until the test lets it go.
      let reached!: () => void;
      let release!: () => void;
      const destroyReached = new Promise<void>((resolve) => (reached = resolve));
      const destroyReleased = new Promise<void>((resolve) => (release = resolve));
      const heldLegacy: ExpressSessionStore = {
        get: (sid, callback) => legacy.get(sid, callback),
        destroy: (sid, callback) => {
          reached();
          void destroyReleased.then(() => legacy.destroy(sid, callback));
        },
      };
      const a = setup({ store, legacy, migration: { store: heldLegacy } });
      const b = setup({ store, legacy });
      await plant(legacy, "sid-alice", { passport: { user: "u1" } });
      const slow = await b.sessions.load(request(legacyCookie("sid-alice")));
      const winner = await a.sessions.load(request(legacyCookie("sid-alice")));

      const winning = a.sessions.commit(winner, new Response("ok"));
      await destroyReached;
      // A's claim is gone (moved to its new session) and the old record is still there: B makes a claim again and
      // wins it, and only the marker A wrote stops a second session.
      const late = await b.sessions.commit(slow, new Response("late"));
      release();
      const won = await winning;
      expect(tesseraValue(late)).toBeUndefined();
      expect(setCookieFor(late, "connect.sid")).toBeUndefined();
      expect(tesseraValue(won)).toBeDefined();
      expect(await a.sessions.userSessions("u1")).toHaveLength(1);
      expect(await held(legacy, "sid-alice")).toBeUndefined();
    });

    it("a request that read the old session before another migrated it cannot bring it back after a sign-out", async () => {
      const { sessions, legacy, events } = setup();
      await plant(legacy, "sid-alice", { passport: { user: "u1" } });
      const slow = await sessions.load(request(legacyCookie("sid-alice")));
      const fast = await sessions.load(request(legacyCookie("sid-alice")));
      const token = tesseraValue(await sessions.commit(fast, new Response("ok")));
      const signOut = await sessions.load(request(`sid=${token}`));
      await signOut.destroy();
      await sessions.commit(signOut, new Response("bye"));

      slow.set("late", true);
      const response = await sessions.commit(slow, new Response("late"));
      expect(tesseraValue(response)).toBeUndefined();
      expect(await sessions.userSessions("u1")).toEqual([]);
      expect(rejectedFor(events)).toContain("already_migrated");
    });
  });

  it("fails closed when the old store's record cannot be deleted: the new session is withdrawn, the next request migrates", async () => {
    const legacy = new session.MemoryStore();
    let failDestroy = true;
    const destroy = legacy.destroy.bind(legacy);
    legacy.destroy = (sid, callback) => (failDestroy ? callback?.(new Error("connection lost")) : destroy(sid, callback));
    const { sessions } = setup({ legacy });
    await plant(legacy, "sid-alice", { passport: { user: "u1" } });

    const first = await sessions.load(request(legacyCookie("sid-alice")));
    await expect(sessions.commit(first, new Response("ok"))).rejects.toMatchObject({ code: "ERR_STORE_UNAVAILABLE" });
    expect(await sessions.userSessions("u1")).toEqual([]);
    expect(await held(legacy, "sid-alice")).toBeDefined();

    failDestroy = false;
    const second = await sessions.load(request(legacyCookie("sid-alice")));
    const token = tesseraValue(await sessions.commit(second, new Response("ok")));
    expect(token).toBeDefined();
    expect(await sessions.userSessions("u1")).toHaveLength(1);
  });

  it("refuses a migrateFrom entry that is not a migration, naming it", () => {
    expect(() => createSessions({ secrets: [secret], migrateFrom: [{} as never] })).toThrow(/migrateFrom\[0\]/);
    expect(() => expressSessionMigration({ store: {} as never, secrets: [legacySecret] })).toThrow(TesseraError);
    expect(() => expressSessionMigration({ store: new session.MemoryStore(), secrets: [] })).toThrow(/secrets/);
    expect(() => expressSessionMigration({ store: new session.MemoryStore(), secrets: "x", cookieName: "bad name" })).toThrow(/cookieName/);
  });
});

describe("express-session migration (cookie mode)", () => {
  it("seals the old session into the cookie and retires the old record", async () => {
    const { sessions, legacy } = setup({ store: null });
    await plant(legacy, "sid-alice", { passport: { user: "u1" }, cart: ["apple"] });
    const response = await sessions.commit(await sessions.load(request(legacyCookie("sid-alice"))), new Response("ok"));
    const value = tesseraValue(response);
    expect(setCookieFor(response, "connect.sid")?.maxAge).toBe(0);
    expect(await held(legacy, "sid-alice")).toBeUndefined();
    const next = await sessions.load(request(`sid=${value}`));
    expect(next.userId).toBe("u1");
    expect(next.get("cart")).toEqual(["apple"]);
  });

  it("lets only one of two concurrent requests set the cookie", async () => {
    const { sessions, legacy, calls } = setup({ store: null });
    await plant(legacy, "sid-alice", { passport: { user: "u1" } });
    const loaded = await Promise.all([1, 2].map(() => sessions.load(request(legacyCookie("sid-alice")))));
    const responses = await Promise.all(loaded.map((s) => sessions.commit(s, new Response("ok"))));
    expect(responses.map((r) => tesseraValue(r) !== undefined).sort()).toEqual([false, true]);
    expect(calls.destroy).toBe(1);
  });

  it("refuses an old session too large for a cookie, keeping it", async () => {
    const { sessions, legacy, events } = setup({ store: null });
    await plant(legacy, "sid-huge", { blob: "x".repeat(5000) });
    const loaded = await sessions.load(request(legacyCookie("sid-huge")));
    expect(loaded.isNew).toBe(true);
    expect(rejectedFor(events)).toEqual(["too_large"]);
  });
});

describe("express-session migration with a failing old store (connect-redis)", () => {
  const servers: Server[] = [];
  const sockets: Socket[] = [];
  afterAll(() => {
    for (const socket of sockets) socket.destroy();
    for (const server of servers) server.close();
  });

  it("answers ERR_STORE_UNAVAILABLE (503) when the old Redis is unreachable, never an anonymous session", async () => {
    // A client that is not connected: connect-redis's get rejects, as it does while Redis is down.
    const client = createClient({ url: redisUrl, disableOfflineQueue: true });
    const { sessions } = setup({ migration: { store: new RedisStore({ client, prefix: runPrefix }) } });
    const error = await sessions.load(request(legacyCookie("sid-alice"))).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "ERR_STORE_UNAVAILABLE", status: 503 });
    expect(String((error as Error).message)).not.toContain("sid-alice");
  });

  it("answers ERR_STORE_UNAVAILABLE after storeTimeout when the old Redis never answers", async () => {
    const server = createServer((socket) => sockets.push(socket));
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const client = createClient({ url: `redis://127.0.0.1:${(server.address() as AddressInfo).port}` }).on("error", () => undefined);
    void client.connect().catch(() => undefined);
    const { sessions } = setup({ migration: { store: new RedisStore({ client, prefix: runPrefix }) } });
    await expect(sessions.load(request(legacyCookie("sid-alice")))).rejects.toMatchObject({ code: "ERR_STORE_UNAVAILABLE" });
    await client.destroy();
  });

  it("does not ask the old store at all for a request without its cookie", async () => {
    const client = createClient({ url: redisUrl, disableOfflineQueue: true });
    const { sessions } = setup({ migration: { store: new RedisStore({ client, prefix: runPrefix }) } });
    expect((await sessions.load(request())).isNew).toBe(true);
  });
});

