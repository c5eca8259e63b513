// One fault suite for every server that can be killed: the demo process and a counter app on each adapter under
// load, the server killed with SIGKILL in the middle and started again, then what every user was told checked.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSessions, type Sessions, type Store } from "tessera";
import { watchCrashes, type CrashWatch } from "./crash-watch.js";
import { counterApps, type AdapterName, type CounterApp, type CounterData } from "./counter-apps.js";
import { startDemo, type RunningDemo } from "./demo.js";
import { count, lostWrites, startTraffic, type Outcome, type Target, type TargetRecord } from "./traffic.js";

/** The secret of every fault app and of the demo (SECRET_KEY). */
export const faultSecret = "fault injection secret, 48 bytes long...........";

/**
 * The store deadline of the counter apps. A killed server fails calls at once (a refused or reset connection), so
 * this only bounds what a hang would cost; it is not shorter because CI machines are shared and slow.
 */
export const storeTimeoutMs = 1000;

/** A killable server and how the apps reach it. */
export interface KillableServer {
  /** `SESSION_STORE` for the demo. */
  readonly url: string;
  /** SIGKILL, waiting for the process to exit. */
  kill(): Promise<void>;
  /** Starts it again on the same port and data, and waits until it is ready. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** What a kill suite needs: the server, a store for each counter app, and the server's own count of connections. */
export interface KillSuiteOptions {
  /** Starts the private server. */
  start(): Promise<KillableServer>;
  /** A store on `server` for the counter app of `adapter`. */
  store(server: KillableServer, adapter: AdapterName): Store;
  /** Client connections the server holds now from tessera (CLIENT LIST, pg_stat_activity), the probe's own excluded. */
  connections(server: KillableServer): Promise<number>;
  /** The most connections the demo and the four counter apps may hold between them. */
  maxConnections: number;
}

const adapterNames = Object.keys(counterApps) as AdapterName[];
const succeeded = (outcome: Outcome): boolean => outcome.status === 200 || outcome.status === 303;

/**
 * Registers the suite: `server` is killed with SIGKILL while 4 users per app sign in and write through the demo
 * process and the four adapters, then restarted on the same port while the users keep going; no app restarts.
 *
 * @example
 * describeServerKill("Redis", { start: () => startRedisServer(...), store: ..., connections: ..., maxConnections: 5 });
 */
export function describeServerKill(serverName: string, options: KillSuiteOptions): void {
  describe(`${serverName} killed with SIGKILL in the middle of load, then restarted on the same port`, () => {
    let server: KillableServer | undefined;
    let dir: string | undefined;
    let demo: RunningDemo | undefined;
    const apps: CounterApp[] = [];
    const managers: Sessions<CounterData>[] = [];
    const records = new Map<string, TargetRecord>();
    let watch: CrashWatch | undefined;
    let connectionsAfter = -1;

    beforeAll(async () => {
      watch = watchCrashes();
      server = await options.start();
      dir = mkdtempSync(join(tmpdir(), "tessera-faults-demo-"));
      demo = await startDemo(dir, { SESSION_STORE: server.url, SECRET_KEY: faultSecret });
      // The demo's storeTimeout is its default (5 s): the client bound is twice that.
      const targets: Target[] = [{ name: "the demo", url: demo.url, kind: "demo", clientTimeoutMs: 10_000 }];
      for (const name of adapterNames) {
        const sessions = createSessions<CounterData>({ secrets: [faultSecret], store: options.store(server, name), storeTimeout: storeTimeoutMs / 1000 });
        managers.push(sessions);
        const app = await counterApps[name](sessions);
        apps.push(app);
        // One sign-in first, so the store's connections (and the PostgreSQL table) exist before the load starts.
        await warmUp(`${app.url}/login?user=warm-up`);
        // A request that takes 5 times the store deadline is a hang.
        targets.push({ name, url: app.url, kind: "counter", clientTimeoutMs: 5 * storeTimeoutMs });
      }

      const traffic = startTraffic(targets, 4);
      try {
        await traffic.until((r) => count(r, (o) => o.startedIn === "before" && succeeded(o)) >= 30, "requests succeed before the kill");
        traffic.phase = "fault";
        await server.kill();
        await traffic.until((r) => count(r, (o) => o.startedIn === "fault" && o.status === 503) >= 5, "requests fail while the server is down");
        await server.restart();
        traffic.phase = "after";
        await traffic.until((r) => count(r, (o) => o.startedIn === "after" && succeeded(o)) >= 30, "requests succeed after the restart");
      } finally {
        await traffic.stop();
      }
      for (const [name, record] of traffic.records) records.set(name, record);
      connectionsAfter = await options.connections(server);
    }, 60_000);

    afterAll(async () => {
      watch?.stop();
      await Promise.all(apps.map((app) => app.close()));
      await Promise.all(managers.map((sessions) => sessions.close()));
      await demo?.stop();
      await server?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    const targetNames = ["the demo", ...adapterNames];

    // SECURITY.md cites this test and the next by name.
    it.each(targetNames)(`%s answers every request during the ${serverName} outage with success or a typed 503, never a 500 or a hang`, (name) => {
      const record = records.get(name)!;
      const statuses = new Set(record.outcomes.map((o) => o.status));
      const allowed = record.target.kind === "demo" ? [200, 303, 503] : [200, 503];
      expect([...statuses].filter((s) => !allowed.includes(s as number)), "statuses other than success or 503").toEqual([]);
      expect(count(record, (o) => o.startedIn === "fault" && o.status === 503)).toBeGreaterThanOrEqual(5);
      if (record.target.kind === "demo") expect(demo!.process.exitCode ?? demo!.process.signalCode, "the demo process exited").toBeNull();
      // The counter apps run in this process: an uncaught exception here would have ended a real server.
      else expect(watch!.crashes).toEqual([]);
    });

    it.each(targetNames)(`%s serves again once ${serverName} is back, without a restart of its own`, (name) => {
      const record = records.get(name)!;
      expect(count(record, (o) => o.startedIn === "after" && succeeded(o))).toBeGreaterThanOrEqual(30);
      // Recovered for good: the last requests of the run all succeeded.
      expect(record.outcomes.slice(-5).map((o) => o.status).filter((s) => s !== 200 && s !== 303)).toEqual([]);
    });

    it.each(targetNames)(`%s loses no write it acknowledged before, during or after the ${serverName} outage`, async (name) => {
      const record = records.get(name)!;
      // Users came and went: more signed in than were ever running at once.
      expect(record.users.filter((u) => u.signedIn).length).toBeGreaterThan(4);
      expect(await lostWrites(record)).toEqual([]);
    });

    it(`${serverName} holds no more connections from the apps after recovery than their pools allow`, () => {
      expect(connectionsAfter).toBeGreaterThan(0);
      expect(connectionsAfter).toBeLessThanOrEqual(options.maxConnections);
    });
  });
}

/** Sends `url` until it answers 200 (a readiness probe for an app and its store). */
async function warmUp(url: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const response = await fetch(url, { signal: AbortSignal.timeout(10_000) }).catch(() => undefined);
    await response?.text();
    if (response?.status === 200) return;
    if (Date.now() > deadline) throw new Error(`${url} did not answer 200 (last: ${response?.status ?? "no answer"})`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
