// `npm run bench` (full) and `npm run bench -- --quick`: every contestant in its own process, the load generator
// (autocannon) in this one, all on 127.0.0.1, 50 connections, a warm-up, then each measurement three times with
// contestants interleaved (A B C, A B C, A B C) so drift hits all alike. Prints and writes a markdown table, the
// raw JSON and an SVG chart under bench/results/.

import autocannon from "autocannon";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { readFileSync, mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { connect } from "node:net";
import { cpus, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { contestants, type Contestant } from "./contestants.js";
import { judgeTargets, renderChart, renderGrowthChart, renderGrowthTable, renderTable, renderTargets, summarize, type Measurement } from "./report.js";

const quick = process.argv.includes("--quick");
/** `--growth`: W1 distinct at 1,000, 10,000 and 100,000 sessions, tessera on node:http in every mode. */
const growth = process.argv.includes("--growth");
/**
 * `--targets`: only what the Targets table judges (the bare frameworks, tessera on Fastify and node:http in its
 * cookie and store modes, Hono and Express in sealed, memory and SQLite, @fastify/secure-session, @fastify/session).
 */
const targetsOnly = process.argv.includes("--targets");
const judged = (c: Contestant): boolean => {
  if (c.group === "bare") return true;
  if (c.group === "peer") return c.name === "@fastify/secure-session" || c.name === "@fastify/session";
  const mode = c.name.split(" ").at(-1)!;
  if (c.framework === "node") return true;
  if (c.framework === "fastify") return ["sealed", "xchacha", "signed", "sqlite"].includes(mode);
  return ["sealed", "memory", "sqlite"].includes(mode);
};
const only = process.argv.find((arg) => arg.startsWith("--only="))?.slice("--only=".length);
const settings = quick
  ? { warmupSeconds: 1, seconds: 2, repeats: 3, distinct: 2_000 }
  : { warmupSeconds: 2, seconds: 5, repeats: 3, distinct: 10_000 };
const connections = 50;
const here = dirname(fileURLToPath(import.meta.url));
const tsxLoader = pathToFileURL(join(dirname(createRequire(import.meta.url).resolve("tsx/package.json")), "dist/loader.mjs")).href;
const clockTicks = 100; // USER_HZ on Linux
const machine = `${cpus().length} × ${cpus()[0]?.model ?? "unknown CPU"}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node.js ${process.version}`;

export type Workload = "W1" | "W2" | "W1 distinct" | "W2 shared";
const growthSizes = quick ? [1_000, 5_000, 20_000] : [1_000, 10_000, 100_000];
const workloads: { name: Workload | `W1 distinct ${number}`; path: string; sessions: number }[] = growth
  ? growthSizes.map((sessions) => ({ name: `W1 distinct ${sessions}` as const, path: "/w1", sessions }))
  : [
  { name: "W1", path: "/w1", sessions: connections },
  { name: "W2", path: "/w2", sessions: connections },
  { name: "W1 distinct", path: "/w1", sessions: settings.distinct },
  // Every connection writes the same session at once: tessera's writers of one session queue in the process.
  { name: "W2 shared", path: "/w2", sessions: 1 },
    ];

interface Running {
  contestant: Contestant;
  child: ChildProcess;
  url: string;
  /** The server's counters (bench/server.ts answers a "stats" line). */
  stats(): Promise<{ conflicts: number }>;
}

function reachable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => (socket.destroy(), resolve(true)));
    socket.once("error", () => resolve(false));
  });
}

function start(contestant: Contestant): Promise<Running> {
  const child = spawn(process.execPath, ["--import", tsxLoader, join(here, "server.ts"), contestant.name], {
    stdio: ["pipe", "pipe", "inherit"],
    env: { ...process.env, NODE_ENV: "production" },
  });
  return new Promise((resolve, reject) => {
    let output = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      const match = /ready (\d+)/.exec(output);
      if (match) resolve({ contestant, child, url: `http://127.0.0.1:${match[1]}`, stats: () => statsOf(child) });
    });
    child.once("exit", (code) => reject(new Error(`${contestant.name} exited with ${code}`)));
  });
}

/** Asks a server for its counters: one "stats" line in, one "stats {...}" line out. */
function statsOf(child: ChildProcess): Promise<{ conflicts: number }> {
  return new Promise((resolve) => {
    let output = "";
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /stats (\{.*\})\n/.exec(output);
      if (match) {
        child.stdout!.off("data", onData);
        resolve(JSON.parse(match[1]!) as { conflicts: number });
      }
    };
    child.stdout!.on("data", onData);
    child.stdin!.write("stats\n");
  });
}

/** utime + stime of a process, in microseconds. */
function cpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1_000_000) / clockTicks;
}

/** Cookies for `count` sessions, each made by one GET /login (none for contestants that set no cookie). */
async function sessionsFor(url: string, count: number): Promise<string[]> {
  const cookies: string[] = [];
  for (let i = 0; i < count; i += 50) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(50, count - i) }, async () => {
        const response = await fetch(`${url}/login`);
        await response.arrayBuffer();
        return response.headers
          .getSetCookie()
          .map((header) => header.split(";")[0])
          .join("; ");
      }),
    );
    cookies.push(...batch);
  }
  return cookies;
}

async function load(url: string, path: string, cookies: string[], seconds: number) {
  let next = 0;
  return autocannon({
    url,
    connections,
    duration: seconds,
    requests: [
      {
        method: "GET",
        path,
        setupRequest: (request) => {
          const cookie = cookies[next++ % cookies.length];
          return cookie ? { ...request, headers: { ...request.headers, cookie } } : request;
        },
      },
    ],
  });
}

async function main(): Promise<void> {
  const available = { redis: await reachable(6379), postgres: await reachable(5432) };
  const chosen = growth
    ? contestants.filter((c) => c.framework === "node" && c.group !== "peer" && (!only || c.name.includes(only) || c.group === "bare"))
    : contestants.filter((c) => (targetsOnly ? judged(c) : !quick || c.quick) && (!only || c.name.includes(only) || c.group === "bare"));
  const skipped = chosen.filter((c) => c.needs && !available[c.needs]);
  for (const c of skipped) console.warn(`skipping ${c.name}: ${c.needs} is not running on 127.0.0.1`);
  const running: Running[] = [];
  for (const contestant of chosen.filter((c) => !skipped.includes(c))) {
    try {
      running.push(await start(contestant));
    } catch (error) {
      console.warn(`skipping ${contestant.name}: ${(error as Error).message}`);
    }
  }
  const measurements: Measurement[] = [];
  try {
    for (const workload of workloads) {
      const cookies = new Map<Running, string[]>();
      for (const server of running) cookies.set(server, await sessionsFor(server.url, workload.sessions));
      for (const server of running) await load(server.url, workload.path, cookies.get(server)!, settings.warmupSeconds);
      for (let repeat = 1; repeat <= settings.repeats; repeat++) {
        for (const server of running) {
          const counted = await server.stats();
          const before = cpuMicros(server.child.pid!);
          const result = await load(server.url, workload.path, cookies.get(server)!, settings.seconds);
          const cpu = cpuMicros(server.child.pid!) - before;
          const conflicts = (await server.stats()).conflicts - counted.conflicts;
          const requests = result.requests.total;
          measurements.push({
            contestant: server.contestant.name,
            group: server.contestant.group,
            framework: server.contestant.framework,
            kind: server.contestant.kind,
            workload: workload.name,
            repeat,
            requestsPerSecond: requests / settings.seconds,
            p99Ms: result.latency.p99,
            cpuMicrosPerRequest: requests > 0 ? cpu / requests : Number.NaN,
            errors: result.errors + result.non2xx + result.timeouts,
            conflicts: server.contestant.group === "tessera" && server.contestant.kind === "store" ? conflicts : undefined,
          });
          process.stdout.write(
            `${workload.name.padEnd(12)} #${repeat} ${server.contestant.name.padEnd(34)} ${(requests / settings.seconds).toFixed(0).padStart(7)} req/s  ${(cpu / requests).toFixed(1).padStart(6)} µs CPU${result.non2xx + result.errors > 0 ? `  ${result.non2xx + result.errors} errors` : ""}${conflicts > 0 ? `  ${conflicts} conflicts` : ""}\n`,
          );
        }
      }
    }
  } finally {
    for (const server of running) server.child.kill();
  }

  const summary = summarize(measurements);
  if (growth) {
    writeGrowth(summary);
    return;
  }
  const table = `${renderTable(summary, { machine, quick, settings, connections, date: new Date().toISOString() })}\n${renderTargets(judgeTargets(summary))}`;
  const resultsDir = join(here, "results");
  mkdirSync(resultsDir, { recursive: true });
  const stem = quick ? "quick" : targetsOnly ? "targets" : "latest";
  writeFileSync(join(resultsDir, `${stem}.json`), JSON.stringify({ machine, settings, connections, quick, measurements, summary }, null, 2));
  writeFileSync(join(resultsDir, `${stem}.md`), table);
  writeFileSync(join(resultsDir, `${stem}.svg`), renderChart(summary));
  console.log(`\n${table}`);
  console.log(`written: bench/results/${stem}.md, ${stem}.json, ${stem}.svg`);
}

/** The growth run's table and chart, with the decode cache's memory per entry measured in a process of its own. */
function writeGrowth(summary: ReturnType<typeof summarize>): void {
  const cache = spawnSync(process.execPath, ["--expose-gc", "--import", tsxLoader, join(here, "cache-memory.ts")], { encoding: "utf8" });
  const memory = JSON.parse(cache.stdout.trim().split("\n").at(-1) ?? "{}") as { entries?: number; cookieBytes?: number; bytesPerEntry?: Record<string, number> };
  const notes = [
    `${new Date().toISOString()}${quick ? " (quick)" : ""}, ${machine}. Each server in its own process, autocannon in another, 127.0.0.1, ${connections} connections, ` +
      `${settings.warmupSeconds} s warm-up, median of ${settings.repeats} runs of ${settings.seconds} s, contestants interleaved. Each cell: server CPU µs per request ` +
      "over bare node:http in the same workload, and requests per second. The sessions are made by GET /login before the measurement, and each request " +
      "sends the next one's cookie in turn, so with more sessions than the decode cache holds (1,000 by default) cookie mode opens every cookie.",
    "",
    memory.bytesPerEntry === undefined
      ? "Decode cache memory: not measured (bench/cache-memory.ts failed)."
      : `Decode cache (cookie mode), memory per entry: ${Object.entries(memory.bytesPerEntry).map(([cipher, bytes]) => `${bytes} bytes (${cipher})`).join(", ")}, ` +
        `measured over ${memory.entries} entries for sessions of ${memory.cookieBytes}-byte cookies, heap after a full collection. A cached entry keeps the ` +
        "cookie's text as its key, and V8 keeps the Cookie header it was cut from: count the whole header for apps whose headers are long. " +
        "The default 1,000 entries cost about 0.4 MB. Store mode keeps no cache: every request reads its store.",
  ];
  const resultsDir = join(here, "results");
  mkdirSync(resultsDir, { recursive: true });
  const stem = quick ? "growth-quick" : "growth";
  const table = renderGrowthTable(summary, notes);
  writeFileSync(join(resultsDir, `${stem}.md`), table);
  writeFileSync(join(resultsDir, `${stem}.svg`), renderGrowthChart(summary));
  console.log(`\n${table}`);
  console.log(`written: bench/results/${stem}.md, ${stem}.svg`);
}

await main();
