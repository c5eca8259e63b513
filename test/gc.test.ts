// The stores' garbage collection as tools drive it: counts, batch sizes, a report per batch, and stopping part way,
// on SQLite (a file) and the real PostgreSQL server.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import type { GcBatch, Store } from "../src/index.js";
import { postgresStore } from "../src/stores/postgres/index.js";
import { sqliteStore } from "../src/stores/sqlite/index.js";

const postgresUrl = process.env.TESSERA_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const dir = mkdtempSync(join(tmpdir(), "tessera-gc-"));
const tables: string[] = [];
const run = `${process.pid.toString(36)}${Date.now().toString(36)}`;

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  if (tables.length === 0) return;
  const admin = new pg.Client({ connectionString: postgresUrl });
  await admin.connect();
  await admin.query(`DROP TABLE IF EXISTS ${tables.join(", ")}`);
  await admin.end();
});

const makers: Record<string, () => Store> = {
  sqlite: () => sqliteStore({ path: join(dir, `${tables.length}-${Math.random().toString(36).slice(2)}.db`), gcInterval: false }),
  postgres: () => {
    const table = `tessera_gc_${run}_${tables.length}`;
    tables.push(table);
    return postgresStore({ url: postgresUrl, table, gcInterval: false });
  },
};

const now = Date.UTC(2026, 0, 1);

/** `expired` records that expired before `now` and `live` ones after it. */
async function seed(store: Store, expired: number, live: number): Promise<void> {
  for (let i = 0; i < expired; i++) await store.create(`expired-${i}`, "{}", { now: Date.now(), expiresAt: now - 1 - i, ttlSeconds: 1, userId: undefined });
  for (let i = 0; i < live; i++) await store.create(`live-${i}`, "{}", { now: Date.now(), expiresAt: now + 1 + i, ttlSeconds: 60, userId: undefined });
}

describe.each(Object.keys(makers))("gc on %s", (name) => {
  it("counts the records and those expired at now, the edge included", async () => {
    const store = makers[name]!();
    try {
      await seed(store, 30, 12);
      await store.create("at-now", "{}", { now: Date.now(), expiresAt: now, ttlSeconds: 1, userId: undefined });
      expect(await store.count!(now)).toEqual({ sessions: 43, expired: 31 });
    } finally {
      await store.close();
    }
  });

  it("deletes in batches of batchSize, reporting each, and keeps live records", async () => {
    const store = makers[name]!();
    try {
      await seed(store, 30, 5);
      const batches: GcBatch[] = [];
      expect(await store.gc!(now, { batchSize: 7, onBatch: (batch) => batches.push(batch) })).toBe(30);
      expect(batches.map((b) => b.deleted)).toEqual([7, 7, 7, 7, 2]);
      for (const batch of batches) expect(batch.durationMs).toBeGreaterThanOrEqual(0);
      expect(await store.count!(now)).toEqual({ sessions: 5, expired: 0 });
      expect(await store.get("live-0")).toMatchObject({ text: "{}" });
    } finally {
      await store.close();
    }
  });

  it("stops between batches when its signal is aborted, answering what it deleted", async () => {
    const store = makers[name]!();
    try {
      await seed(store, 30, 0);
      const controller = new AbortController();
      let batches = 0;
      const removed = await store.gc!(now, {
        batchSize: 5,
        signal: controller.signal,
        onBatch: () => {
          if (++batches === 2) controller.abort();
        },
      });
      expect(removed).toBe(10);
      expect(batches).toBe(2);
      expect(await store.count!(now)).toEqual({ sessions: 20, expired: 20 });
      // The next run picks up where it stopped.
      expect(await store.gc!(now)).toBe(20);
    } finally {
      await store.close();
    }
  });

  it("refuses a batch size that would never finish", async () => {
    const store = makers[name]!();
    try {
      await expect(Promise.resolve().then(() => store.gc!(now, { batchSize: 0 }))).rejects.toMatchObject({ code: "ERR_INVALID_OPTION" });
    } finally {
      await store.close();
    }
  });
});
