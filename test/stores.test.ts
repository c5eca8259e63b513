// The conformance suite on every embedded store, and what each one promises beyond the contract.

import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { createSessions, encodeRecord, type SessionRecord, type Store } from "../src/index.js";
import { memoryStore } from "../src/stores/memory/index.js";
import { sqliteStore } from "../src/stores/sqlite/index.js";
import { recordView, type RecordStore } from "./record-store.js";
import { describeStore, expectRenamed, sessionCookie, setCookies, sha256 } from "./store-conformance.js";

const hour = 3_600_000;
const record = (data: SessionRecord["data"] = {}, userId?: string): SessionRecord => ({
  data,
  flash: {},
  meta: { createdAt: 1_700_000_000_000, lastSeenAt: 1_700_000_000_000, ...(userId === undefined ? {} : { userId }) },
});
const writeAt = (expiresAt: number) => ({ now: Date.now(), expiresAt, ttlSeconds: 60 });
/** Whether each of `ids` is in `store`, in order. */
const present = async (store: RecordStore, ids: string[]): Promise<boolean[]> =>
  Promise.all(ids.map(async (id) => (await store.get(id)) !== undefined));

describeStore("memory", { make: () => memoryStore() });

const sqliteDir = mkdtempSync(join(tmpdir(), "tessera-sqlite-"));
const sqlitePaths = new WeakMap<Store, string>();
let sqliteFiles = 0;

describeStore("sqlite", {
  make: () => {
    const path = join(sqliteDir, `conformance-${++sqliteFiles}.db`);
    const store = sqliteStore({ path });
    sqlitePaths.set(store, path);
    return store;
  },
  dump: (store) => {
    const db = new Database(sqlitePaths.get(store)!, { readonly: true });
    try {
      return JSON.stringify(db.prepare("SELECT * FROM tessera_sessions").all());
    } finally {
      db.close();
    }
  },
  cleanup: () => rmSync(sqliteDir, { recursive: true, force: true }),
});

describe("memory store", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("evicts the least recently written record when it is full", async () => {
    const store = recordView(memoryStore({ maxEntries: 3 }));
    const later = Date.now() + hour;
    for (const id of ["a", "b", "c"]) await store.create(id, record({ id }), writeAt(later));
    await store.update("a", record({ id: "a", again: true }), 1, writeAt(later));
    await store.create("d", record({ id: "d" }), writeAt(later));
    expect(await store.get("b")).toBeUndefined();
    expect(await present(store, ["a", "c", "d"])).toEqual([true, true, true]);
    await store.create("e", record({ id: "e" }), writeAt(later));
    expect(await store.get("c")).toBeUndefined();
    expect(await present(store, ["a", "d", "e"])).toEqual([true, true, true]);
    await store.close();
  });

  it("collects records expired by the write's time (the manager's clock, not its own) before it evicts a live one", async () => {
    // Far from Date.now(): a store that judged expiry by its own clock would find nothing expired, and evict.
    let now = Date.now() + 1000 * hour;
    const store = recordView(memoryStore({ maxEntries: 3 }));
    await store.create("live-old", record({}, "alice"), { ...writeAt(now + hour), now });
    await store.create("expiring", record({}, "alice"), { ...writeAt(now + 10), now });
    await store.create("live-new", record(), { ...writeAt(now + hour), now });
    now += 10;
    await store.create("next", record(), { ...writeAt(now + hour), now });
    expect(await store.get("expiring")).toBeUndefined();
    expect(await present(store, ["live-old", "live-new", "next"])).toEqual([true, true, true]);
    expect((await store.listByUser("alice")).map((s) => s.id)).toEqual(["live-old"]);
    await store.close();
  });

  it("keeps the user index in step when it evicts", async () => {
    const store = recordView(memoryStore({ maxEntries: 1 }));
    await store.create("a", record({}, "alice"), writeAt(Date.now() + hour));
    await store.create("b", record({}, "bob"), writeAt(Date.now() + hour));
    expect(await store.listByUser("alice")).toEqual([]);
    expect(await store.deleteByUser("alice")).toBe(0);
    await store.close();
  });

  it("collects expired records on its own interval, by this machine's clock, without being asked", async () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval", "Date"] });
    const store = recordView(memoryStore({ gcInterval: "30s" }));
    await store.create("short", record({}, "alice"), writeAt(Date.now() + 1000));
    await store.create("long", record(), writeAt(Date.now() + hour));
    vi.advanceTimersByTime(29_000);
    expect(await store.get("short")).toBeDefined();
    vi.advanceTimersByTime(1000);
    expect(await store.get("short")).toBeUndefined();
    expect(await store.get("long")).toBeDefined();
    expect(await store.listByUser("alice")).toEqual([]);
    await store.close();
    expect(vi.getTimerCount()).toBe(0);
  });

  it("refuses a maxEntries that is not a positive integer", () => {
    for (const maxEntries of [0, -1, 1.5, Number.NaN]) {
      expect(() => memoryStore({ maxEntries }), String(maxEntries)).toThrow(expect.objectContaining({ code: "ERR_INVALID_OPTION" }));
    }
  });

  it("refuses a gc interval that setInterval would turn into a 1 ms loop, and takes false for no timer", async () => {
    for (const gcInterval of [0, -5, Number.NaN, Number.POSITIVE_INFINITY, 30 * 24 * 3600, "1 minute" as never, true as never]) {
      expect(() => memoryStore({ gcInterval }), String(gcInterval)).toThrow(
        expect.objectContaining({ code: "ERR_INVALID_OPTION", message: expect.stringContaining("`gcInterval`") }),
      );
    }
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
    const off = recordView(memoryStore({ gcInterval: false }));
    expect(vi.getTimerCount()).toBe(0);
    await off.create("expired", record(), writeAt(Date.now() - 1));
    expect(await off.gc!(Date.now())).toBe(1);
    await off.close();
  });

  it("refuses the option names of earlier releases, naming what replaces them", () => {
    expectRenamed((old) => memoryStore(old), { sweepIntervalSeconds: ["gcInterval"], clock: ["clock"] });
  });

  it("refuses a gc without the time to collect by: it has no clock of its own to fall back on", async () => {
    const store = memoryStore({ gcInterval: false });
    expect(() => (store.gc as (now?: number) => number)()).toThrow(expect.objectContaining({ code: "ERR_INVALID_OPTION" }));
    await store.close();
  });
});

describe("sqlite store", () => {
  const dir = mkdtempSync(join(tmpdir(), "tessera-sqlite-own-"));
  let files = 0;
  const fresh = () => join(dir, `store-${++files}.db`);
  const open: { close(): unknown }[] = [];
  afterEach(() => {
    for (const handle of open.splice(0)) handle.close();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("runs the database file in WAL mode", () => {
    const path = fresh();
    open.push(sqliteStore({ path }));
    const other = new Database(path, { readonly: true });
    open.push(other);
    expect(other.pragma("journal_mode", { simple: true })).toBe("wal");
  });

  it("waits busyTimeout for another connection's lock on timers, blocking the event loop 2 ms at a time at most", async () => {
    const path = fresh();
    const given = new Database(path);
    open.push(given);
    const store = recordView(sqliteStore({ database: given, busyTimeout: 0.3, gcInterval: false }));
    expect(given.pragma("busy_timeout", { simple: true })).toBe(2);
    const other = new Database(path);
    open.push(other);
    other.exec("BEGIN IMMEDIATE");
    const started = Date.now();
    await expect(store.create("held", record(), writeAt(Date.now() + hour))).rejects.toMatchObject({ code: "SQLITE_BUSY" });
    expect(Date.now() - started, "it kept retrying until busyTimeout").toBeGreaterThanOrEqual(290);
    // A lock released while the call waits: the retry goes through.
    const pending = store.create("released", record(), writeAt(Date.now() + hour));
    setTimeout(() => other.exec("COMMIT"), 50);
    expect(await pending).toBe(true);
  });

  it("checkpoints the WAL on a worker thread, not inside a request's commit, and gives a database back as it found it", async () => {
    const path = fresh();
    const given = new Database(path);
    open.push(given);
    const store = recordView(sqliteStore({ database: given, gcInterval: false }));
    // Commits never checkpoint (that fsync would stall the event loop); the worker does.
    expect(given.pragma("wal_autocheckpoint", { simple: true })).toBe(0);
    const before = statSync(path).size;
    for (let i = 0; i < 300; i++) await store.create(`id-${i}`, record({ blob: "x".repeat(2000) }), writeAt(Date.now() + hour));
    expect(statSync(`${path}-wal`).size).toBeGreaterThan(300 * 2000);
    // Readiness probe, not a sleep: the main file grows once the worker has copied the log into it.
    for (let waited = 0; statSync(path).size <= before && waited < 10_000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(statSync(path).size).toBeGreaterThan(before + 300 * 2000);
    await store.close();
    expect(given.pragma("wal_autocheckpoint", { simple: true })).toBe(1000);
  });

  it("indexes expiry and user id, and its gc and user lookups use those indexes", () => {
    const db = new Database(fresh());
    open.push(db);
    open.push(sqliteStore({ database: db }));
    const indexed = db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'tessera_sessions' AND sql IS NOT NULL")
      .all()
      .map((row) => (row as { name: string }).name);
    const columns = indexed.map((name) => (db.pragma(`index_info(${name})`) as { name: string }[]).map((c) => c.name).join(","));
    expect(columns.sort()).toEqual(["expires_at", "user_id"]);
    const plan = (sql: string) => JSON.stringify(db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(1));
    expect(plan("SELECT id FROM tessera_sessions WHERE expires_at <= ?")).toMatch(/USING (COVERING )?INDEX tessera_sessions_expires_at/);
    expect(plan("SELECT id FROM tessera_sessions WHERE user_id = ?")).toMatch(/USING (COVERING )?INDEX tessera_sessions_user_id/);
  });

  it("collects expired rows in batches of gcBatchSize, letting the event loop in between", async () => {
    const db = new Database(fresh());
    open.push(db);
    const store = sqliteStore({ database: db, gcBatchSize: 500, gcInterval: false });
    open.push(store);
    const now = Date.now();
    db.transaction(() => {
      // Raw, synchronous writes: the transaction must not see promises.
      for (let i = 0; i < 2500; i++) store.create(`expired-${i}`, encodeRecord(record({ i })), { ...writeAt(now - 1 - i), userId: undefined });
      for (let i = 0; i < 7; i++) store.create(`live-${i}`, encodeRecord(record({ i }, "alice")), { ...writeAt(now + hour), userId: "alice" });
    })();
    const expiredLeft = () => (db.prepare("SELECT count(*) AS n FROM tessera_sessions WHERE id LIKE 'expired-%'").get() as { n: number }).n;

    const collecting = store.gc!(now);
    const midway = await new Promise<number>((resolve) => setImmediate(() => resolve(expiredLeft())));
    expect(midway).toBeGreaterThan(0);
    expect(midway).toBeLessThan(2500);
    expect(midway % 500).toBe(0);
    expect(await collecting).toBe(2500);
    expect(expiredLeft()).toBe(0);
    expect(store.listByUser("alice")).toHaveLength(7);
    expect(await store.gc!(now)).toBe(0);
  });

  it("refuses a gcBatchSize that is not a positive integer", () => {
    for (const gcBatchSize of [0, -1, 2.5, Number.NaN]) {
      expect(() => sqliteStore({ path: ":memory:", gcBatchSize }), String(gcBatchSize)).toThrow(
        expect.objectContaining({ code: "ERR_INVALID_OPTION", message: expect.stringContaining("`gcBatchSize`") }),
      );
    }
  });

  it("refuses a gc interval that setInterval would turn into a 1 ms loop", () => {
    for (const gcInterval of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, 30 * 24 * 3600, "10 minutes" as never]) {
      expect(() => sqliteStore({ path: ":memory:", gcInterval }), String(gcInterval)).toThrow(
        expect.objectContaining({ code: "ERR_INVALID_OPTION", message: expect.stringContaining("`gcInterval`") }),
      );
    }
    const off = sqliteStore({ path: ":memory:", gcInterval: false });
    open.push(off);
    expect(off.name).toBe("sqlite");
  });

  it("refuses a busyTimeout that is not a duration, and takes 0 for no wait", () => {
    for (const busyTimeout of [-1, Number.NaN, 30 * 24 * 3600, "2 seconds" as never]) {
      expect(() => sqliteStore({ path: ":memory:", busyTimeout }), String(busyTimeout)).toThrow(
        expect.objectContaining({ code: "ERR_INVALID_OPTION", message: expect.stringContaining("`busyTimeout`") }),
      );
    }
    const db = new Database(":memory:");
    open.push(db);
    open.push(sqliteStore({ database: db, busyTimeout: 0 }));
    expect(db.pragma("busy_timeout", { simple: true })).toBe(0);
  });

  it("refuses the option names of earlier releases, naming what replaces them, before it opens a file", () => {
    const path = fresh();
    expectRenamed((old) => sqliteStore({ path, ...old }), {
      busyTimeoutMs: ["busyTimeout"],
      gcIntervalSeconds: ["gcInterval"],
      clock: ["clock"],
    });
    expect(existsSync(path)).toBe(false);
  });

  it("refuses a table name that is not an SQL identifier", () => {
    expect(() => sqliteStore({ path: ":memory:", table: "sessions; DROP TABLE users" })).toThrow(
      expect.objectContaining({ code: "ERR_INVALID_OPTION" }),
    );
  });

  it("leaves a database it was given open when it closes", async () => {
    const db = new Database(fresh());
    open.push(db);
    const store = recordView(sqliteStore({ database: db, table: "app_sessions" }));
    await store.create("id", record({ a: 1 }), writeAt(Date.now() + hour));
    await store.close();
    expect(db.open).toBe(true);
    expect((db.prepare("SELECT count(*) AS n FROM app_sessions").get() as { n: number }).n).toBe(1);
  });

  it("keeps every increment when several processes update one session in one file at once", async () => {
    const path = fresh();
    const processes = 3;
    const requestsEach = 10;
    const fixture = fileURLToPath(new URL("./fixtures/sqlite-counter.ts", import.meta.url));
    const children: ChildProcessWithoutNullStreams[] = [];
    const lines: AsyncIterator<string>[] = [];
    try {
      // The children open the fresh file at the same moment, so creating the schema races as well.
      for (let i = 0; i < processes; i++) {
        const child = spawn(process.execPath, ["--import", "tsx", fixture, path, String(requestsEach)], { cwd: process.cwd() });
        children.push(child);
        lines.push(createInterface({ input: child.stdout })[Symbol.asyncIterator]());
      }
      const stderr = children.map((child) => {
        let text = "";
        child.stderr.on("data", (chunk: Buffer) => (text += chunk.toString()));
        return () => text;
      });
      const nextLine = async (i: number): Promise<string> => {
        const line = await lines[i]!.next();
        if (line.done) throw new Error(`child ${i} ended early: ${stderr[i]!()}`);
        return line.value;
      };
      // Readiness: each child says "ready" once its store is open.
      expect(await Promise.all(children.map((_, i) => nextLine(i)))).toEqual(Array(processes).fill("ready"));

      const store = sqliteStore({ path, gcInterval: false });
      open.push(store);
      const sessions = createSessions<{ count?: number }>({ secrets: ["conformance suite secret, 48 bytes long........"], store });
      const first = await sessions.load(new Request("https://app.test/"));
      first.set("count", 0);
      const token = setCookies(await sessions.commit(first, new Response("ok")))[0]!.value;

      for (const child of children) child.stdin.write(`${token}\n`);
      // Every process loads the session at the same version before any commits, so their writes collide.
      expect(await Promise.all(children.map((_, i) => nextLine(i)))).toEqual(Array(processes).fill("loaded"));
      for (const child of children) child.stdin.end("go\n");
      const reports = (await Promise.all(children.map((_, i) => nextLine(i)))).map(
        (line) => JSON.parse(line) as { ok: number; failed: string[]; conflicts: number },
      );
      const exits = await Promise.all(
        children.map((child) => (child.exitCode !== null ? child.exitCode : new Promise((resolve) => child.once("exit", resolve)))),
      );
      expect(exits).toEqual(Array(processes).fill(0));

      const succeeded = reports.reduce((sum, r) => sum + r.ok, 0);
      const after = await sessions.load(new Request("https://app.test/", { headers: { cookie: `${sessionCookie}=${token}` } }));
      // Every commit that succeeded is counted once: no update lost, none applied twice.
      expect(after.get("count")).toBe(succeeded);
      expect(reports.flatMap((r) => r.failed)).toEqual([]);
      expect(succeeded).toBe(processes * requestsEach);
      expect((await store.get(sha256(token)))?.version).toBe(processes * requestsEach + 1);
      // The compare-and-set path really ran: concurrent requests collided and were replayed.
      expect(reports.reduce((sum, r) => sum + r.conflicts, 0)).toBeGreaterThan(0);
    } finally {
      for (const child of children) if (child.exitCode === null) child.kill();
    }
  }, 60_000);
});
