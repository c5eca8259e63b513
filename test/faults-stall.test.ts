// Fault injection with a stalled connection: a loopback proxy in front of a private Redis, PostgreSQL and memcached
// stops forwarding (accepts bytes, forwards nothing, keeps sockets open) under load through every adapter, then
// un-stalls, and later stalls again and drops its connections so the clients reconnect.

import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSessions, type Sessions, type Store } from "tessera";
import { memcachedStore } from "tessera/stores/memcached";
import { postgresStore } from "tessera/stores/postgres";
import { redisStore } from "tessera/stores/redis";
import { watchCrashes, type CrashWatch } from "./servers/crash-watch.js";
import { counterApps, type AdapterName, type CounterApp, type CounterData } from "./servers/counter-apps.js";
import { faultSecret } from "./servers/fault-suite.js";
import { gatedStore } from "./servers/gated-store.js";
import { startMemcachedServer } from "./servers/memcached-server.js";
import { startPostgresServer } from "./servers/postgres-server.js";
import { redisCommand, startRedisServer, waitUntil } from "./servers/redis-server.js";
import { startTcpProxy, type TcpProxy } from "./servers/tcp-proxy.js";
import { count, lostWrites, startTraffic, type Outcome, type TargetRecord } from "./servers/traffic.js";

/** The store deadline: a stalled call is abandoned after this and the request answered 503. */
const storeTimeoutMs = 300;
/** A request the client has not seen answered after this is a hang. */
const clientTimeoutMs = 5 * storeTimeoutMs;
/** Pool size of each app's PostgreSQL store. */
const poolSize = 3;
/** A key prefix for an adapter's store: memcached keys may not contain spaces. */
const prefixFor = (adapter: string): string => `faults-stall:${adapter.replace(/[^A-Za-z0-9]/g, "")}:`;

/** A private server and what the stall tests need of it. */
interface StalledBackend {
  port: number;
  /** A store reaching the server through the proxy on `proxyPort`. */
  store(proxyPort: number, adapter: string, options?: { poolSize?: number }): Store;
  /** Client connections the server holds now, the probe's own excluded. */
  connections(): Promise<number>;
  stop(): Promise<void>;
}

/** Client connections from CLIENT LIST, the asking one excluded. */
async function redisClients(port: number): Promise<number> {
  const list = await redisCommand(port, ["CLIENT", "LIST"]);
  return list.split("\n").filter((line) => line.startsWith("id=") && !/ cmd=client\|list /.test(line)).length;
}

/** Backends serving tessera's pools (their application_name). */
async function tesseraBackends(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url, application_name: "tessera-faults-probe" });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'tessera'");
    return rows[0]!.n;
  } finally {
    await client.end();
  }
}

const backends: Record<string, { start(): Promise<StalledBackend>; maxConnectionsPerStore: number }> = {
  Redis: {
    async start() {
      const server = await startRedisServer();
      return {
        port: server.port,
        store: (proxyPort, adapter) => redisStore({ url: `redis://127.0.0.1:${proxyPort}`, prefix: prefixFor(adapter) }),
        connections: () => redisClients(server.port),
        stop: () => server.stop(),
      };
    },
    maxConnectionsPerStore: 1,
  },
  PostgreSQL: {
    async start() {
      const server = await startPostgresServer();
      return {
        port: server.port,
        store: (proxyPort, _adapter, options) =>
          postgresStore({ url: `postgres://postgres@127.0.0.1:${proxyPort}/postgres`, maxConnections: options?.poolSize ?? poolSize, gcInterval: false }),
        connections: () => tesseraBackends(server.url),
        stop: () => server.stop(),
      };
    },
    maxConnectionsPerStore: poolSize,
  },
  memcached: {
    async start() {
      const server = await startMemcachedServer();
      return {
        port: server.port,
        store: (proxyPort, adapter) => memcachedStore({ url: `memcached://127.0.0.1:${proxyPort}`, prefix: prefixFor(adapter) }),
        connections: () => server.connections(),
        stop: () => server.stop(),
      };
    },
    maxConnectionsPerStore: 1,
  },
};

const adapterNames = Object.keys(counterApps) as AdapterName[];
const succeeded = (outcome: Outcome): boolean => outcome.status === 200;

for (const [backendName, backend] of Object.entries(backends)) {
  describe(`${backendName} behind a connection that stalls (bytes accepted, nothing forwarded, sockets kept open)`, () => {
    let server: StalledBackend | undefined;
    let proxy: TcpProxy | undefined;
    const apps: CounterApp[] = [];
    const managers: Sessions<CounterData>[] = [];
    const records = new Map<string, TargetRecord>();
    let watch: CrashWatch | undefined;
    let connectionsAfter = { server: -1, proxy: -1 };

    beforeAll(async () => {
      watch = watchCrashes();
      server = await backend.start();
      proxy = await startTcpProxy({ port: server.port });
      for (const name of adapterNames) {
        const sessions = createSessions<CounterData>({ secrets: [faultSecret], store: server.store(proxy.port, name), storeTimeout: storeTimeoutMs / 1000 });
        managers.push(sessions);
        const app = await counterApps[name](sessions);
        apps.push(app);
        // One sign-in first, so the store's connections (and the PostgreSQL table) exist before the load starts.
        await waitUntil(async () => (await fetch(`${app.url}/login?user=warm-up`)).status === 200, 15_000, `${name} app`);
      }
      const traffic = startTraffic(
        adapterNames.map((name, i) => ({ name, url: apps[i]!.url, kind: "counter" as const, clientTimeoutMs })),
        3,
      );
      try {
        await traffic.until((r) => count(r, (o) => o.startedIn === "before" && succeeded(o)) >= 10, "requests succeed before the stall");
        // First stall: it ends with the held bytes flowing on, as a network that comes back.
        traffic.phase = "stall-1";
        proxy.stall();
        await traffic.until((r) => count(r, (o) => o.startedIn === "stall-1" && o.status === 503) >= 3, "requests fail during the first stall");
        proxy.resume({ how: "forward" });
        traffic.phase = "after-1";
        await traffic.until((r) => count(r, (o) => o.startedIn === "after-1" && succeeded(o)) >= 10, "requests succeed after the first stall");
        // Second stall: it ends with the stalled connections dropped, so the clients must reconnect.
        traffic.phase = "stall-2";
        proxy.stall();
        await traffic.until((r) => count(r, (o) => o.startedIn === "stall-2" && o.status === 503) >= 3, "requests fail during the second stall");
        proxy.resume({ how: "drop" });
        traffic.phase = "after-2";
        await traffic.until((r) => count(r, (o) => o.startedIn === "after-2" && succeeded(o)) >= 10, "requests succeed after the second stall");
      } finally {
        await traffic.stop();
      }
      for (const [name, record] of traffic.records) records.set(name, record);
      connectionsAfter = { server: await server.connections(), proxy: proxy.connections };
    }, 60_000);

    afterAll(async () => {
      watch?.stop();
      await Promise.all(apps.map((app) => app.close()));
      await Promise.all(managers.map((sessions) => sessions.close()));
      await proxy?.close();
      await server?.stop();
    });

    it.each(adapterNames)(`%s answers a typed 503 while ${backendName} is stalled, never a 500 or a crash, and every request within 5x the store deadline`, (name) => {
      const record = records.get(name)!;
      // A timeout here is a request the client gave up on after 5x storeTimeout: a hang.
      expect([...new Set(record.outcomes.map((o) => o.status))].filter((s) => s !== 200 && s !== 503)).toEqual([]);
      expect(count(record, (o) => o.startedIn === "stall-1" && o.status === 503)).toBeGreaterThanOrEqual(3);
      expect(count(record, (o) => o.startedIn === "stall-2" && o.status === 503)).toBeGreaterThanOrEqual(3);
      // The apps run in this process: an uncaught exception here would have ended a real server.
      expect(watch!.crashes).toEqual([]);
    });

    it.each(adapterNames)(`%s serves again once ${backendName}'s connection un-stalls or reconnects, without a restart`, (name) => {
      const record = records.get(name)!;
      expect(count(record, (o) => o.startedIn === "after-1" && succeeded(o))).toBeGreaterThanOrEqual(10);
      expect(count(record, (o) => o.startedIn === "after-2" && succeeded(o))).toBeGreaterThanOrEqual(10);
    });

    it.each(adapterNames)(`%s loses no increment it acknowledged around the ${backendName} stalls`, async (name) => {
      const record = records.get(name)!;
      expect(record.users.filter((u) => u.signedIn).length).toBeGreaterThan(3);
      expect(await lostWrites(record)).toEqual([]);
    });

    it(`${backendName} holds no more connections after the stalls than the four stores' pools allow`, () => {
      const bound = adapterNames.length * backend.maxConnectionsPerStore;
      expect(connectionsAfter.server).toBeGreaterThan(0);
      expect(connectionsAfter.server).toBeLessThanOrEqual(bound);
      expect(connectionsAfter.proxy).toBeLessThanOrEqual(bound);
    });

    it(`${backendName}: a connection dropped while a write is on it fails that request with a typed error and crashes nothing`, async () => {
      const dropProxy = await startTcpProxy({ port: server!.port });
      const gated = gatedStore(server!.store(dropProxy.port, "drop-in-flight", { poolSize: 1 }));
      const sessions = createSessions<CounterData>({ secrets: [faultSecret], store: gated.store, storeTimeout: (5 * storeTimeoutMs) / 1000 });
      const crashWatch = watchCrashes();
      try {
        const first = await sessions.load(new Request("http://app.test/"));
        first.set("count", 1);
        const cookie = (await sessions.commit(first, new Response("ok"))).headers.getSetCookie()[0]!.split(";")[0]!;
        const request = () => new Request("http://app.test/", { headers: { cookie } });

        const session = await sessions.load(request());
        session.update("count", (n) => (n ?? 0) + 1);
        const held = gated.hold("update");
        const commit = sessions.commit(session, new Response("ok"));
        await held.reached;
        dropProxy.stall();
        held.release();
        // The write is on the connection (its bytes held by the stall) when the connection goes.
        await waitUntil(async () => dropProxy.heldBytes > 0, 5000, "the write to reach the connection");
        dropProxy.resume({ how: "drop" });
        await expect(commit).rejects.toMatchObject({ code: "ERR_STORE_UNAVAILABLE" });
        // And the same store serves the next request.
        await waitUntil(async () => (await sessions.load(request())).get("count") !== undefined, 10_000, "a read after the drop");
        expect(crashWatch.crashes).toEqual([]);
      } finally {
        crashWatch.stop();
        await sessions.close();
        await dropProxy.close();
      }
    });

    // The store deadline holds for a write already on the connection, not only for one not yet sent: once the
    // connection un-stalls, the write the client was told failed (503) must not land. A barrier holds the commit's
    // update until the proxy is stalled, so the write is always the one cut off; the read comes once the abandoned
    // call has settled, so it sees whether the write landed.
    describe("a write answered 503 at the store deadline never lands after the connection un-stalls", () => {
      it(`${backendName}: the increment the client was told failed is not in the session afterwards`, async () => {
        const lateProxy = await startTcpProxy({ port: server!.port });
        const gated = gatedStore(server!.store(lateProxy.port, "late-write", { poolSize: 1 }));
        const sessions = createSessions<CounterData>({ secrets: [faultSecret], store: gated.store, storeTimeout: storeTimeoutMs / 1000 });
        try {
          const first = await sessions.load(new Request("http://app.test/"));
          first.set("count", 1);
          const cookie = (await sessions.commit(first, new Response("ok"))).headers.getSetCookie()[0]!.split(";")[0]!;
          const request = () => new Request("http://app.test/", { headers: { cookie } });

          const session = await sessions.load(request());
          session.update("count", (n) => (n ?? 0) + 1);
          const held = gated.hold("update");
          const commit = sessions.commit(session, new Response("ok"));
          await held.reached;
          lateProxy.stall();
          held.release();
          await expect(commit).rejects.toMatchObject({ code: "ERR_STORE_UNAVAILABLE" });

          lateProxy.resume({ how: "forward" });
          // The abandoned call ends one way or another (its answer, a cancellation, a fenced refusal); only then is
          // it certain whether its write landed. A call that never ends is a leak, and fails here too.
          await Promise.race([
            held.settled,
            new Promise((_, reject) => setTimeout(() => reject(new Error("the abandoned store call never settled")), 10_000)),
          ]);
          let found: number | undefined;
          await waitUntil(
            async () => {
              found = (await sessions.load(request())).get("count");
              return true;
            },
            10_000,
            "a read after the stall",
          );
          expect(found, "the session after the stall").toBe(1);
        } finally {
          await sessions.close();
          await lateProxy.close();
        }
      });
    });
  });
}
