// Race scenarios for every store: a request in flight must never undo a destroy or a revocation made meanwhile.
// Each race is made to happen: the in-flight request is loaded first, the other side runs to completion, or a
// store wrapper holds the in-flight commit at a chosen call while the other side runs.

import { describe, expect, it } from "vitest";
import { createSessions, type SessionEvent, type SessionsOptions, type Store } from "../src/index.js";
import { intercept, issuedToken, request, sessionCookie, setCookies, sha256 } from "./store-conformance.js";

type Data = { name?: string; secret?: string; a?: string; b?: string };

const secret = "race scenarios secret, at least 32 bytes long....";

/** How a session can be ended from elsewhere while a request holding it is in flight. */
type Ending = "destroy elsewhere" | "revokeUserSessions" | "revokeSession";
/** The lifecycle call the in-flight request makes after the session was ended. */
type Lifecycle = "regenerate" | "signIn";

/**
 * Registers the race scenarios for one store. `make` gives a new, empty store; `canList` says whether it has a
 * user index (revocation by user needs one; without it those races are skipped, saying so).
 *
 * @example
 * describeRaces(() => memoryStore(), true);
 */
export function describeRaces(make: () => Promise<Store>, canList: boolean): void {
  describe("races with requests in flight", () => {
    const open = (store: Store, options: Partial<SessionsOptions> = {}) => createSessions<Data>({ secrets: [secret], store, ...options });

    /** A session signed in as alice with some data; returns its token. */
    const signedIn = async (sessions: ReturnType<typeof open>): Promise<string> => {
      const session = await sessions.load(request());
      await session.signIn("alice");
      session.set("name", "alice");
      session.set("secret", "alice's data");
      return issuedToken(await sessions.commit(session, new Response("ok")));
    };

    const end = async (how: Ending, sessions: ReturnType<typeof open>, token: string): Promise<void> => {
      if (how === "destroy elsewhere") {
        const other = await sessions.load(request(token));
        await other.destroy();
        await sessions.commit(other, new Response("bye"));
      } else if (how === "revokeUserSessions") {
        expect(await sessions.revokeUserSessions("alice")).toBe(1);
      } else {
        expect(await sessions.revokeSession("alice", sha256(token))).toBe(true);
      }
    };

    /** Asserts that a response carries no live session, and that no cookie it set loads one. */
    const expectAnonymous = async (sessions: ReturnType<typeof open>, response: Response): Promise<void> => {
      for (const cookie of setCookies(response)) {
        if (cookie.name !== sessionCookie || cookie.value === "") continue;
        const next = await sessions.load(request(cookie.value));
        expect({ isNew: next.isNew, userId: next.userId, name: next.get("name"), secret: next.get("secret") }).toEqual({
          isNew: true,
          userId: undefined,
          name: undefined,
          secret: undefined,
        });
      }
    };

    const noIndex = "this store has no user index, so it cannot revoke by user (capabilities.userIndex: false)";
    // revokeSession needs no user index: it ends one session by the id a listing (or the app) gave.
    const endings: Ending[] = ["destroy elsewhere", "revokeUserSessions", "revokeSession"];
    for (const how of endings) {
      for (const call of ["regenerate", "signIn"] as Lifecycle[]) {
        it(`a ${how} during an in-flight ${call} is final: the request ends anonymous`, async (context) => {
          if (how === "revokeUserSessions" && !canList) {
            context.skip(noIndex);
            return;
          }
          const store = await make();
          const events: SessionEvent[] = [];
          const sessions = open(store, { onEvent: (event) => events.push(event) });
          const token = await signedIn(sessions);
          const inFlight = await sessions.load(request(token));
          expect(inFlight.userId).toBe("alice");

          await end(how, sessions, token);

          if (call === "regenerate") await inFlight.regenerate();
          else await inFlight.signIn("alice");
          inFlight.set("a", "written after the revocation");
          const response = await sessions.commit(inFlight, new Response("ok"));
          await expectAnonymous(sessions, response);
          expect((await sessions.load(request(token))).isNew).toBe(true);
          expect(events).toContainEqual({ type: "session_gone" });
          if (canList) expect(await sessions.userSessions("alice")).toEqual([]);
        });
      }
    }

    it("a revokeUserSessions between the new record and the old one's retirement is final", async (context) => {
      if (!canList) {
        context.skip(noIndex);
        return;
      }
      const base = await make();
      let revoke: (() => Promise<unknown>) | undefined;
      // Holds the in-flight commit at its retirement of the old id (a delete with an expected version), after
      // the new record was written, and revokes the user right there.
      const store = intercept(base, (operation, args, forward) => {
        const options = args[1] as { expectedVersion?: number } | undefined;
        if (operation === "delete" && options?.expectedVersion !== undefined && revoke) {
          const running = revoke;
          revoke = undefined;
          return running().then(forward);
        }
        return forward();
      });
      const sessions = open(store);
      const token = await signedIn(sessions);
      const inFlight = await sessions.load(request(token));
      await inFlight.regenerate();
      let revoked = -1;
      revoke = async () => {
        revoked = await sessions.revokeUserSessions("alice");
      };
      const response = await sessions.commit(inFlight, new Response("ok"));
      expect(revoked, "the revocation ran while the commit was held").toBe(2);
      await expectAnonymous(sessions, response);
      expect(await sessions.userSessions("alice")).toEqual([]);
    });

    it("a concurrent write during an in-flight regenerate is kept, and the old id is retired", async () => {
      const store = await make();
      const sessions = open(store);
      const token = await signedIn(sessions);
      const inFlight = await sessions.load(request(token));
      const other = await sessions.load(request(token));
      other.set("b", "from the other request");
      await sessions.commit(other, new Response("ok"));

      await inFlight.regenerate();
      inFlight.set("a", "from the regenerating request");
      const fresh = issuedToken(await sessions.commit(inFlight, new Response("ok")));
      const next = await sessions.load(request(fresh));
      expect([next.userId, next.get("name"), next.get("a"), next.get("b")]).toEqual(["alice", "alice", "from the regenerating request", "from the other request"]);
      expect((await sessions.load(request(token))).isNew).toBe(true);
    });

    it("two in-flight regenerates of one session leave exactly one live session", async () => {
      const store = await make();
      const sessions = open(store);
      const token = await signedIn(sessions);
      const [one, two] = await Promise.all([sessions.load(request(token)), sessions.load(request(token))]);
      await Promise.all([one.regenerate(), two.regenerate()]);
      const responses = await Promise.all([sessions.commit(one, new Response("1")), sessions.commit(two, new Response("2"))]);
      const live: string[] = [];
      for (const response of responses) {
        for (const cookie of setCookies(response)) {
          if (cookie.name === sessionCookie && cookie.value !== "" && !(await sessions.load(request(cookie.value))).isNew) live.push(cookie.value);
        }
      }
      expect(live).toHaveLength(1);
      if (canList) expect((await sessions.userSessions("alice")).length).toBe(1);
    });
  });
}
