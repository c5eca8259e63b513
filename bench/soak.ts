// `npm run soak`: mixed traffic on the demo in store mode (SQLite) for 10 minutes (SOAK_SECONDS shortens it), the
// demo in its own process and this load generator in another, on 127.0.0.1. Prints, per time slice, requests,
// p50/p99 latency, the server's RSS and live heap and the store's row count, then whether memory and the store
// stayed flat and p99 steady. Exits 1 when a request failed, the server died, or memory or the store grew.

import Database from "better-sqlite3";
import { fork, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { Agent, request as httpRequest } from "node:http";
import { cpus, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";

/** How the run is shaped; every value can be changed from the environment. */
const settings = Object.freeze({
  /** @default 600 (10 minutes); at most 3600 */
  seconds: positive("SOAK_SECONDS", 600, 3600),
  /** Browsers loading the demo at once, each a closed loop of visits. @default 32 */
  users: positive("SOAK_USERS", 32, 1000),
  /** Distinct user names each browser signs in as, in turn. @default 200 */
  namesPerUser: positive("SOAK_NAMES", 200, 1_000_000),
});
/** Ten slices for the default run; a short run still gets six, so there is something to compare. */
const sliceSeconds = Math.min(60, settings.seconds / 6);
const slices = Math.round(settings.seconds / sliceSeconds);
/** Growth allowed from the first half of the run to the second (after the warm-up slice), and the noise floor. */
const flatRule = { ratio: 1.1, rssBytes: 8 * 2 ** 20, heapBytes: 4 * 2 ** 20, storeBytes: 16 * 2 ** 20 };
/** A slice's p99 counts as steady up to this multiple of the median slice p99. */
const steadyRatio = 2;
/** At most two browsers per user are signed in at any moment (the second is the one "sign out everywhere else" ends). */
const maxRows = 2 * settings.users;
const clockTicks = 100; // USER_HZ on Linux

const here = dirname(fileURLToPath(import.meta.url));
const tsxLoader = pathToFileURL(join(dirname(createRequire(import.meta.url).resolve("tsx/package.json")), "dist/loader.mjs")).href;

function positive(name: string, fallback: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0 || value > max) {
    console.error(`${name} must be a number above 0 and at most ${max}`);
    process.exit(2);
  }
  return value;
}

/** One time slice's measurements. */
interface Slice {
  latenciesMs: number[];
  requests: number;
  failures: number;
  rssBytes: number;
  heapBytes: number;
  rows: number;
  storeBytes: number;
  cpuPercent: number;
}

const newSlice = (): Slice => ({ latenciesMs: [], requests: 0, failures: 0, rssBytes: 0, heapBytes: 0, rows: 0, storeBytes: 0, cpuPercent: 0 });

interface Server {
  child: ChildProcess;
  port: number;
  dir: string;
}

/** Starts the demo (through soak-server.ts) in a fresh folder with a SQLite store; resolves once it listens. */
async function startServer(): Promise<Server> {
  const dir = mkdtempSync(join(tmpdir(), "tessera-soak-"));
  const child = fork(join(here, "soak-server.ts"), [], {
    cwd: dir,
    execArgv: ["--expose-gc", "--import", tsxLoader],
    env: {
      ...process.env,
      PORT: "0",
      HOST: "127.0.0.1",
      NODE_ENV: "production",
      SECRET_KEY: `soak-${"0123456789abcdef".repeat(3)}`,
      SESSION_STORE: "sqlite:data/sessions.db",
    },
    stdio: ["ignore", "pipe", "pipe", "ipc"],
  });
  let output = "";
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on http:\/\/127\.0\.0\.1:(\d+)\//.exec(output);
      if (match) resolve(Number(match[1]));
    });
    child.once("exit", (code) => reject(new Error(`the demo exited with ${code} before listening:\n${output}`)));
  });
  return { child, port, dir };
}

/** The server's live heap (after a full collection) and RSS, over IPC; its RSS from /proc as well. */
async function memoryOf(server: Server): Promise<{ rssBytes: number; heapBytes: number }> {
  const answer = once(server.child, "message") as Promise<[{ rss: number; heapUsed: number }]>;
  server.child.send("memory");
  const [{ heapUsed }] = await answer;
  const status = readFileSync(`/proc/${server.child.pid}/status`, "utf8");
  const rssKb = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? Number.NaN);
  return { rssBytes: rssKb * 1024, heapBytes: heapUsed };
}

/** utime + stime of a process, in seconds. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / clockTicks;
}

/** What one response brought back. */
interface Answer {
  status: number;
  setCookie: string[];
}

/** A browser: a cookie jar for the demo's one origin. */
class Browser {
  readonly cookies = new Map<string, string>();
  header(): string | undefined {
    return this.cookies.size === 0 ? undefined : [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; ");
  }
  take(setCookie: readonly string[]): void {
    for (const header of setCookie) {
      const pair = header.split(";")[0]!;
      const eq = pair.indexOf("=");
      const value = pair.slice(eq + 1);
      if (value === "" || /Max-Age=0/i.test(header)) this.cookies.delete(pair.slice(0, eq));
      else this.cookies.set(pair.slice(0, eq), value);
    }
  }
}

/** The load generator: closed-loop browsers visiting the demo until the deadline. */
function createLoad(port: number, now: () => Slice) {
  const agent = new Agent({ keepAlive: true, maxSockets: settings.users * 2 });
  const origin = `http://127.0.0.1:${port}`;

  const send = (method: string, path: string, browser: Browser | undefined, expected: number, body?: string) =>
    new Promise<Answer>((resolve) => {
      const started = performance.now();
      const headers: Record<string, string> = {};
      const cookie = browser?.header();
      if (cookie) headers.cookie = cookie;
      if (method === "POST") {
        headers.origin = origin;
        headers["content-type"] = "application/x-www-form-urlencoded";
        headers["content-length"] = String(Buffer.byteLength(body ?? ""));
      }
      const finish = (status: number, setCookie: string[]) => {
        const slice = now();
        slice.requests++;
        slice.latenciesMs.push(performance.now() - started);
        if (status !== expected) slice.failures++;
        browser?.take(setCookie);
        resolve({ status, setCookie });
      };
      const request = httpRequest({ host: "127.0.0.1", port, method, path, agent, headers }, (response) => {
        response.resume();
        response.once("end", () => finish(response.statusCode ?? 0, response.headers["set-cookie"] ?? []));
        response.once("error", () => finish(0, []));
      });
      request.once("error", () => finish(0, []));
      request.end(body);
    });

  /** One visit of a user: anonymous pages, login, browsing, cookies, sometimes a second browser, logout. */
  const visit = async (user: number, visitNumber: number) => {
    const name = `user${user}-${visitNumber % settings.namesPerUser}`;
    const laptop = new Browser();
    await send("GET", "/", laptop, 303);
    await send("GET", "/login", laptop, 200);
    await send("POST", "/login", laptop, 303, new URLSearchParams({ username: name }).toString());
    await send("GET", "/", laptop, 200);
    await send("GET", "/style.css", laptop, 200);
    await send("GET", "/setcookie", laptop, 200);
    await send("GET", "/getcookie", laptop, 200);
    await send("GET", "/sessions", laptop, 200);
    if (visitNumber % 4 === 0) {
      // The same user on a second browser, then "sign out everywhere else" from the first.
      const phone = new Browser();
      await send("POST", "/login", phone, 303, new URLSearchParams({ username: name }).toString());
      await send("GET", "/", phone, 200);
      await send("POST", "/sessions/revoke-others", laptop, 303, "");
      await send("GET", "/sessions", laptop, 200);
      await send("GET", "/", phone, 303);
    }
    await send("GET", "/logout", laptop, 200);
    await send("POST", "/logout", laptop, 303, "");
    await send("GET", "/login?logged_out", laptop, 200);
    // Anonymous visitors: no cookie, a 404, a bad form, a junk cookie.
    await send("GET", "/", undefined, 303);
    await send("GET", "/no/such/page", undefined, 404);
    await send("POST", "/login", undefined, 400, "username=");
    const junk = new Browser();
    junk.cookies.set("sid", `${"A".repeat(43)}.${"A".repeat(22)}`);
    await send("GET", "/sessions", junk, 303);
  };

  return {
    async run(user: number, going: () => boolean): Promise<void> {
      for (let visitNumber = 0; going(); visitNumber++) await visit(user, visitNumber);
    },
    close: () => agent.destroy(),
  };
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

/** Whether the second half of `values` stayed within the rule's growth over the first half. */
function flat(values: number[], floor: number): { flat: boolean; first: number; second: number } {
  const half = Math.floor(values.length / 2);
  const first = mean(values.slice(0, half));
  const second = mean(values.slice(values.length - half));
  return { flat: second <= first * flatRule.ratio + floor, first, second };
}

async function main(): Promise<void> {
  console.log(
    `soak: ${settings.seconds} s of mixed traffic, ${settings.users} browsers, ${slices} slices of ${sliceSeconds} s, ` +
      `demo with SQLite on 127.0.0.1 (${cpus().length} cores, Node.js ${process.version})`,
  );
  const server = await startServer();
  const dbPath = join(server.dir, "data", "sessions.db");
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  const countRows = db.prepare("SELECT count(*) AS n FROM tessera_sessions");
  const storeBytes = () => [dbPath, `${dbPath}-wal`].reduce((sum, file) => sum + (existsSync(file) ? statSync(file).size : 0), 0);
  let serverDied = false;
  let stopping = false;
  server.child.once("exit", () => (serverDied = !stopping));

  const results: Slice[] = [];
  let rowsAfter = Number.NaN;
  let current = newSlice();
  const load = createLoad(server.port, () => current);
  const started = performance.now();
  const deadline = started + settings.seconds * 1000;
  let stopEarly = false;
  process.once("SIGINT", () => (stopEarly = true));

  const going = () => performance.now() < deadline && !stopEarly && !serverDied;
  const users = Array.from({ length: settings.users }, (_, user) => load.run(user, going));
  try {
    let cpuBefore = cpuSeconds(server.child.pid!);
    for (let index = 1; index <= slices && !serverDied && !stopEarly; index++) {
      const sliceEnd = started + index * sliceSeconds * 1000;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, sliceEnd - performance.now())));
      const slice = current;
      current = newSlice();
      if (serverDied) break;
      const cpuNow = cpuSeconds(server.child.pid!);
      slice.cpuPercent = ((cpuNow - cpuBefore) / sliceSeconds) * 100;
      cpuBefore = cpuNow;
      Object.assign(slice, await memoryOf(server));
      slice.rows = (countRows.get() as { n: number }).n;
      slice.storeBytes = storeBytes();
      results.push(slice);
      const sorted = Float64Array.from(slice.latenciesMs).sort();
      process.stdout.write(
        `  slice ${index}/${slices}: ${slice.requests} requests, p99 ${percentile(sorted, 99).toFixed(1)} ms, ` +
          `RSS ${mb(slice.rssBytes)} MB, heap ${mb(slice.heapBytes)} MB, ${slice.rows} rows\n`,
      );
    }
    await Promise.all(users);
    // Every visit ends with a logout, so once the browsers have stopped no session is left.
    if (!serverDied) rowsAfter = (countRows.get() as { n: number }).n;
  } finally {
    load.close();
    db.close();
    if (!serverDied) {
      stopping = true;
      server.child.kill("SIGTERM");
      await once(server.child, "exit");
    }
    rmSync(server.dir, { recursive: true, force: true });
  }

  const rows = results.map((slice, index) => {
    const sorted = Float64Array.from(slice.latenciesMs).sort();
    const from = index * sliceSeconds;
    return {
      slice,
      line: `| ${from}–${from + sliceSeconds} s${index === 0 ? " (warm-up)" : ""} | ${slice.requests} | ${(slice.requests / sliceSeconds).toFixed(0)} | ${slice.failures} | ${percentile(sorted, 50).toFixed(2)} | ${percentile(sorted, 99).toFixed(2)} | ${slice.cpuPercent.toFixed(0)} | ${mb(slice.rssBytes)} | ${mb(slice.heapBytes)} | ${slice.rows} | ${mb(slice.storeBytes)} |`,
      p99: percentile(sorted, 99),
    };
  });
  console.log(
    [
      "",
      "| time | requests | req/s | failed | p50 ms | p99 ms | server CPU % | server RSS MB | live heap MB | store rows | store file MB |",
      "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
      ...rows.map((row) => row.line),
      "",
    ].join("\n"),
  );

  const judged = rows.slice(1);
  const failures = results.reduce((sum, slice) => sum + slice.failures, 0);
  if (judged.length < 2) {
    console.log(`Too few slices to judge (${results.length}).`);
    process.exit(serverDied || failures > 0 ? 1 : 0);
  }
  const rss = flat(judged.map((row) => row.slice.rssBytes), flatRule.rssBytes);
  const heap = flat(judged.map((row) => row.slice.heapBytes), flatRule.heapBytes);
  const peakRows = Math.max(...results.map((slice) => slice.rows));
  // The database and its WAL: rows come and go, so a file that keeps growing is a log nobody rewinds.
  const file = flat(judged.map((row) => row.slice.storeBytes), flatRule.storeBytes);
  const p99s = judged.map((row) => row.p99).sort((a, b) => a - b);
  const medianP99 = p99s[Math.floor(p99s.length / 2)]!;
  const worstP99 = p99s[p99s.length - 1]!;
  const memoryFlat = rss.flat && heap.flat;
  const storeFlat = peakRows <= maxRows && rowsAfter === 0 && file.flat;
  const steady = worstP99 <= steadyRatio * medianP99;
  console.log(
    [
      `Rules (the warm-up slice excluded): flat = the second half's mean is at most ${Math.round((flatRule.ratio - 1) * 100)}% above the first half's, ` +
        `plus a noise floor (${mb(flatRule.rssBytes)} MB RSS, ${mb(flatRule.heapBytes)} MB heap); store flat = never more ` +
        `than ${maxRows} rows (two signed-in browsers per user), none left once the load stops (every visit logs out), and the database file with its WAL flat by the same rule (${mb(flatRule.storeBytes)} MB floor); p99 steady = no slice's p99 above ${steadyRatio}× the median slice p99.`,
      `- memory: ${memoryFlat ? "flat" : "GREW"} (RSS ${mb(rss.first)} → ${mb(rss.second)} MB, live heap ${mb(heap.first)} → ${mb(heap.second)} MB)`,
      `- store: ${storeFlat ? "flat" : "GREW"} (peak ${peakRows} rows of at most ${maxRows}, ${rowsAfter} left after the load; file and WAL ${mb(file.first)} → ${mb(file.second)} MB)`,
      `- p99: ${steady ? "steady" : "NOT steady"} (median slice ${medianP99.toFixed(2)} ms, worst ${worstP99.toFixed(2)} ms)`,
      `- requests: ${results.reduce((sum, slice) => sum + slice.requests, 0)}, failed ${failures}${serverDied ? "; the server died" : ""}${stopEarly ? "; stopped early (SIGINT)" : ""}`,
    ].join("\n"),
  );
  process.exit(serverDied || failures > 0 || !memoryFlat || !storeFlat ? 1 : 0);
}

await main();
