// Cookie mode's revocation on every store: two processes share the store, so a sign-out or revokeUserSessions on
// one refuses every copy of the cookie on the other, and two revocations racing on one user's record both land.

import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createSessions, hasUserIndex, type SessionEvent, type SessionsOptions, type Store } from "../src/index.js";
import { intercept, issuedToken, request, sha256 } from "./store-conformance.js";

type Data = { name?: string };

const secret = "revocation scenarios secret, at least 32 bytes....";

/**
 * Registers the revocation scenarios for one store (`make` gives a new, empty store).
 *
 * @example
 * describeRevocation(() => memoryStore());
 */
export function describeRevocation(make: () => Promise<Store>): void {
  describe("cookie mode revocation kept in this store", () => {
    // The store's records expire by the manager's clock, which starts at the real time so native TTLs agree.
    let time = Date.now();
    const clock = () => time;
    const open = (store: Store, options: Partial<SessionsOptions> = {}) =>
      createSessions<Data>({ secrets: [secret], revocation: { store, cacheFor: 0 }, clock, ...options });
    type Sessions = ReturnType<typeof open>;
    /** A user id of this test alone: the store may be shared with other suites. */
    const someone = () => `user-${randomBytes(6).toString("base64url")}`;

    const signIn = async (sessions: Sessions, userId: string): Promise<string> => {
      const session = await sessions.load(request());
      await session.signIn(userId);
      session.set("name", userId);
      return issuedToken(await sessions.commit(session, new Response("ok")));
    };
    const userOf = async (sessions: Sessions, token: string): Promise<string | undefined> => (await sessions.load(request(token))).userId;

    it("refuses on another process a copy of a cookie signed out here", async () => {
      const store = await make();
      const here = open(store);
      const there = open(store);
      const alice = someone();
      const token = await signIn(here, alice);
      const kept = await signIn(here, alice);
      expect(await userOf(there, token)).toBe(alice);
      const session = await here.load(request(token));
      await session.destroy();
      await here.commit(session, new Response("bye"));
      expect(await userOf(there, token)).toBeUndefined();
      expect(await userOf(there, kept)).toBe(alice);
    });

    it("refuses on another process every cookie of a user revoked here, except the one kept", async () => {
      const store = await make();
      const here = open(store);
      const there = open(store);
      const alice = someone();
      const bob = someone();
      const laptop = await signIn(there, alice);
      const phone = await signIn(there, alice);
      const bobs = await signIn(there, bob);
      time += 1;
      await here.revokeUserSessions(alice, { except: await here.load(request(laptop)) });
      expect(await userOf(there, phone)).toBeUndefined();
      expect(await userOf(there, laptop)).toBe(alice);
      expect(await userOf(there, bobs)).toBe(bob);
      time += 1;
      expect(await userOf(there, await signIn(there, alice))).toBe(alice);
    });

    it("keeps both of two revocations of one user made at once on two processes (compare-and-set)", async () => {
      const store = await make();
      const alice = someone();
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      let held = 0;
      // Process A reads the user's record, then waits at its write until B has written: A's write must conflict.
      const holding = intercept(store, async (operation, _args, forward) => {
        if ((operation === "create" || operation === "update") && held++ === 0) await released;
        return forward();
      });
      const events: SessionEvent[] = [];
      const a = open(holding, { onEvent: (e) => events.push(e) });
      const b = open(store);
      const first = await signIn(b, alice);
      const second = await signIn(b, alice);
      const idOf = async (token: string) => b.sessionId(await b.load(request(token)))!;
      const [firstId, secondId] = [await idOf(first), await idOf(second)];
      const racing = a.revokeSession(alice, firstId);
      await new Promise((resolve) => setImmediate(resolve));
      while (held === 0) await new Promise((resolve) => setImmediate(resolve));
      expect(await b.revokeSession(alice, secondId)).toBe(true);
      release();
      expect(await racing).toBe(true);
      expect(events).toContainEqual({ type: "write_conflict", attempt: 1 });
      expect(await userOf(b, first)).toBeUndefined();
      expect(await userOf(b, second)).toBeUndefined();
    });

    it("keeps the record out of the user's sessions, under an id that is a hash like any other", async () => {
      const store = await make();
      const writes: unknown[][] = [];
      const watched = intercept(store, (operation, args, forward) => {
        if (operation === "create" || operation === "update") writes.push(args);
        return forward();
      });
      const sessions = open(watched);
      const alice = someone();
      await sessions.revokeUserSessions(alice);
      expect(writes).toHaveLength(1);
      const [id, text, options] = writes[0] as [string, string, { userId: unknown; expiresAt: number }];
      expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(id).not.toContain(alice);
      expect(id).not.toBe(sha256(alice));
      expect(options.userId).toBeUndefined();
      // It ends when the last cookie it could refuse would have timed out anyway: the default 30 days.
      expect(options.expiresAt).toBe(time + 1 + 30 * 86_400_000);
      expect(text).not.toContain(alice);
      if (hasUserIndex(store)) expect(await store.listByUser(alice)).toEqual([]);
    });
  });
}
