// Renewal scenarios for every store (`renewAfter`, `renewalGrace`): the token moves on without the user noticing,
// requests in flight with the old one lose nothing, and the old one dies after its grace. Time is the manager's
// clock, moved by hand; each race is made to happen by loading first, or by holding one side at a store call.

import { describe, expect, it } from "vitest";
import { createSessions, decodeRecord, hasUserIndex, type SessionEvent, type SessionsOptions, type Store } from "../src/index.js";
import { intercept, issuedToken, request, sessionCookie, setCookies, sha256 } from "./store-conformance.js";

type Data = { name?: string; a?: string; b?: string; count?: number };

const secret = "renewal scenarios secret, at least 32 bytes long.";
const minute = 60_000;
const renewAfter = 15 * minute;
const grace = 30_000;

/**
 * Registers the renewal scenarios for one store. `make` gives a new, empty store; `canList` says whether it has a
 * user index; `dump` (when the suite has one) shows everything the backend holds, to search for raw tokens.
 *
 * @example
 * describeRenewal(() => memoryStore(), true);
 */
export function describeRenewal(make: () => Promise<Store>, canList: boolean, dump?: (store: Store) => Promise<string> | string): void {
  describe("renewal (renewAfter, renewalGrace)", () => {
    let now = 0;
    const open = (store: Store, options: Partial<SessionsOptions> = {}) =>
      createSessions<Data>({ secrets: [secret], store, clock: () => now, renewAfter: "15m", renewalGrace: "30s", ...options });

    /** A session holding `data` (signed in as alice when asked), then `renewAfter` old; returns its token. */
    const dueSession = async (sessions: ReturnType<typeof open>, data: Data, user?: string): Promise<string> => {
      now = Date.now();
      const session = await sessions.load(request());
      if (user !== undefined) await session.signIn(user);
      for (const [key, value] of Object.entries(data)) session.set(key as keyof Data, value as never);
      const token = issuedToken(await sessions.commit(session, new Response("ok")));
      now += renewAfter;
      return token;
    };

    /** Loads `token` and commits without changes: the request that renews it. Returns the new token. */
    const renew = async (sessions: ReturnType<typeof open>, token: string): Promise<string> => {
      const session = await sessions.load(request(token));
      expect(session.isNew).toBe(false);
      return issuedToken(await sessions.commit(session, new Response("ok")));
    };

    /** The session cookie a response set, or undefined when it set none. */
    const cookieOf = (response: Response): string | undefined => setCookies(response).find((c) => c.name === sessionCookie)?.value;

    it("moves a session to a new token once its token is renewAfter old, the old token working for renewalGrace only", async () => {
      const store = await make();
      const events: SessionEvent[] = [];
      const sessions = open(store, { onEvent: (event) => events.push(event) });
      const token = await dueSession(sessions, { name: "x" });

      now -= 1;
      const early = await sessions.load(request(token));
      expect(cookieOf(await sessions.commit(early, new Response("ok"))), "not due a millisecond early").toBeUndefined();
      now += 1;

      const renewed = await renew(sessions, token);
      expect(renewed).not.toBe(token);
      expect(events.filter((event) => event.type === "session_renewed")).toEqual([{ type: "session_renewed" }]);
      expect((await sessions.load(request(renewed))).get("name")).toBe("x");

      // The old record is a forwarder: no data, the successor's id, and its token only sealed.
      const stored = await store.get(sha256(token));
      const forwarder = decodeRecord(stored!.text);
      expect(forwarder.data).toEqual({});
      expect(forwarder.forward?.to).toBe(sha256(renewed));
      expect(stored!.text).not.toContain(renewed.slice(0, 43));

      // Inside the grace, the old token reaches the session and the response hands the browser the new cookie.
      now += grace - 1;
      const late = await sessions.load(request(token));
      expect([late.isNew, late.get("name")]).toEqual([false, "x"]);
      expect(cookieOf(await sessions.commit(late, new Response("ok")))).toBe(renewed);

      // After it, the old token is dead, whatever the store's own expiry has done.
      now += 1;
      const dead = await sessions.load(request(token));
      expect([dead.isNew, dead.get("name")]).toEqual([true, undefined]);
      expect(events).toContainEqual({ type: "cookie_rejected", reason: "unknown_session" });
      expect((await sessions.load(request(renewed))).get("name")).toBe("x");
      for (const event of events) expect(JSON.stringify(event)).not.toContain(token.slice(0, 43));
    });

    it("loses neither write when two tabs send the old token while one renews it", async () => {
      const store = await make();
      const sessions = open(store);
      const token = await dueSession(sessions, { count: 0 });
      const [one, two] = await Promise.all([sessions.load(request(token)), sessions.load(request(token))]);
      one.set("a", "from tab one");
      one.update("count", (n) => (n ?? 0) + 1);
      two.set("b", "from tab two");
      two.update("count", (n) => (n ?? 0) + 1);
      const first = cookieOf(await sessions.commit(one, new Response("1")));
      // The second tab loaded the old record before the renewal: its write goes to the successor.
      const second = cookieOf(await sessions.commit(two, new Response("2")));
      expect(first).toBeDefined();
      expect(second).toBe(first);
      const after = await sessions.load(request(first));
      expect([after.get("a"), after.get("b"), after.get("count")]).toEqual(["from tab one", "from tab two", 2]);
      now += grace;
      expect((await sessions.load(request(token))).isNew).toBe(true);
    });

    it("lands the write of a process without renewal (a rolling deploy) on the successor when the token was renewed meanwhile", async () => {
      const store = await make();
      const renewing = open(store);
      const plain = createSessions<Data>({ secrets: [secret], store, clock: () => now });
      const token = await dueSession(renewing, { name: "x" });
      const inFlight = await plain.load(request(token));
      inFlight.set("b", "from the process without renewal");
      const renewed = await renew(renewing, token);
      expect(cookieOf(await plain.commit(inFlight, new Response("ok")))).toBe(renewed);
      const after = await renewing.load(request(renewed));
      expect([after.get("name"), after.get("b")]).toEqual(["x", "from the process without renewal"]);
    });

    it("lets only one of two processes renewing at once win: the other follows it, and one successor lives", async () => {
      const base = await make();
      let hold: (() => Promise<unknown>) | undefined;
      // The second process is held at its compare-and-set of the old record (after writing its own new record)
      // until the first process has renewed the session.
      const held = intercept(base, (operation, args, forward) => {
        if (operation === "update" && hold) {
          const running = hold;
          hold = undefined;
          return running().then(forward);
        }
        return forward();
      });
      const first = open(base);
      const second = open(held);
      const token = await dueSession(first, { name: "x" }, "alice");
      const loser = await second.load(request(token));
      loser.set("b", "from the second process");
      let winner: string | undefined;
      hold = async () => {
        const session = await first.load(request(token));
        session.set("a", "from the first process");
        winner = cookieOf(await first.commit(session, new Response("1")));
      };
      const followed = cookieOf(await second.commit(loser, new Response("2")));
      expect(winner, "the first process renewed while the second was held").toBeDefined();
      expect(followed).toBe(winner);
      const after = await first.load(request(winner));
      expect([after.get("a"), after.get("b")]).toEqual(["from the first process", "from the second process"]);
      if (canList) expect((await first.userSessions("alice")).map((s) => s.id)).toEqual([sha256(winner!)]);
      if (hasUserIndex(base)) expect((await base.listByUser("alice")).length, "the forwarder and the one successor").toBe(2);
    });

    it("renews once when many requests with the old token arrive together", async () => {
      const store = await make();
      const events: SessionEvent[] = [];
      const sessions = open(store, { onEvent: (event) => events.push(event) });
      const token = await dueSession(sessions, { count: 0 });
      const cookies = await Promise.all(
        Array.from({ length: 10 }, async () => {
          const session = await sessions.load(request(token));
          session.update("count", (n) => (n ?? 0) + 1);
          return cookieOf(await sessions.commit(session, new Response("ok")));
        }),
      );
      expect(new Set(cookies).size).toBe(1);
      expect(events.filter((event) => event.type === "session_renewed")).toHaveLength(1);
      expect((await sessions.load(request(cookies[0]))).get("count")).toBe(10);
    });

    it("a destroy through the old token during the grace ends the renewed session too", async () => {
      const store = await make();
      const sessions = open(store);
      const token = await dueSession(sessions, { name: "x" }, "alice");
      // Loaded before the renewal, as a sign-out click racing a page load in another tab.
      const signOut = await sessions.load(request(token));
      const renewed = await renew(sessions, token);
      await signOut.destroy();
      await sessions.commit(signOut, new Response("bye"));
      for (const value of [token, renewed]) expect((await sessions.load(request(value))).isNew, value === token ? "old" : "renewed").toBe(true);
      if (canList) expect(await sessions.userSessions("alice")).toEqual([]);
    });

    it("a regenerate through the old token during the grace leaves one live session, and the old token dead", async () => {
      const store = await make();
      const sessions = open(store);
      const token = await dueSession(sessions, { name: "x" }, "alice");
      const inFlight = await sessions.load(request(token));
      const renewed = await renew(sessions, token);
      await inFlight.signIn("alice");
      inFlight.set("a", "after sign-in");
      const fresh = cookieOf(await sessions.commit(inFlight, new Response("ok")));
      expect(fresh).toBeDefined();
      expect([fresh === token, fresh === renewed]).toEqual([false, false]);
      const next = await sessions.load(request(fresh));
      expect([next.userId, next.get("name"), next.get("a")]).toEqual(["alice", "x", "after sign-in"]);
      for (const value of [token, renewed]) expect((await sessions.load(request(value))).isNew).toBe(true);
      if (canList) expect((await sessions.userSessions("alice")).map((s) => s.id)).toEqual([sha256(fresh!)]);
    });

    it("an id listed before a renewal still revokes the session; revoking the user removes forwarders too, and userSessions never lists one", async () => {
      const store = await make();
      const sessions = open(store);
      const token = await dueSession(sessions, { name: "x" }, "alice");
      if (canList) {
        const listedBefore = (await sessions.userSessions("alice")).map((s) => s.id);
        expect(listedBefore).toEqual([sha256(token)]);
      }
      const renewed = await renew(sessions, token);
      if (canList) expect((await sessions.userSessions("alice")).map((s) => s.id)).toEqual([sha256(renewed)]);
      // The id an admin page listed before the renewal names the forwarder now: revoking it ends the session.
      expect(await sessions.revokeSession("alice", sha256(token))).toBe(true);
      for (const value of [token, renewed]) expect((await sessions.load(request(value))).isNew).toBe(true);
      if (!canList) return;

      const again = await dueSession(sessions, { name: "y" }, "alice");
      const renewedAgain = await renew(sessions, again);
      // Two records: the forwarder and the session it leads to.
      expect(await sessions.revokeUserSessions("alice")).toBe(2);
      for (const value of [again, renewedAgain]) expect((await sessions.load(request(value))).isNew).toBe(true);
      expect(await store.get(sha256(again))).toBeUndefined();
    });

    it("a revokeUserSessions between the new record and the old one's turn into a forwarder is final", async (context) => {
      if (!canList) {
        context.skip("this store has no user index to revoke by user (capabilities.userIndex: false)");
        return;
      }
      const base = await make();
      let revoke: (() => Promise<unknown>) | undefined;
      const store = intercept(base, (operation, _args, forward) => {
        if (operation === "update" && revoke) {
          const running = revoke;
          revoke = undefined;
          return running().then(forward);
        }
        return forward();
      });
      const events: SessionEvent[] = [];
      const sessions = open(store, { onEvent: (event) => events.push(event) });
      const token = await dueSession(sessions, { name: "x" }, "alice");
      let revoked = -1;
      revoke = async () => {
        revoked = await sessions.revokeUserSessions("alice");
      };
      const session = await sessions.load(request(token));
      const response = await sessions.commit(session, new Response("ok"));
      expect(revoked, "the revocation ran while the renewal was held").toBe(2);
      expect(cookieOf(response)).toBeUndefined();
      expect(events).toContainEqual({ type: "session_gone" });
      expect(await sessions.userSessions("alice")).toEqual([]);
      expect((await sessions.load(request(token))).isNew).toBe(true);
    });

    it("gives a fresh session for an old token whose successor is gone", async () => {
      const store = await make();
      const events: SessionEvent[] = [];
      const sessions = open(store, { onEvent: (event) => events.push(event) });
      const token = await dueSession(sessions, { name: "x" });
      const renewed = await renew(sessions, token);
      await store.delete(sha256(renewed));
      const session = await sessions.load(request(token));
      expect([session.isNew, session.get("name")]).toEqual([true, undefined]);
      expect(events).toContainEqual({ type: "cookie_rejected", reason: "unknown_session" });
      session.set("a", "new");
      const fresh = issuedToken(await sessions.commit(session, new Response("ok")));
      expect([fresh === token, fresh === renewed]).toEqual([false, false]);
    });

    it("hands the store no raw token, and holds none at rest, while a forwarder stands", async () => {
      const store = await make();
      const sessions = open(store);
      const token = await dueSession(sessions, { name: "x" }, "alice");
      const renewed = await renew(sessions, token);
      const { store: counted, log } = spyLog(store);
      const watched = open(counted);
      const late = await watched.load(request(token));
      late.set("a", "1");
      await watched.commit(late, new Response("ok"));
      const calls = log.join("\n");
      for (const value of [token, renewed]) expect(calls).not.toContain(value.slice(0, 43));
      // A store without a dump is covered by the call log above.
      if (dump === undefined) return;
      const text = await dump(store);
      for (const value of [token, renewed]) {
        expect(text).not.toContain(value.slice(0, 43));
        expect(text).toContain(sha256(value));
      }
    });
  });
}

/** Every store call's arguments as JSON. */
function spyLog(store: Store): { store: Store; log: string[] } {
  const log: string[] = [];
  return { store: intercept(store, (operation, args, forward) => (log.push(`${operation} ${JSON.stringify(args)}`), forward())), log };
}
