// A store call abandoned at storeTimeout must not land later: the write a user was told failed stays unwritten.
// Each case holds the store busy (a lock another connection holds, a pool whose only connection is taken) past
// the deadline, answers 503, then frees it and checks the write never happened.

import Database from "better-sqlite3";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { createSessions, type Store } from "../src/index.js";
import { postgresStore } from "../src/stores/postgres/index.js";
import { sqliteStore } from "../src/stores/sqlite/index.js";
import { issuedToken, request, sha256 } from "./store-conformance.js";

const secret = "deadline tests secret, at least 32 bytes long....";
type Data = { count?: number };

/** Seeds a session at count 0 and loads it again, ready to change; returns the token and the loaded session. */
async function loaded(sessions: ReturnType<typeof createSessions<Data>>) {
  const first = await sessions.load(request());
  first.set("count", 0);
  const token = issuedToken(await sessions.commit(first, new Response("ok")));
  return { token, session: await sessions.load(request(token)) };
}

describe("deadlines that hold", () => {
  const dir = mkdtempSync(join(tmpdir(), "tessera-deadlines-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("sqlite: an update abandoned while another process holds the lock never lands after the 503", async () => {
    const path = join(dir, "locked.db");
    const store = sqliteStore({ path, gcInterval: false, busyTimeout: 5 });
    const sessions = createSessions<Data>({ secrets: [secret], store, storeTimeout: 0.2 });
    const { token, session } = await loaded(sessions);
    const other = new Database(path);
    other.exec("BEGIN IMMEDIATE");
    try {
      session.set("count", 1);
      await expect(sessions.commit(session, new Response("ok"))).rejects.toMatchObject({ code: "ERR_STORE_UNAVAILABLE" });
    } finally {
      other.exec("COMMIT");
      other.close();
    }
    // Well past the store's retry interval: a write still queued would have landed by now.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await sessions.load(request(token))).get("count")).toBe(0);
    expect((await store.get(sha256(token)))?.version).toBe(1);
    await sessions.close();
  });

  it("sqlite: a lock held by another process never blocks the event loop for long: timers keep firing", async () => {
    const path = join(dir, "stall.db");
    const store = sqliteStore({ path, gcInterval: false, busyTimeout: 5 });
    const sessions = createSessions<Data>({ secrets: [secret], store, storeTimeout: 0.5 });
    const { session } = await loaded(sessions);
    const other = new Database(path);
    other.exec("BEGIN IMMEDIATE");
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 10);
    try {
      session.set("count", 1);
      await expect(sessions.commit(session, new Response("ok"))).rejects.toMatchObject({ code: "ERR_STORE_UNAVAILABLE" });
    } finally {
      clearInterval(ticker);
      other.exec("COMMIT");
      other.close();
    }
    // Half a second of waiting on the lock: a loop blocked inside SQLite's busy handler would tick about never.
    expect(ticks).toBeGreaterThan(10);
    await sessions.close();
  });

  it("postgres: an update abandoned while waiting for a pool connection is never sent", async () => {
    const table = `deadline_${process.pid}_${Date.now()}`;
    const pool = new pg.Pool({ connectionString: "postgres://postgres@127.0.0.1:5432/test", max: 1 });
    pool.on("error", () => undefined);
    const store: Store = postgresStore({ pool, table, gcInterval: false });
    const sessions = createSessions<Data>({ secrets: [secret], store, storeTimeout: 0.3 });
    try {
      const { token, session } = await loaded(sessions);
      const held = await pool.connect();
      try {
        session.set("count", 1);
        await expect(sessions.commit(session, new Response("ok"))).rejects.toMatchObject({ code: "ERR_STORE_UNAVAILABLE" });
      } finally {
        held.release();
      }
      // The pool hands its connection to the queued call now; an abandoned write must not use it.
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect((await sessions.load(request(token))).get("count")).toBe(0);
      expect((await store.get(sha256(token)))?.version).toBe(1);
    } finally {
      await pool.query(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
      await sessions.close();
      await pool.end();
    }
  });
});
