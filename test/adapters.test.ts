// One conformance suite for every adapter (node:http, Hono, Express 5 and 4, Fastify), over real HTTP on
// 127.0.0.1, in cookie mode and in store mode (SQLite on disk).

import Database from "better-sqlite3";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSessions, type Sessions } from "tessera";
import { sqliteStore } from "tessera/stores/sqlite";
import { adapters, type Data, type RunningApp } from "./servers/apps.js";
import { secret } from "./helpers.js";

type Mode = "cookie mode" | "store mode";

function describeAdapter(name: string, start: (sessions: Sessions<Data>) => Promise<RunningApp>, mode: Mode): void {
  describe(`${name} in ${mode}`, () => {
    let dir: string;
    let app: RunningApp;
    let sessions: Sessions<Data>;

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), "tessera-adapter-"));
      sessions = createSessions<Data>({
        secrets: [secret],
        store: mode === "store mode" ? sqliteStore({ path: join(dir, "sessions.db"), busyTimeoutMs: 50, gcIntervalSeconds: 0 }) : undefined,
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

    it("gives a new cookie on regenerate, and in store mode the old one stops working", async () => {
      const before = cookieOf(await get("/login?user=bob"));
      const regenerated = await get("/regenerate", before);
      const after = cookieOf(regenerated);
      expect(after).not.toBe(before);
      expect(await text("/get?key=regenerated", after)).toBe("yes");
      // A sealed cookie cannot be recalled: in cookie mode the old one lives until its timeouts end it.
      expect(await text("/whoami", before)).toBe(mode === "store mode" ? "anonymous" : "bob");
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
