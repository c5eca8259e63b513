// Cookie mode with `revocation`: sign-out and revokeUserSessions refuse every copy of a cookie, on this process at
// once and on others within cacheFor; the options checked at start-up; the store down fails closed.

import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { jwtCodec } from "../src/codecs/jwt/index.js";
import { createSessions, TesseraError, type SessionEvent, type SessionsOptions, type Store } from "../src/index.js";
import { memoryStore } from "../src/stores/memory/index.js";
import { cookieHeader, manualClock, request, secret } from "./helpers.js";
import { intercept, spy } from "./store-conformance.js";

type Data = { username?: string; visits?: number };

function errorOf(fn: () => unknown): TesseraError {
  try {
    fn();
  } catch (error) {
    if (error instanceof TesseraError) return error;
    throw error;
  }
  throw new Error("expected a TesseraError");
}

/** Two processes sharing one revocation store, with one clock the test moves. */
function setup(options: Partial<SessionsOptions> = {}, store: Store = memoryStore()) {
  const clock = manualClock();
  const events: SessionEvent[] = [];
  const open = (extra: Partial<SessionsOptions> = {}) =>
    createSessions<Data>({ secrets: [secret], revocation: store, clock: clock.now, onEvent: (e) => events.push(e), ...options, ...extra });
  return { clock, events, store, open, sessions: open() };
}

type Sessions = ReturnType<typeof setup>["sessions"];

async function signIn(sessions: Sessions, userId: string, userAgent = "Firefox"): Promise<string> {
  const session = await sessions.load(request(undefined, { headers: { "user-agent": userAgent } }));
  await session.signIn(userId);
  session.set("username", userId);
  return cookieHeader(await sessions.commit(session, new Response("ok")));
}

async function userOf(sessions: Sessions, cookie: string): Promise<string | undefined> {
  const session = await sessions.load(request(cookie));
  await sessions.commit(session, new Response("ok"));
  return session.userId;
}

async function signOut(sessions: Sessions, cookie: string): Promise<Response> {
  const session = await sessions.load(request(cookie));
  expect(session.userId).toBeDefined();
  await session.destroy();
  return sessions.commit(session, new Response("bye"));
}

describe("sessions_revoked in store mode", () => {
  it("is reported for revokeUserSessions and for a revokeSession that ended a session", async () => {
    const events: SessionEvent[] = [];
    const sessions = createSessions<Data>({ secrets: [secret], store: memoryStore(), onEvent: (e) => events.push(e) });
    const session = await sessions.load(request());
    await session.signIn("alice");
    await sessions.commit(session, new Response());
    const id = sessions.sessionId(session)!;
    expect(await sessions.revokeSession("alice", id)).toBe(true);
    expect(events.filter((e) => e.type === "sessions_revoked")).toEqual([{ type: "sessions_revoked", scope: "session" }]);
    expect(await sessions.revokeSession("alice", id)).toBe(false);
    expect(await sessions.revokeUserSessions("alice")).toBe(0);
    expect(events.filter((e) => e.type === "sessions_revoked")).toEqual([
      { type: "sessions_revoked", scope: "session" },
      { type: "sessions_revoked", scope: "user" },
    ]);
  });
});

describe("the revocation option", () => {
  it("refuses revocation together with a store, naming the option", () => {
    const error = errorOf(() => createSessions({ secrets: [secret], store: memoryStore(), revocation: memoryStore() }));
    expect(error.code).toBe("ERR_INVALID_OPTION");
    expect(error.message).toContain("`revocation`");
  });

  it("refuses anything but a store or { store, cacheFor }", () => {
    for (const revocation of [{}, "redis://x", { store: {} }, { get: () => undefined }, null]) {
      const error = errorOf(() => createSessions({ secrets: [secret], revocation: revocation as unknown as Store }));
      expect(error.code, JSON.stringify(revocation)).toBe("ERR_INVALID_OPTION");
      expect(error.message).toContain("`revocation`");
    }
  });

  it("refuses a cacheFor that is not a duration or 0, naming it", () => {
    for (const cacheFor of [-1, "soon", Number.NaN]) {
      const error = errorOf(() => createSessions({ secrets: [secret], revocation: { store: memoryStore(), cacheFor: cacheFor as never } }));
      expect(error.code).toBe("ERR_INVALID_OPTION");
      expect(error.message).toContain("revocation.cacheFor");
    }
    expect(() => createSessions({ secrets: [secret], revocation: { store: memoryStore(), cacheFor: 0 } })).not.toThrow();
    expect(() => createSessions({ secrets: [secret], revocation: { store: memoryStore(), cacheFor: "30s" } })).not.toThrow();
  });
});

describe("cookie mode with revocation", () => {
  it("gives a signed-in session an id at sign-in and keeps it on every cookie re-issued from it", async () => {
    const { sessions, clock } = setup();
    const anonymous = await sessions.load(request());
    expect(sessions.sessionId(anonymous)).toBeUndefined();
    anonymous.set("visits", 1);
    const guest = cookieHeader(await sessions.commit(anonymous, new Response()));
    // An anonymous session keeps cookie mode's id of its cookie value (Express's req.sessionID), which revokes nothing.
    const guestId = sessions.sessionId(await sessions.load(request(guest)))!;
    expect(guestId).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await sessions.revokeSession("alice", guestId)).toBe(false);
    const session = await sessions.load(request());
    await session.signIn("alice");
    const cookie = cookieHeader(await sessions.commit(session, new Response()));
    const id = sessions.sessionId(session);
    expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    clock.advance(3 * 3_600_000);
    const later = await sessions.load(request(cookie));
    await later.regenerate();
    later.set("visits", 2);
    const reissued = cookieHeader(await sessions.commit(later, new Response()));
    expect(reissued).not.toBe(cookie);
    expect(sessions.sessionId(await sessions.load(request(reissued)))).toBe(id);
  });

  it("refuses a copy of the cookie once its session signed out, at once on this process", async () => {
    const { sessions, events } = setup();
    const cookie = await signIn(sessions, "alice");
    const copy = cookie;
    const response = await signOut(sessions, cookie);
    expect(response.headers.getSetCookie().join()).toMatch(/sid=;/);
    expect(await userOf(sessions, copy)).toBeUndefined();
    expect(events).toContainEqual({ type: "cookie_rejected", reason: "revoked" });
    expect(events).toContainEqual({ type: "sessions_revoked", scope: "session" });
  });

  it("refuses a copy on another process once cacheFor has passed, and not before: the documented staleness", async () => {
    const { open, clock } = setup({ revocation: undefined });
    const shared = memoryStore();
    const here = open({ revocation: { store: shared, cacheFor: "5s" } });
    const there = open({ revocation: { store: shared, cacheFor: "5s" } });
    const cookie = await signIn(here, "alice");
    expect(await userOf(there, cookie)).toBe("alice"); // there caches "nothing revoked" for 5s
    await signOut(here, cookie);
    expect(await userOf(here, cookie)).toBeUndefined();
    clock.advance(4_999);
    expect(await userOf(there, cookie)).toBe("alice");
    clock.advance(1);
    expect(await userOf(there, cookie)).toBeUndefined();
  });

  it("reads the store on every signed-in request with cacheFor 0, and never for an anonymous one", async () => {
    const watched = spy(memoryStore());
    const { sessions } = setup({ revocation: { store: watched.store, cacheFor: 0 } });
    const anonymous = await sessions.load(request());
    anonymous.set("visits", 1);
    const guest = cookieHeader(await sessions.commit(anonymous, new Response()));
    for (let i = 0; i < 3; i++) await userOf(sessions, guest);
    expect(watched.calls.get).toBe(0);
    const cookie = await signIn(sessions, "alice");
    for (let i = 0; i < 3; i++) await userOf(sessions, cookie);
    expect(watched.calls.get).toBe(3);
  });

  it("revokes every session of a user signed in before revokeUserSessions, and only that user's", async () => {
    const { sessions, events, clock } = setup();
    const laptop = await signIn(sessions, "alice");
    const phone = await signIn(sessions, "alice", "Safari");
    const bob = await signIn(sessions, "bob");
    expect(await sessions.revokeUserSessions("alice")).toBe(0);
    expect(events).toContainEqual({ type: "sessions_revoked", scope: "user" });
    expect(await userOf(sessions, laptop)).toBeUndefined();
    expect(await userOf(sessions, phone)).toBeUndefined();
    expect(await userOf(sessions, bob)).toBe("bob");
    clock.advance(1);
    const again = await signIn(sessions, "alice");
    expect(await userOf(sessions, again)).toBe("alice");
  });

  it("keeps the session given as except, by session or by id, through later re-issues", async () => {
    const { sessions, clock } = setup();
    const laptop = await signIn(sessions, "alice");
    const phone = await signIn(sessions, "alice", "Safari");
    const current = await sessions.load(request(laptop));
    await sessions.revokeUserSessions("alice", { except: current });
    expect(await userOf(sessions, phone)).toBeUndefined();
    clock.advance(3 * 3_600_000);
    const kept = await sessions.load(request(laptop));
    await kept.regenerate();
    const reissued = cookieHeader(await sessions.commit(kept, new Response()));
    expect(await userOf(sessions, reissued)).toBe("alice");

    const tablet = await signIn(sessions, "alice", "Tablet");
    const tabletId = sessions.sessionId(await sessions.load(request(tablet)))!;
    clock.advance(1);
    await sessions.revokeUserSessions("alice", { except: tabletId });
    expect(await userOf(sessions, tablet)).toBe("alice");
    expect(await userOf(sessions, reissued)).toBeUndefined();
  });

  it("keeps a session signed in by this very request that signs out everywhere else before its commit", async () => {
    const { sessions } = setup();
    const phone = await signIn(sessions, "alice", "Safari");
    const laptop = await sessions.load(request());
    await laptop.signIn("alice");
    await sessions.revokeUserSessions("alice", { except: laptop });
    await sessions.revokeUserSessions("alice", { except: laptop });
    const cookie = cookieHeader(await sessions.commit(laptop, new Response()));
    // Same millisecond as the revocation, by the test's clock: the id given early is what keeps it.
    expect(await userOf(sessions, cookie)).toBe("alice");
    expect(await userOf(sessions, phone)).toBeUndefined();
  });

  it("revokes one session by the id sessionId gave, once", async () => {
    const { sessions } = setup();
    const laptop = await signIn(sessions, "alice");
    const phone = await signIn(sessions, "alice", "Safari");
    const id = sessions.sessionId(await sessions.load(request(phone)))!;
    expect(await sessions.revokeSession("alice", id)).toBe(true);
    expect(await sessions.revokeSession("alice", id)).toBe(false);
    expect(await sessions.revokeSession("alice", "not an id")).toBe(false);
    expect(await userOf(sessions, phone)).toBeUndefined();
    expect(await userOf(sessions, laptop)).toBe("alice");
  });

  it("revokes the session a signIn replaces, so a copy taken before it is refused", async () => {
    const { sessions } = setup();
    const before = await signIn(sessions, "alice");
    const session = await sessions.load(request(before));
    await session.signIn("alice");
    const after = cookieHeader(await sessions.commit(session, new Response()));
    expect(await userOf(sessions, before)).toBeUndefined();
    expect(await userOf(sessions, after)).toBe("alice");
  });

  it("a revoke during an in-flight request is final: the cookie it re-issues is refused", async () => {
    const { sessions } = setup();
    const cookie = await signIn(sessions, "alice");
    const inFlight = await sessions.load(request(cookie));
    await sessions.revokeUserSessions("alice");
    inFlight.set("visits", 9);
    const reissued = cookieHeader(await sessions.commit(inFlight, new Response()));
    expect(await userOf(sessions, reissued)).toBeUndefined();
  });

  it.each(["regenerate", "signIn"] as const)("a revoke during an in-flight %s is final: the request ends anonymous", async (call) => {
    for (const revoke of ["revokeUserSessions", "sign-out elsewhere"] as const) {
      const { sessions, events } = setup();
      const cookie = await signIn(sessions, "alice");
      const inFlight = await sessions.load(request(cookie));
      if (revoke === "revokeUserSessions") await sessions.revokeUserSessions("alice");
      else await signOut(sessions, cookie);
      if (call === "regenerate") await inFlight.regenerate();
      else await inFlight.signIn("alice");
      inFlight.set("visits", 9);
      const response = await sessions.commit(inFlight, new Response());
      expect(response.headers.getSetCookie(), revoke).toEqual([expect.stringMatching(/^sid=;/)]);
      expect(events, revoke).toContainEqual({ type: "session_gone" });
    }
  });

  it("keeps a sign-out done when the request then fails", async () => {
    const { sessions } = setup();
    const cookie = await signIn(sessions, "alice");
    const session = await sessions.load(request(cookie));
    await session.destroy();
    await sessions.commit(session, new Response("error", { status: 500 }), { failed: true });
    expect(await userOf(sessions, cookie)).toBeUndefined();
  });

  it("ends every session of the user once more sessions signed out one by one than a record keeps", async () => {
    const { sessions, clock } = setup();
    const survivor = await signIn(sessions, "alice");
    for (let i = 0; i < 100; i++) await signOut(sessions, await signIn(sessions, "alice"));
    expect(await userOf(sessions, survivor)).toBe("alice");
    await signOut(sessions, await signIn(sessions, "alice"));
    expect(await userOf(sessions, survivor)).toBeUndefined();
    clock.advance(1);
    expect(await userOf(sessions, await signIn(sessions, "alice"))).toBe("alice");
  });

  it("fails closed when the revocation store is down: a signed-in session is a 503, an anonymous one is served", async () => {
    let down = false;
    const store = intercept(memoryStore(), (_op, _args, forward) => (down ? Promise.reject(new Error("connection refused")) : forward()));
    const { sessions, events } = setup({ revocation: { store, cacheFor: 0 }, storeTimeout: 1 });
    const cookie = await signIn(sessions, "alice");
    const guest = await sessions.load(request());
    guest.set("visits", 1);
    const guestCookie = cookieHeader(await sessions.commit(guest, new Response()));
    down = true;
    await expect(sessions.load(request(cookie))).rejects.toMatchObject({ code: "ERR_STORE_UNAVAILABLE", status: 503 });
    expect((await sessions.load(request(guestCookie))).get("visits")).toBe(1);
    await expect(sessions.revokeUserSessions("alice")).rejects.toMatchObject({ code: "ERR_STORE_UNAVAILABLE" });
    expect(events).toContainEqual({ type: "store_error", operation: "get", code: "ERR_STORE_UNAVAILABLE" });
    down = false;
    const session = await sessions.load(request(cookie));
    await session.destroy();
    down = true;
    await expect(sessions.commit(session, new Response("bye"))).rejects.toMatchObject({ code: "ERR_STORE_UNAVAILABLE" });
    for (const event of events) expect(JSON.stringify(event)).not.toContain(cookie.slice(4));
  });

  it("still refuses every cookie when the revocation record was damaged, until the next revocation replaces it with a readable one", async () => {
    const store = memoryStore();
    const { sessions, clock, events } = setup({ revocation: { store, cacheFor: 0 } });
    const cookie = await signIn(sessions, "alice");
    await sessions.revokeSession("alice", "AAAAAAAAAAAAAAAAAAAAAA");
    const { createHash } = await import("node:crypto");
    const id = createHash("sha256").update("tessera/revocation\u0000alice").digest("base64url");
    const stored = await store.get(id);
    expect(stored).toBeDefined();
    await store.update(id, "{not json", stored!.version, { now: clock.now(), expiresAt: clock.now() + 60_000, ttlSeconds: 60, userId: undefined });
    expect(await userOf(sessions, cookie)).toBeUndefined();
    expect(events).toContainEqual({ type: "record_rejected", reason: "bad_payload" });
    await sessions.revokeSession("alice", "BBBBBBBBBBBBBBBBBBBBBB");
    clock.advance(1);
    expect(await userOf(sessions, await signIn(sessions, "alice"))).toBe("alice");
  });

  it("refuses a copy of a signed-out JWT cookie: the id travels as jti", async () => {
    const { privateKey } = generateKeyPairSync("ed25519");
    const { sessions } = setup({ codec: jwtCodec({ alg: "EdDSA", key: privateKey }) });
    const kept = await signIn(sessions, "alice");
    const cookie = await signIn(sessions, "alice");
    expect(sessions.sessionId(await sessions.load(request(cookie)))).toMatch(/^[A-Za-z0-9_-]{22}$/);
    await signOut(sessions, cookie);
    expect(await userOf(sessions, cookie)).toBeUndefined();
    expect(await userOf(sessions, kept)).toBe("alice");
  });

  it("refuses a user id no session can be signed in to, with a typed error", async () => {
    const { sessions } = setup();
    for (const userId of ["", "x".repeat(257), 42 as unknown as string]) {
      await expect(sessions.revokeUserSessions(userId)).rejects.toMatchObject({ code: "ERR_INVALID_SESSION_DATA" });
      await expect(sessions.revokeSession(userId, "AAAAAAAAAAAAAAAAAAAAAA")).rejects.toMatchObject({ code: "ERR_INVALID_SESSION_DATA" });
    }
  });

  it("cannot list sessions in cookie mode, and says so", async () => {
    const { sessions } = setup();
    await expect(sessions.userSessions("alice")).rejects.toMatchObject({ code: "ERR_NOT_SUPPORTED" });
  });
});
