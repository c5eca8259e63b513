// `npm run bench:scale -- --mode=gc [--sessions=1000000 --stores=sqlite,postgres --batch=500 --seconds=5]`: seeds
// expired sessions in bulk, then runs `tessera gc` (the built binary, its own process) while this process plays the
// application sharing the store: workers loading and writing sessions through createSessions. Reports how long gc
// took, its longest batch, and this process's longest event-loop stall and request latency, against the same load
// without gc. Prints a table; asserts nothing.

import Database from "better-sqlite3";
import { execFile, execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { createSessions, encodeRecord, type Sessions, type Store } from "../src/index.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const bin = join(root, "dist", "cli", "main.js");
const secret = "gc benchmark secret, 48 bytes long, for the app.";
const postgresUrl = process.env.TESSERA_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";

/** What one phase of load measured in this process. */
interface Load {
  requests: number;
  failures: number;
  p99Ms: number;
  maxMs: number;
  /** perf_hooks.monitorEventLoopDelay's maximum, in ms. */
  stallMs: number;
}

interface Backend {
  store: Store;
  args: string[];
  seed(expired: number, live: number): Promise<void>;
  cleanup(): Promise<void>;
}

const text = encodeRecord({ data: { username: "someone", cart: ["tea", "cake"] }, flash: {}, meta: { createdAt: 0, lastSeenAt: 0, userId: "someone" } });

async function open(name: string): Promise<Backend> {
  if (name === "sqlite") {
    const folder = mkdtempSync(join(tmpdir(), "tessera-gc-bench-"));
    const path = join(folder, "sessions.db");
    const { sqliteStore } = await import("../src/stores/sqlite/index.js");
    const store = sqliteStore({ path, gcInterval: false });
    return {
      store,
      args: ["--store", `sqlite:${path}`],
      async seed(expired, live) {
        const db = new Database(path);
        db.pragma("busy_timeout = 5000");
        const insert = db.prepare("INSERT INTO tessera_sessions (id, version, user_id, expires_at, record) VALUES (?, 1, ?, ?, ?)");
        const now = Date.now();
        const chunk = 50_000;
        for (let start = 0; start < expired + live; start += chunk) {
          db.transaction(() => {
            for (let i = start; i < Math.min(start + chunk, expired + live); i++) {
              const isExpired = i < expired;
              insert.run(`${isExpired ? "expired" : "live"}-${i}`, `user${i % 50_000}`, isExpired ? now - 1000 - i : now + 3_600_000, text);
            }
          })();
        }
        db.close();
      },
      async cleanup() {
        await store.close();
        rmSync(folder, { recursive: true, force: true });
      },
    };
  }
  if (name === "postgres") {
    const table = `gc_bench_${process.pid}`;
    const { postgresStore } = await import("../src/stores/postgres/index.js");
    const store = postgresStore({ url: postgresUrl, table, gcInterval: false });
    const admin = new pg.Client({ connectionString: postgresUrl });
    await admin.connect();
    return {
      store,
      args: ["--store", postgresUrl, "--table", table],
      async seed(expired, live) {
        await store.get("none");
        const now = Date.now();
        for (let start = 0; start < expired; start += 100_000) {
          await admin.query(
            `INSERT INTO ${table} (id, version, user_id, expires_at, record) SELECT 'expired-' || g, 1, 'user' || (g % 50000), $1::bigint - g, $2 FROM generate_series($3::int, $4::int) g`,
            [now - 1000, text, start, Math.min(start + 100_000, expired) - 1],
          );
        }
        await admin.query(
          `INSERT INTO ${table} (id, version, user_id, expires_at, record) SELECT 'live-' || g, 1, NULL, $1, $2 FROM generate_series(1, $3::int) g`,
          [now + 3_600_000, text, live],
        );
        await admin.query(`VACUUM ANALYZE ${table}`);
      },
      async cleanup() {
        await store.close();
        await admin.query(`DROP TABLE IF EXISTS ${table}`);
        await admin.end();
      },
    };
  }
  throw new Error(`gc mode runs on sqlite and postgres (redis and memcached expire sessions themselves), not ${name}`);
}

/** Signed-in sessions for the load to read and write. */
async function cookiesFor(sessions: Sessions, count: number): Promise<string[]> {
  const cookies: string[] = [];
  for (let i = 0; i < count; i++) {
    const session = await sessions.load(new Request("https://app.test/"));
    session.set("visits", 0);
    await session.signIn(`bench${i}`);
    const response = await sessions.commit(session, new Response("ok"));
    cookies.push(response.headers.getSetCookie()[0]!.split(";")[0]!);
  }
  return cookies;
}

/** Load (each request reads a session and writes it back) until `until` resolves; what this process saw meanwhile. */
async function load(sessions: Sessions, cookies: string[], until: Promise<unknown>, concurrency: number): Promise<Load> {
  let done = false;
  void until.finally(() => (done = true));
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  const latencies: number[] = [];
  let failures = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      for (let i = worker; !done; i += concurrency) {
        // Each request starts on its own turn of the event loop, as one arriving on a socket does. Without this, a
        // store that answers synchronously (SQLite) lets these loops run on microtasks alone, starving timers
        // for seconds: a stall of the harness, not of an application.
        await new Promise((resolve) => setImmediate(resolve));
        const began = performance.now();
        try {
          const session = await sessions.load(new Request("https://app.test/", { headers: { cookie: cookies[i % cookies.length]! } }));
          session.set("visits", i);
          await sessions.commit(session, new Response("ok"));
        } catch {
          failures++;
        }
        latencies.push(performance.now() - began);
      }
    }),
  );
  histogram.disable();
  latencies.sort((a, b) => a - b);
  return {
    requests: latencies.length,
    failures,
    p99Ms: latencies[Math.floor(latencies.length * 0.99)] ?? Number.NaN,
    maxMs: latencies.at(-1) ?? Number.NaN,
    stallMs: histogram.max / 1e6,
  };
}

/** `tessera gc` as an operator runs it; resolves to its JSON summary. */
function runGc(args: string[]): Promise<{ deleted: number; batches: number; seconds: number; longestPauseMs: number }> {
  return new Promise((resolve, reject) => {
    execFile(bin, ["gc", ...args, "--json"], { maxBuffer: 256 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`tessera gc failed: ${stderr.split("\n").slice(-3).join(" ")}`));
      else resolve(JSON.parse(stdout) as { deleted: number; batches: number; seconds: number; longestPauseMs: number });
    });
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs the gc benchmark and prints its table. */
export async function runGcBench(options: { sessions: number; stores: string[]; batch: string | undefined; seconds: number }): Promise<void> {
  if (!existsSync(bin)) {
    console.log("building dist/ for the tessera binary");
    execFileSync("npm", ["run", "build"], { cwd: root, stdio: "inherit" });
  }
  const live = Math.min(100_000, Math.max(1000, Math.floor(options.sessions / 10)));
  const concurrency = 16;
  const rows: string[] = [];
  for (const name of options.stores) {
    const backend = await open(name);
    try {
      console.log(`${name}: seeding ${options.sessions} expired and ${live} live sessions`);
      const seeded = performance.now();
      await backend.seed(options.sessions, live);
      console.log(`${name}: seeded in ${((performance.now() - seeded) / 1000).toFixed(0)} s`);
      const sessions = createSessions({ secrets: [secret], store: backend.store });
      const cookies = await cookiesFor(sessions, 200);
      console.log(`${name}: ${options.seconds} s of load alone, then the same load during tessera gc`);
      const alone = await load(sessions, cookies, sleep(options.seconds * 1000), concurrency);
      const gc = runGc([...backend.args, ...(options.batch === undefined ? [] : ["--batch", options.batch])]);
      const during = await load(sessions, cookies, gc.catch(() => undefined), concurrency);
      const summary = await gc;
      rows.push(
        `| ${name} | ${summary.deleted.toLocaleString("en-US")} in ${summary.seconds.toFixed(1)} s (${summary.batches} batches) | ${summary.longestPauseMs.toFixed(1)} ms ` +
          `| ${alone.stallMs.toFixed(1)} / ${during.stallMs.toFixed(1)} ms | ${alone.p99Ms.toFixed(1)} / ${during.p99Ms.toFixed(1)} ms ` +
          `| ${alone.maxMs.toFixed(1)} / ${during.maxMs.toFixed(1)} ms | ${alone.failures} / ${during.failures} of ${alone.requests} / ${during.requests} |`,
      );
    } finally {
      await backend.cleanup();
    }
  }
  console.log(`\ntessera gc of ${options.sessions.toLocaleString("en-US")} expired sessions while this process serves ${concurrency} requests at a time (alone / during gc):\n`);
  console.log("| store | deleted | longest gc batch | app's longest event-loop stall | app's request p99 | app's slowest request | failed requests |");
  console.log("| --- | --- | --- | --- | --- | --- | --- |");
  for (const row of rows) console.log(row);
}
