// `npm run bench:stall [-- --seconds=10 --processes=2 --sessions=400 --concurrency=16 --hold-ms=250]`: processes
// write one SQLite file through sqliteStore (many distinct sessions, update loops), each measuring how long its event
// loop stalls (perf_hooks.monitorEventLoopDelay, the largest gap of a 1 ms setInterval, the longest synchronous store
// call) while SQLite waits on another process's lock. Three runs: one process alone (what the machine itself costs),
// all at once, and all at once while another connection holds the write lock for --hold-ms every second (a long
// transaction elsewhere: a backup, a big gc batch, an sqlite3 shell). Prints a table per process.

import Database from "better-sqlite3";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { createSessions, type Store, type TesseraError } from "../src/index.js";
import { sqliteStore } from "../src/stores/sqlite/index.js";

const argument = (name: string, fallback: string): string =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const secret = "sqlite stall benchmark secret, 48 bytes long.....";

/** What each writer process reports. */
interface Report {
  pid: number;
  writes: number;
  failures: Record<string, number>;
  seconds: number;
  /** Event-loop delay percentiles and maximum, in ms (monitorEventLoopDelay, 1 ms resolution). */
  p50: number;
  p99: number;
  max: number;
  /** The largest gap between two runs of a 1 ms setInterval, in ms. */
  maxGap: number;
  /** Commit latency p99, in ms. */
  commitP99: number;
  /** The longest synchronous part of one store call, in ms: time the event loop was blocked inside the store. */
  longestStoreCall: number;
}

/** Wraps `store` so that the synchronous part of every call is timed (all of it, for a synchronous store). */
function timed(store: Store, onCall: (ms: number) => void): Store {
  return new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        const began = performance.now();
        try {
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        } finally {
          onCall(performance.now() - began);
        }
      };
    },
  });
}

/** A child: reads its sessions' Cookie headers on stdin, runs update loops for `seconds` on its sessions, prints its report as JSON. */
async function writer(path: string, cookies: string[], seconds: number, concurrency: number): Promise<Report> {
  let longestStoreCall = 0;
  const store = timed(sqliteStore({ path, gcInterval: false }), (ms) => (longestStoreCall = Math.max(longestStoreCall, ms)));
  const sessions = createSessions<{ count?: number; note?: string }>({ secrets: [secret], store });
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  let last = performance.now();
  let maxGap = 0;
  const failures: Record<string, number> = {};
  const latencies: number[] = [];
  let writes = 0;
  let next = 0;

  histogram.enable();
  const ticker = setInterval(() => {
    const now = performance.now();
    maxGap = Math.max(maxGap, now - last);
    last = now;
  }, 1);
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const loop = async (): Promise<void> => {
    while (performance.now() < deadline) {
      const cookie = cookies[next++ % cookies.length]!;
      const began = performance.now();
      try {
        const session = await sessions.load(new Request("http://bench.test/", { headers: { cookie } }));
        session.update("count", (n) => (n ?? 0) + 1);
        session.set("note", `written by ${process.pid}`);
        await sessions.commit(session, new Response("ok"));
        writes++;
        latencies.push(performance.now() - began);
      } catch (error) {
        const code = (error as TesseraError).code ?? (error as Error).name;
        failures[code] = (failures[code] ?? 0) + 1;
      }
      // A synchronous store never yields by itself; the timers being measured need a turn.
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  const elapsed = (performance.now() - started) / 1000;
  clearInterval(ticker);
  histogram.disable();
  await sessions.close();
  latencies.sort((a, b) => a - b);
  const ms = (ns: number): number => ns / 1e6;
  return {
    pid: process.pid,
    writes,
    failures,
    seconds: elapsed,
    p50: ms(histogram.percentile(50)),
    p99: ms(histogram.percentile(99)),
    max: ms(histogram.max),
    maxGap,
    commitP99: latencies[Math.floor(latencies.length * 0.99)] ?? 0,
    longestStoreCall,
  };
}

async function child(): Promise<void> {
  const [path, seconds, concurrency] = process.argv.slice(3);
  process.stdout.write("ready\n");
  const lines = createInterface({ input: process.stdin });
  const cookies = await new Promise<string[]>((resolve) => lines.once("line", (line) => resolve(JSON.parse(line) as string[])));
  lines.close();
  const report = await writer(path!, cookies, Number(seconds), Number(concurrency));
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

async function main(): Promise<void> {
  const seconds = Number(argument("seconds", "10"));
  const processes = Number(argument("processes", "2"));
  const sessionCount = Number(argument("sessions", "400"));
  const concurrency = Number(argument("concurrency", "16"));
  const holdMs = Number(argument("hold-ms", "250"));
  const dir = mkdtempSync(join(tmpdir(), "tessera-stall-"));
  const path = join(dir, "sessions.db");
  try {
    const seeding = createSessions<{ count?: number }>({ secrets: [secret], store: sqliteStore({ path, gcInterval: false }) });
    const cookies: string[] = [];
    for (let i = 0; i < sessionCount; i++) {
      const session = await seeding.load(new Request("http://bench.test/"));
      session.set("count", 0);
      const response = await seeding.commit(session, new Response("ok"));
      // The Cookie header as the browser would send it: the name over plain http has no __Host- prefix.
      cookies.push(response.headers.getSetCookie()[0]!.split(";")[0]!);
    }
    await seeding.close();

    const fixed = (n: number): string => n.toFixed(1);
    const rows: Record<string, string | number>[] = [];
    const runs = [
      { name: "alone", count: 1, holdMs: 0 },
      { name: `${processes} at once`, count: processes, holdMs: 0 },
      { name: `${processes} at once, lock held ${holdMs} ms/s`, count: processes, holdMs },
    ];
    for (const { name, count, holdMs: hold } of runs) {
      const reports = await run(path, cookies, count, seconds, concurrency, hold);
      reports.forEach((r, i) =>
        rows.push({
          run: name,
          process: i + 1,
          "stall p50 (ms)": fixed(r.p50),
          "stall p99 (ms)": fixed(r.p99),
          "stall max (ms)": fixed(r.max),
          "1 ms timer max gap (ms)": fixed(r.maxGap),
          "longest store call (ms)": fixed(r.longestStoreCall),
          "commit p99 (ms)": fixed(r.commitP99),
          "writes/s": Math.round(r.writes / r.seconds),
          failures: Object.entries(r.failures).map(([code, n]) => `${code} ${n}`).join(", ") || "0",
        }),
      );
    }
    console.log(
      `SQLite, processes writing one file through sqliteStore: ${sessionCount} sessions, ${concurrency} update loops per process, ` +
        `${seconds} s per run, busy_timeout as the store sets it: ${busyTimeoutOf(path)} ms (Node ${process.version})`,
    );
    console.table(rows);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Runs `count` writer processes at once on `path`, each on its own share of `cookies`, and collects their reports.
 * With `holdMs`, this process holds the write lock (BEGIN IMMEDIATE) for that long once a second meanwhile.
 */
async function run(path: string, cookies: string[], count: number, seconds: number, concurrency: number, holdMs: number): Promise<Report[]> {
  const self = fileURLToPath(import.meta.url);
  const children = Array.from({ length: count }, () =>
    spawn(process.execPath, [...process.execArgv, self, "--child", path, String(seconds), String(concurrency)], { stdio: ["pipe", "pipe", "inherit"] }),
  );
  const lines = children.map((c) => createInterface({ input: c.stdout! })[Symbol.asyncIterator]());
  // A barrier: every writer is loaded and waiting before any starts, so their runs overlap fully.
  for (const line of lines) if ((await line.next()).value !== "ready") throw new Error("a writer did not start");
  // Each process gets its own sessions: they meet on the file's write lock, not on the same rows.
  children.forEach((c, i) => c.stdin!.write(`${JSON.stringify(cookies.filter((_, t) => t % count === i))}\n`));
  const holder = holdMs > 0 ? new Database(path) : undefined;
  holder?.pragma("busy_timeout = 10000");
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  const holding = holder
    ? setInterval(() => {
        holder.exec("BEGIN IMMEDIATE");
        Atomics.wait(sleeper, 0, 0, holdMs);
        holder.exec("COMMIT");
      }, 1000)
    : undefined;
  const reports: Report[] = [];
  try {
    for (const line of lines) reports.push(JSON.parse((await line.next()).value as string) as Report);
  } finally {
    clearInterval(holding);
    holder?.close();
  }
  return reports;
}

/** The busy_timeout sqliteStore sets on a connection it is given, read back from SQLite. */
function busyTimeoutOf(path: string): unknown {
  const database = new Database(path);
  const store = sqliteStore({ database, gcInterval: false });
  try {
    return database.pragma("busy_timeout", { simple: true });
  } finally {
    void store.close();
    database.close();
  }
}

if (process.argv[2] === "--child") await child();
else await main();
