// `npm run bench:scale [-- --sessions=1000000 --stores=sqlite,redis,postgres]`: seeds live sessions into each
// store, then reports p50/p99 latency of reads and compare-and-set writes under concurrent load, and how long
// garbage collection of as many expired sessions takes and the longest pause it causes. Prints a table.
// `--mode=gc` instead runs `tessera gc` over as many expired sessions beside an application sharing the store
// (bench/scale-gc.ts).

import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { decodeRecord, encodeRecord, type SessionRecord, type Store } from "../src/index.js";

const argument = (name: string, fallback: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const total = Number(argument("sessions", "1000000"));
const stores = argument("stores", "sqlite,redis,postgres").split(",");
const concurrency = 50;
const loadSeconds = Number(argument("seconds", "10"));

const id = (i: number, tag: string) => `${tag}-${i.toString(36).padStart(8, "0")}-${randomBytes(6).toString("base64url")}`;
const recordFor = (i: number): SessionRecord => ({
  data: { username: `user${i}`, cart: ["tea", "cake"], visits: i % 100 },
  flash: {},
  meta: { createdAt: Date.now(), lastSeenAt: Date.now(), userId: `user${i % 50_000}` },
});

async function open(name: string): Promise<{ store: Store; cleanup: () => Promise<void> }> {
  if (name === "sqlite") {
    const dir = mkdtempSync(join(tmpdir(), "tessera-scale-"));
    const { sqliteStore } = await import("../src/stores/sqlite/index.js");
    const store = sqliteStore({ path: join(dir, "sessions.db"), gcInterval: false });
    return { store, cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  if (name === "redis") {
    const { redisStore } = await import("../src/stores/redis/index.js");
    const prefix = `scale:${process.pid}:`;
    const store = redisStore({ url: "redis://127.0.0.1:6379", prefix });
    const cleanup = async () => {
      const { createClient } = await import("redis");
      const client = createClient({ url: "redis://127.0.0.1:6379" });
      await client.connect();
      for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 10_000 })) {
        if (keys.length > 0) await client.unlink(keys);
      }
      await client.quit();
    };
    return { store, cleanup };
  }
  if (name === "postgres") {
    const specifier = "../src/stores/postgres/index.js";
    const { postgresStore } = (await import(specifier)) as { postgresStore: (o: object) => Store };
    const table = `scale_${process.pid}`;
    const store = postgresStore({ url: "postgres://postgres@127.0.0.1:5432/test", table, gcInterval: false });
    const cleanup = async () => {
      const { default: pg } = await import("pg");
      const client = new pg.Client({ connectionString: "postgres://postgres@127.0.0.1:5432/test" });
      await client.connect();
      await client.query(`DROP TABLE IF EXISTS ${table}`);
      await client.end();
    };
    return { store, cleanup };
  }
  throw new Error(`unknown store ${name}`);
}

/** Runs `task(i)` for i in [0, count) with `width` in flight. */
async function pool(count: number, width: number, task: (i: number) => unknown): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < count) await task(next++);
    }),
  );
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function seed(store: Store, count: number, tag: string, expiresAt: number): Promise<string[]> {
  const ids: string[] = new Array(count);
  const started = performance.now();
  await pool(count, concurrency, async (i) => {
    ids[i] = id(i, tag);
    const record = recordFor(i);
    await store.create(ids[i]!, encodeRecord(record), {
      now: Date.now(),
      expiresAt,
      ttlSeconds: Math.max(1, Math.ceil((expiresAt - Date.now()) / 1000)),
      userId: record.meta.userId,
    });
    if (i > 0 && i % 200_000 === 0) process.stdout.write(`  ${tag}: ${i} seeded (${((performance.now() - started) / 1000).toFixed(0)} s)\n`);
  });
  return ids;
}

async function measureLoad(store: Store, ids: string[]) {
  const reads: number[] = [];
  const writes: number[] = [];
  const deadline = performance.now() + loadSeconds * 1000;
  const options = { expiresAt: Date.now() + 3_600_000, ttlSeconds: 3600 };
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      while (performance.now() < deadline) {
        const target = ids[Math.floor(Math.random() * ids.length)]!;
        const t0 = performance.now();
        // Timed with decoding and encoding, as the manager reads and writes a record.
        const stored = await store.get(target);
        const record = stored && decodeRecord(stored.text);
        reads.push(performance.now() - t0);
        // Half the workers also write back (compare-and-set on the version they read).
        if (stored && record && worker % 2 === 0) {
          const t1 = performance.now();
          const text = encodeRecord({ ...record, data: { ...record.data, visits: 1 } });
          await store.update(target, text, stored.version, { ...options, now: Date.now(), userId: record.meta.userId });
          writes.push(performance.now() - t1);
        }
      }
    }),
  );
  reads.sort((a, b) => a - b);
  writes.sort((a, b) => a - b);
  return { reads, writes };
}

async function measureGc(store: Store, ids: string[]) {
  if (!store.gc) return undefined;
  // Requests keep running during collection; the longest of them, and the event loop's longest stall, are the pause.
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  let running = true;
  let longestRequest = 0;
  const probes = (async () => {
    while (running) {
      const t0 = performance.now();
      const stored = await store.get(ids[Math.floor(Math.random() * ids.length)]!);
      if (stored) decodeRecord(stored.text);
      longestRequest = Math.max(longestRequest, performance.now() - t0);
      await new Promise((resolve) => setImmediate(resolve));
    }
  })();
  histogram.enable();
  const started = performance.now();
  const removed = await store.gc(Date.now());
  const seconds = (performance.now() - started) / 1000;
  histogram.disable();
  running = false;
  await probes;
  return { removed, seconds, longestStallMs: histogram.max / 1e6, longestRequestMs: longestRequest };
}

if (argument("mode", "load") === "gc") {
  const { runGcBench } = await import("./scale-gc.js");
  await runGcBench({ sessions: total, stores: argument("stores", "sqlite,postgres").split(","), batch: process.argv.find((a) => a.startsWith("--batch="))?.slice(8), seconds: Number(argument("seconds", "5")) });
} else {
  const lines: string[] = [];
  for (const name of stores) {
    console.log(`${name}: seeding ${total} live sessions`);
    const { store, cleanup } = await open(name);
    try {
      const seedStart = performance.now();
      const live = await seed(store, total, "live", Date.now() + 3_600_000);
      const seedSeconds = (performance.now() - seedStart) / 1000;
      console.log(`${name}: load for ${loadSeconds} s with ${concurrency} in flight`);
      const { reads, writes } = await measureLoad(store, live);
      let gc = "native expiry (no collection to run)";
      if (store.gc) {
        console.log(`${name}: seeding ${total} expired sessions, then collecting them`);
        await seed(store, total, "expired", Date.now() - 1000);
        const result = (await measureGc(store, live))!;
        gc = `${result.removed} removed in ${result.seconds.toFixed(1)} s; longest event-loop stall ${result.longestStallMs.toFixed(1)} ms, longest concurrent read ${result.longestRequestMs.toFixed(1)} ms`;
      }
      lines.push(
        `| ${name} | ${total} in ${seedSeconds.toFixed(0)} s | ${percentile(reads, 50).toFixed(2)} / ${percentile(reads, 99).toFixed(2)} (${reads.length}) | ${percentile(writes, 50).toFixed(2)} / ${percentile(writes, 99).toFixed(2)} (${writes.length}) | ${gc} |`,
      );
    } finally {
      await store.close();
      await cleanup();
    }
  }

  console.log(`\n| store | seeded | read p50 / p99 ms (reads) | CAS write p50 / p99 ms (writes) | garbage collection of ${total} expired |`);
  console.log("| --- | --- | --- | --- | --- |");
  for (const line of lines) console.log(line);
}
