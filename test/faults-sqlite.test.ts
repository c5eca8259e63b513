// Fault injection on SQLite: two processes increment counters in one database file, one is killed with SIGKILL
// mid-run; the survivor goes on, the file passes integrity_check, and every acknowledged increment is there.

import Database from "better-sqlite3";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSessions } from "tessera";
import { sqliteStore } from "tessera/stores/sqlite";

const fixture = fileURLToPath(new URL("./fixtures/sqlite-writer.ts", import.meta.url));
const tsxLoader = pathToFileURL(join(dirname(createRequire(import.meta.url).resolve("tsx/package.json")), "dist/loader.mjs")).href;
const secret = "sqlite fault test secret, 48 bytes long..........";
/** Sessions both processes increment, so their writes meet on the same rows. */
const sessionCount = 16;
/** Concurrent increment loops in each process. */
const loopsPerProcess = 4;

/** A writer process and what it has said so far. */
interface Writer {
  child: ChildProcess;
  tries: number[];
  acks: number[];
  failures: string[];
  ready: boolean;
  done: boolean;
  exited: Promise<void>;
  /** Resolves once `check` holds for what the writer said (checked on every line it prints). */
  until(check: (writer: Writer) => boolean, what: string): Promise<void>;
}

function startWriter(path: string): Writer {
  const child = spawn(process.execPath, ["--import", tsxLoader, fixture, path, String(loopsPerProcess)], { stdio: ["pipe", "pipe", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const waiters = new Set<() => void>();
  const writer: Writer = {
    child,
    tries: new Array<number>(sessionCount).fill(0),
    acks: new Array<number>(sessionCount).fill(0),
    failures: [],
    ready: false,
    done: false,
    exited: new Promise((resolve) => child.once("exit", () => resolve())),
    until(check, what) {
      return new Promise((resolve, reject) => {
        const test = (): void => {
          const untyped = writer.failures.find((code) => !code.startsWith("ERR_"));
          if (untyped !== undefined) {
            waiters.delete(test);
            reject(new Error(`writer ${child.pid} failed an increment with "${untyped}" before ${what}`));
          } else if (check(writer)) {
            waiters.delete(test);
            resolve();
          }
        };
        waiters.add(test);
        test();
        void writer.exited.then(() => {
          test();
          if (waiters.delete(test)) reject(new Error(`writer ${child.pid} exited before ${what}:\n${stderr}`));
        });
      });
    },
  };
  createInterface({ input: child.stdout! }).on("line", (line) => {
    const [word, index, code] = line.split(" ");
    if (word === "try") writer.tries[Number(index)]!++;
    else if (word === "ack") writer.acks[Number(index)]!++;
    else if (word === "fail") writer.failures.push(code ?? "");
    else if (word === "ready") writer.ready = true;
    else if (word === "done") writer.done = true;
    for (const waiter of [...waiters]) waiter();
  });
  return writer;
}

const total = (counts: number[]): number => counts.reduce((a, b) => a + b, 0);

describe("two processes on one SQLite file, one killed with SIGKILL mid-run", () => {
  let dir: string;
  let path: string;
  /** Each session's Cookie header, `name=value` as its Set-Cookie gave it. */
  const cookies: string[] = [];
  let killed: Writer;
  let survivor: Writer;
  let killedAcksAtKill = 0;
  let survivorAcksAtKill = 0;
  const found: number[] = [];
  let integrity: unknown[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "tessera-faults-sqlite-"));
    path = join(dir, "sessions.db");
    const seeding = createSessions<{ count?: number }>({ secrets: [secret], store: sqliteStore({ path, gcInterval: false }) });
    for (let i = 0; i < sessionCount; i++) {
      const session = await seeding.load(new Request("http://app.test/"));
      session.set("count", 0);
      const response = await seeding.commit(session, new Response("ok"));
      cookies.push(response.headers.getSetCookie()[0]!.split(";")[0]!);
    }
    await seeding.close();

    killed = startWriter(path);
    survivor = startWriter(path);
    await Promise.all([killed, survivor].map((w) => w.until((x) => x.ready, "it was ready")));
    for (const writer of [killed, survivor]) writer.child.stdin!.write(`${JSON.stringify(cookies)}\n`);

    await Promise.all([killed, survivor].map((w) => w.until((x) => total(x.acks) >= 100, "100 acknowledged increments")));
    killed.child.kill("SIGKILL");
    await killed.exited;
    killedAcksAtKill = total(killed.acks);
    survivorAcksAtKill = total(survivor.acks);
    // The survivor goes on: 100 more increments after the kill.
    await survivor.until((x) => total(x.acks) >= survivorAcksAtKill + 100, "100 increments after the kill");
    survivor.child.stdin!.end();
    await survivor.until((x) => x.done, "its loops finished");
    await survivor.exited;

    const db = new Database(path, { readonly: true });
    try {
      integrity = db.pragma("integrity_check") as unknown[];
    } finally {
      db.close();
    }
    const reading = createSessions<{ count?: number }>({ secrets: [secret], store: sqliteStore({ path, gcInterval: false }) });
    for (const cookie of cookies) {
      const session = await reading.load(new Request("http://app.test/", { headers: { cookie } }));
      found.push(session.isNew ? -1 : (session.get("count") ?? 0));
    }
    await reading.close();
  }, 60_000);

  afterAll(() => {
    for (const writer of [killed, survivor]) if (writer?.child.exitCode === null && writer.child.signalCode === null) writer.child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });

  it("keeps the survivor working after the other process is killed, with typed errors if any", () => {
    expect(killed.child.signalCode).toBe("SIGKILL");
    expect(killed.done).toBe(false);
    expect(survivor.child.exitCode).toBe(0);
    expect(total(survivor.acks) - survivorAcksAtKill).toBeGreaterThanOrEqual(100);
    expect(survivor.failures.filter((code) => !code.startsWith("ERR_"))).toEqual([]);
    expect(killedAcksAtKill).toBeGreaterThanOrEqual(100);
  });

  it("leaves a database that passes PRAGMA integrity_check", () => {
    expect(integrity).toEqual([{ integrity_check: "ok" }]);
  });

  it("keeps every increment either process acknowledged, the killed one's included", () => {
    expect(found.filter((count) => count < 0), "sessions missing").toEqual([]);
    for (let i = 0; i < sessionCount; i++) {
      const acknowledged = killed.acks[i]! + survivor.acks[i]!;
      const attempted = killed.tries[i]! + survivor.tries[i]!;
      // At least every acknowledged increment; at most every attempt (the killed process may have committed one it
      // never got to acknowledge).
      expect(found[i], `session ${i}`).toBeGreaterThanOrEqual(acknowledged);
      expect(found[i], `session ${i}`).toBeLessThanOrEqual(attempted);
    }
  });
});
