// One conformance suite for every adapter (node:http, Hono, Express 5 and 4, Fastify), over real HTTP on
// 127.0.0.1, in cookie mode and in store mode (SQLite on disk).

import Database from "better-sqlite3";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSessions, type Sessions, type Store } from "tessera";
import { sqliteStore } from "tessera/stores/sqlite";
import { adapters, type Data, type RunningApp } from "./servers/apps.js";
import { secret } from "./helpers.js";

type Mode = "cookie mode" | "store mode";

/** A store that counts the records it was asked to write (create and update). */
function countingWrites(store: Store): { store: Store; writes: () => number } {
  let writes = 0;
  const counted = new Proxy(store, {
    get(target, key, receiver) {
      const member = Reflect.get(target, key, receiver);
      if (key !== "create" && key !== "update") return member;
      return (...args: unknown[]) => {
        writes++;
        return (member as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store: counted, writes: () => writes };
}

function describeAdapter(name: string, start: (sessions: Sessions<Data>) => Promise<RunningApp>, mode: Mode): void {
  describe(`${name} in ${mode}`, () => {
    let dir: string;
    let app: RunningApp;
    let sessions: Sessions<Data>;
    let storeWrites = () => 0;
    // Express keeps express-session's regenerate (a new, empty session bound to no user), and its error middleware is
    // out of the session's sight (only the status it answers with says the request failed).
    const isExpress = name.startsWith("Express");

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), "tessera-adapter-"));
      let store: Store | undefined;
      if (mode === "store mode") {
        const counting = countingWrites(sqliteStore({ path: join(dir, "sessions.db"), busyTimeout: 0.05, gcInterval: false }));
        store = counting.store;
        storeWrites = counting.writes;
      }
      sessions = createSessions<Data>({
        secrets: [secret],
        store,
        cookie: { path: "/", domain: "app.test" },
        storeTimeout: 1,
      });
      app = await start(sessions);
    });

    afterAll(async () => {
      await app?.close();
      await sessions?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    const get = (path: string, cookie?: string) => fetch(app.url + path, { headers: cookie ? { cookie } : {}, redirect: "manual" });
    const sessionCookies = (response: Response) => response.headers.getSetCookie().filter((h) => h.startsWith("sid="));
    const cookieOf = (response: Response): string => {
      const [header] = sessionCookies(response);
      if (!header) throw new Error("no session cookie was set");
      return header.split(";")[0]!;
    };
    const text = async (path: string, cookie?: string) => (await get(path, cookie)).text();

    it("logs in and reads the user back on the next request", async () => {
      const login = await get("/login?user=alice");
      expect(login.status).toBe(200);
      expect(sessionCookies(login)).toHaveLength(1);
      expect(await text("/whoami", cookieOf(login))).toBe("alice");
    });

    it("shows a flash message once", async () => {
      const cookie = cookieOf(await get("/flash?msg=saved"));
      const first = await get("/read-flash", cookie);
      expect(await first.text()).toBe("saved");
      const next = sessionCookies(first).length > 0 ? cookieOf(first) : cookie;
      expect(await text("/read-flash", next === "sid=" ? undefined : next)).toBe("none");
    });

    it(`gives a new cookie on regenerate${isExpress ? ", empty and bound to no user" : " for the same data and user"}, and in store mode the old one stops working`, async () => {
      const before = cookieOf(await get("/login?user=bob"));
      const regenerated = await get("/regenerate", before);
      const after = cookieOf(regenerated);
      expect(after).not.toBe(before);
      expect(await text("/get?key=regenerated", after)).toBe("yes");
      expect(await text("/whoami", after)).toBe(isExpress ? "anonymous" : "bob");
      // A sealed cookie cannot be recalled: in cookie mode the old one lives until its timeouts end it.
      expect(await text("/whoami", before)).toBe(mode === "store mode" ? "anonymous" : "bob");
      if (mode === "store mode") expect(await sessions.userSessions("bob")).toHaveLength(isExpress ? 0 : 1);
    });

    it("clears the cookie on destroy with the same Path and Domain", async () => {
      const cookie = cookieOf(await get("/login?user=carol"));
      const destroyed = await get("/destroy", cookie);
      const [header] = sessionCookies(destroyed);
      expect(header).toMatch(/^sid=;/);
      expect(header).toContain("Max-Age=0");
      expect(header).toContain("Path=/");
      expect(header).toContain("Domain=app.test");
      expect(destroyed.headers.get("cache-control")).toBe("no-store");
      if (mode === "store mode") expect(await text("/whoami", cookie)).toBe("anonymous");
    });

    it("saves nothing a handler did before it threw: 500, no Set-Cookie, and the next request does not see it", async () => {
      const cookie = cookieOf(await get("/set?key=kept&value=1"));
      const writes = storeWrites();
      const failed = await get("/set-then-fail?key=lost&value=2", cookie);
      expect(failed.status).toBe(500);
      expect(sessionCookies(failed)).toEqual([]);
      expect(failed.headers.get("vary")).toMatch(/Cookie/i);
      expect(failed.headers.get("cache-control")).toBe("no-store");
      // A new visitor's first change is not saved either.
      const anonymous = await get("/set-then-fail?key=lost&value=3");
      expect(anonymous.status).toBe(500);
      expect(sessionCookies(anonymous)).toEqual([]);
      expect(storeWrites()).toBe(writes);
      expect(await text("/get?key=lost", cookie)).toBe("none");
      expect(await text("/get?key=kept", cookie)).toBe("1");
    });

    const title400 =
      name === "node:http"
        ? "answers 500 and saves nothing when a handler throws an error that carries status 400"
        : isExpress
          ? "saves the session when the error middleware answers a handler's error with 400: the status is the signal"
          : "saves nothing when a handler's error is answered with 400";
    it(title400, async () => {
      const cookie = cookieOf(await get("/set?key=kept&value=1"));
      const failed = await get("/set-then-fail-400?key=four&value=2", cookie);
      // node:http has no error path of its own: a throw is a 500. On Express an error answered below 500 is an answer
      // like any other; Hono and Fastify see the error itself.
      expect(failed.status).toBe(name === "node:http" ? 500 : 400);
      expect(sessionCookies(failed)).toHaveLength(isExpress && mode === "cookie mode" ? 1 : 0);
      const next = isExpress && mode === "cookie mode" ? cookieOf(failed) : cookie;
      expect(await text("/get?key=four", next)).toBe(isExpress ? "2" : "none");
    });

    it("does not sign in a handler that throws after signIn", async () => {
      const cookie = cookieOf(await get("/set?key=before&value=1"));
      const writes = storeWrites();
      const failed = await get("/signin-then-fail?user=yan", cookie);
      expect(failed.status).toBe(500);
      expect(sessionCookies(failed)).toEqual([]);
      expect(failed.headers.get("cache-control")).toBe("no-store");
      expect(storeWrites()).toBe(writes);
      expect(await text("/whoami", cookie)).toBe("anonymous");
      if (mode === "store mode") expect(await sessions.userSessions("yan")).toEqual([]);
    });

    it("counts an answer of 500 or more as a failure: the session changes are not saved", async () => {
      const cookie = cookieOf(await get("/set?key=kept&value=1"));
      const writes = storeWrites();
      const failed = await get("/set-then-500?key=lost&value=2", cookie);
      expect(failed.status).toBe(500);
      expect(await failed.text()).toBe("failed");
      expect(sessionCookies(failed)).toEqual([]);
      expect(failed.headers.get("vary")).toMatch(/Cookie/i);
      expect(failed.headers.get("cache-control")).toBe("no-store");
      expect(storeWrites()).toBe(writes);
      expect(await text("/get?key=lost", cookie)).toBe("none");
    });

    it("keeps a destroy when the handler throws after it: the cookie is cleared and the session stays ended", async () => {
      const cookie = cookieOf(await get("/login?user=zoe"));
      const writes = storeWrites();
      const failed = await get("/destroy-then-fail", cookie);
      expect(failed.status).toBe(500);
      const cleared = sessionCookies(failed);
      expect(cleared).toHaveLength(1);
      expect(cleared[0]).toMatch(/^sid=;/);
      expect(cleared[0]).toContain("Max-Age=0");
      expect(failed.headers.get("cache-control")).toBe("no-store");
      // The key set after the destroy started no new session.
      expect(storeWrites()).toBe(writes);
      if (mode === "store mode") {
        expect(await text("/whoami", cookie)).toBe("anonymous");
        expect(await sessions.userSessions("zoe")).toEqual([]);
      }
    });

    it("treats a tampered, truncated or foreign cookie as a logged-out visitor, never a 500", async () => {
      const good = cookieOf(await get("/login?user=dave"));
      const value = good.slice(4);
      const foreign = createSessions<Data>({ secrets: ["another-secret-of-at-least-32-bytes!!"] });
      const other = await foreign.load(new Request("http://x/"));
      other.set("username", "mallory");
      const foreignCookie = (await foreign.commit(other, new Response())).headers.getSetCookie()[0]!.split(";")[0]!;
      for (const cookie of [
        `sid=${value.slice(0, -2)}`,
        `sid=${value.slice(0, 5)}${value[5] === "A" ? "B" : "A"}${value.slice(6)}`,
        foreignCookie,
        "sid=%",
        `sid=${"\u00ff".repeat(10)}`,
      ]) {
        const response = await get("/whoami", cookie);
        expect(response.status).toBe(200);
        expect(await response.text()).toBe("anonymous");
      }
    });

    it("adds Vary: Cookie always, and Cache-Control: no-store only when the cookie is set", async () => {
      const reading = await get("/whoami");
      expect(reading.headers.get("vary")).toMatch(/Cookie/i);
      expect(reading.headers.get("cache-control")).toBeNull();
      const setting = await get("/login?user=erin");
      expect(setting.headers.get("vary")).toMatch(/Cookie/i);
      expect(setting.headers.get("cache-control")).toBe("no-store");
    });

    it("sets no cookie on a response that never touched the session", async () => {
      const plain = await get("/plain");
      expect(await plain.text()).toBe("plain");
      expect(plain.headers.getSetCookie()).toEqual([]);
      const reading = await get("/whoami");
      expect(await reading.text()).toBe("anonymous");
      expect(reading.headers.getSetCookie()).toEqual([]);
    });

    it("commits on a redirect", async () => {
      const redirect = await get("/redirect");
      expect(redirect.status).toBe(303);
      expect(await text("/get?key=redirected", cookieOf(redirect))).toBe("yes");
    });

    it("sends exactly one session Set-Cookie per response", async () => {
      const cookie = cookieOf(await get("/login?user=fay"));
      for (const path of ["/regenerate", "/login?user=gus", "/destroy"]) {
        expect(sessionCookies(await get(path, cookie))).toHaveLength(1);
      }
    });

    if (mode === "store mode") {
      it("signs out on destroy: the user's sessions no longer list it", async () => {
        const cookie = cookieOf(await get("/login?user=uma"));
        expect(await sessions.userSessions("uma")).toHaveLength(1);
        const signedOut = await get("/destroy", cookie);
        expect(sessionCookies(signedOut)[0]).toMatch(/^sid=;/);
        expect(await sessions.userSessions("uma")).toEqual([]);
        expect(await text("/whoami", cookie)).toBe("anonymous");
      });

      it("keeps both keys when two concurrent requests set different keys", async () => {
        const cookie = cookieOf(await get("/login?user=hal"));
        await Promise.all([get("/set?key=a&value=1", cookie), get("/set?key=b&value=2", cookie)]);
        expect([await text("/get?key=a", cookie), await text("/get?key=b", cookie)]).toEqual(["1", "2"]);
      });

      it("answers 503 while the store is down and recovers after", async () => {
        const cookie = cookieOf(await get("/login?user=ida"));
        // Another connection holds SQLite's write lock past the store's busy timeout: writes fail.
        const other = new Database(join(dir, "sessions.db"));
        other.exec("BEGIN EXCLUSIVE");
        try {
          const down = await get("/set?key=k&value=lost", cookie);
          expect(down.status).toBe(503);
          expect(sessionCookies(down)).toEqual([]);
        } finally {
          other.exec("ROLLBACK");
          other.close();
        }
        expect((await get("/set?key=k&value=kept", cookie)).status).toBe(200);
        expect(await text("/get?key=k", cookie)).toBe("kept");
      });
    }
  });
}

for (const [name, start] of Object.entries(adapters)) {
  describeAdapter(name, start, "cookie mode");
  describeAdapter(name, start, "store mode");
}
