// The Redis store against real servers: the conformance suite on Redis and on a three-master Redis Cluster,
// contention, the user index, start-up warnings, and an outage with the server killed and restarted.

import { randomBytes } from "node:crypto";
import { createServer, type AddressInfo } from "node:net";
import { createClient, createCluster } from "redis";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import {
  CodecError,
  createKeyRing,
  createSessions,
  decodeRecord,
  encodeRecord,
  TesseraError,
  type IndexedStore,
  type SessionEvent,
  type SessionRecord,
  type Store,
} from "../src/index.js";
import { tagToken } from "../src/crypto/token-tag.js";
import { redisStore } from "../src/stores/redis/index.js";
import { recordView, type IndexedRecordStore, type RecordWriteOptions } from "./record-store.js";
import { describeStore, expectRenamed, sessionCookie, setCookies, sha256 } from "./store-conformance.js";
import { startRedisCluster, type RedisCluster } from "./servers/redis-cluster.js";
import { freePort, startRedisServer, waitUntil, type RedisServer } from "./servers/redis-server.js";

type Admin = ReturnType<typeof createClient>;

const localUrl = "redis://127.0.0.1:6379";
const secret = "redis store tests secret, at least 32 bytes long";
/** Every key of this run starts with it, so runs (and CI jobs) sharing a server never see each other's keys. */
const runPrefix = `tessera-test:${randomBytes(6).toString("hex")}:`;
let prefixes = 0;
const nextPrefix = (): string => `${runPrefix}${++prefixes}:`;

const freshId = (): string => sha256(randomBytes(32).toString("base64url"));
/** A cookie value this app could have issued (its tag verifies) for a session no store holds: loading it reads the store. */
// On Node, tagging runs on node:crypto and answers synchronously.
const unknownToken = (): string => tagToken(createKeyRing([secret]), sessionCookie, randomBytes(32).toString("base64url")) as string;
const writeFor = (ttlSeconds: number): RecordWriteOptions => ({ expiresAt: Date.now() + ttlSeconds * 1000, ttlSeconds });
const recordOf = (data: SessionRecord["data"] = {}, userId?: string): SessionRecord => ({
  data,
  flash: {},
  meta: { createdAt: 1_700_000_000_000, lastSeenAt: 1_700_000_000_000, ...(userId === undefined ? {} : { userId }) },
});

function request(token?: string): Request {
  return new Request("https://app.test/", { headers: token === undefined ? {} : { cookie: `${sessionCookie}=${token}` } });
}

function tokenOf(response: Response): string | undefined {
  return setCookies(response).find((cookie) => cookie.name === sessionCookie && cookie.value !== "")?.value;
}

/** Connects a plain client, for looking at what the store wrote. */
async function connectAdmin(url: string): Promise<Admin> {
  return createClient({ url, disableOfflineQueue: true })
    .on("error", () => undefined)
    .connect();
}

/** Every key under `prefix` on these nodes and its value (hash fields, set members or string), as JSON text. */
async function dumpKeys(nodes: Admin[], prefix: string): Promise<string> {
  const dumped: Record<string, unknown> = {};
  for (const node of nodes) {
    for await (const keys of node.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) {
      for (const key of keys) {
        const type = await node.type(key);
        if (type === "hash") dumped[key] = await node.hGetAll(key);
        else if (type === "set") dumped[key] = await node.sMembers(key);
        else if (type === "string") dumped[key] = await node.get(key);
        else dumped[key] = type;
      }
    }
  }
  return JSON.stringify(dumped);
}

/** Deletes every key under `prefix` on these nodes, one key at a time so cluster slots never matter. */
async function deleteKeys(nodes: Admin[], prefix: string): Promise<number> {
  let deleted = 0;
  for (const node of nodes) {
    for await (const keys of node.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) {
      for (const key of keys) deleted += await node.unlink(key);
    }
  }
  return deleted;
}

/**
 * 1,000 requests on one session at once, each setting its own key, through createSessions: every key must be
 * there afterwards, and since the manager queues one process's writes to a session, no commit needs more than one
 * compare-and-set retry.
 */
async function thousandConcurrentKeys(store: Store): Promise<void> {
  const events: SessionEvent[] = [];
  const sessions = createSessions<Record<string, number>>({ secrets: [secret], store, onEvent: (e) => events.push(e) });
  const first = await sessions.load(request());
  first.set("seed", 0);
  const token = tokenOf(await sessions.commit(first, new Response("ok")))!;
  expect(token).toBeDefined();

  const results = await Promise.allSettled(
    Array.from({ length: 1000 }, async (_, i) => {
      const session = await sessions.load(request(token));
      expect(session.isNew).toBe(false);
      session.set(`k${i}`, i);
      return sessions.commit(session, new Response("ok"));
    }),
  );
  const failures = results.flatMap((r) => (r.status === "rejected" ? [String((r.reason as TesseraError).code ?? r.reason)] : []));
  expect({ failed: failures.length, codes: [...new Set(failures)] }).toEqual({ failed: 0, codes: [] });

  const after = await sessions.load(request(token));
  const missing = Array.from({ length: 1000 }, (_, i) => `k${i}`).filter((key, i) => after.get(key) !== i);
  expect(missing).toEqual([]);
  expect(after.get("seed")).toBe(0);
  expect((await store.get(sha256(token)))?.version).toBe(1001);
  const conflicts = events.filter((e): e is Extract<SessionEvent, { type: "write_conflict" }> => e.type === "write_conflict");
  expect(conflicts.filter((e) => e.attempt > 1)).toEqual([]);
  expect(events.filter((e) => e.type === "store_error")).toEqual([]);
}

let admin: Admin;

beforeAll(async () => {
  admin = await connectAdmin(localUrl);
});

afterAll(async () => {
  if (!admin) return;
  await deleteKeys([admin], runPrefix);
  await admin.close();
});

const storePrefixes = new WeakMap<Store, string>();

describeStore("redis", {
  make: () => {
    const prefix = nextPrefix();
    const store = redisStore({ url: localUrl, prefix });
    storePrefixes.set(store, prefix);
    return store;
  },
  dump: (store) => dumpKeys([admin], storePrefixes.get(store)!),
});

describe("redis store", () => {
  const opened: Store[] = [];
  const open = (options: Parameters<typeof redisStore>[0]): IndexedStore => {
    const store = redisStore(options);
    opened.push(store);
    return store;
  };
  /** `open`, seen through records. */
  const view = (options: Parameters<typeof redisStore>[0]): IndexedRecordStore => recordView(open(options));
  afterEach(async () => {
    for (const store of opened.splice(0)) await store.close();
  });

  it("keeps every key when 1,000 requests set one each on the same session at once", async () => {
    await thousandConcurrentKeys(open({ url: localUrl, prefix: nextPrefix() }));
  }, 60_000);

  it("keeps a session in one hash-tagged key with the TTL it was given, and its user's set at least as long", async () => {
    const prefix = nextPrefix();
    const store = view({ url: localUrl, prefix });
    expect(store.gc).toBeUndefined();
    const id = freshId();
    const record = recordOf({ cart: ["book"] }, "alice");
    expect(await store.create(id, record, writeFor(120))).toBe(true);

    const key = `${prefix}session:{${id}}`;
    const userKey = `${prefix}user:{alice}`;
    expect(await admin.hGetAll(key)).toEqual({ v: "1", r: encodeRecord(record), u: "alice" });
    const ttl = await admin.pTTL(key);
    expect(ttl).toBeGreaterThan(110_000);
    expect(ttl).toBeLessThanOrEqual(120_000);
    expect(await admin.sMembers(userKey)).toEqual([id]);
    expect(await admin.pTTL(userKey)).toBeGreaterThanOrEqual(ttl - 1000);

    expect(await store.update(id, record, 1, writeFor(3600))).toBe(2);
    expect(await admin.pTTL(key)).toBeGreaterThan(3_590_000);
    expect(await admin.pTTL(userKey)).toBeGreaterThan(3_590_000);
    // A shorter session never shortens the set: another session of the user may still need it.
    expect(await store.update(id, record, 2, writeFor(60))).toBe(3);
    expect(await admin.pTTL(key)).toBeLessThanOrEqual(60_000);
    expect(await admin.pTTL(userKey)).toBeGreaterThan(3_590_000);

    await store.update(id, recordOf({}), 3, writeFor(60));
    expect(await admin.hExists(key, "u")).toBe(0);
    expect(await admin.exists(userKey)).toBe(0);
  });

  it("lists only a user's sessions that still exist, and prunes the ids of expired ones from the set", async () => {
    const prefix = nextPrefix();
    const store = view({ url: localUrl, prefix });
    const [kept, expired] = [freshId(), freshId()];
    await store.create(kept, recordOf({ n: 1 }, "alice"), writeFor(600));
    await store.create(expired, recordOf({ n: 2 }, "alice"), writeFor(600));
    // As if Redis had expired it: the key goes, its id stays in the set.
    await admin.del(`${prefix}session:{${expired}}`);
    expect(await admin.sCard(`${prefix}user:{alice}`)).toBe(2);

    expect((await store.listByUser("alice")).map((s) => s.id)).toEqual([kept]);
    expect(await admin.sMembers(`${prefix}user:{alice}`)).toEqual([kept]);
    expect(await store.deleteByUser("alice")).toBe(1);
    expect(await admin.exists(`${prefix}user:{alice}`)).toBe(0);
  });

  it("never deletes a session listed under a user it no longer belongs to, and drops it from that set", async () => {
    const prefix = nextPrefix();
    const store = view({ url: localUrl, prefix });
    const id = freshId();
    await store.create(id, recordOf({}, "bob"), writeFor(600));
    // A stale entry, as a process that died between a write and its index clean-up would leave.
    await admin.sAdd(`${prefix}user:{alice}`, id);

    expect(await store.listByUser("alice")).toEqual([]);
    await admin.sAdd(`${prefix}user:{alice}`, id);
    expect(await store.deleteByUser("alice")).toBe(0);
    expect((await store.get(id))?.record.meta.userId).toBe("bob");
    expect(await admin.exists(`${prefix}user:{alice}`)).toBe(0);
    expect((await store.listByUser("bob")).map((s) => s.id)).toEqual([id]);
  });

  it("returns a corrupt hash as text no decoder accepts, which the manager turns into a fresh session", async () => {
    const prefix = nextPrefix();
    const store = open({ url: localUrl, prefix });
    const events: SessionEvent[] = [];
    const sessions = createSessions({ secrets: [secret], store, onEvent: (e) => events.push(e) });
    const token = unknownToken();
    const id = sha256(token);
    await admin.hSet(`${prefix}session:{${id}}`, { v: "1", r: "{not json" });
    const corrupt = await store.get(id);
    expect(corrupt).toEqual({ text: "{not json", version: 1 });
    expect(() => decodeRecord(corrupt!.text)).toThrow(CodecError);
    expect((await sessions.load(request(token))).isNew).toBe(true);
    expect(events).toContainEqual({ type: "record_rejected", reason: "bad_payload" });
    await admin.hSet(`${prefix}session:{${id}}`, { v: "x", r: encodeRecord(recordOf()) });
    const badVersion = await store.get(id);
    expect(badVersion).toEqual({ text: "", version: 1 });
    expect(() => decodeRecord(badVersion!.text)).toThrow(CodecError);
    expect((await sessions.load(request(token))).isNew).toBe(true);
  });

  it("loads its scripts again when the server's script cache was flushed", async () => {
    const store = view({ url: localUrl, prefix: nextPrefix() });
    const id = freshId();
    await store.create(id, recordOf({ n: 1 }, "alice"), writeFor(600));
    await admin.scriptFlush();
    expect(await store.update(id, recordOf({ n: 2 }, "alice"), 1, writeFor(600))).toBe(2);
    await admin.scriptFlush();
    expect(await store.create(freshId(), recordOf({}, "alice"), writeFor(600))).toBe(true);
    await admin.scriptFlush();
    expect(await store.deleteByUser("alice", id)).toBe(1);
    await admin.scriptFlush();
    await store.delete(id);
    expect(await store.get(id)).toBeUndefined();
  });

  it("works on a client it is given, leaves it open on close, and takes back the listeners it added", async () => {
    const client = await connectAdmin(localUrl);
    try {
      const listeners = () => [client.listenerCount("error"), client.listenerCount("ready")];
      const before = listeners();
      const prefix = nextPrefix();
      const store = redisStore({ client, prefix });
      const sessions = createSessions<{ n?: number }>({ secrets: [secret], store });
      for (let i = 0; i < 20; i++) {
        const session = await sessions.load(request());
        session.set("n", i);
        expect(tokenOf(await sessions.commit(session, new Response("ok")))).toBeDefined();
      }
      expect(listeners()).toEqual([before[0]! + 1, before[1]]);
      await sessions.close();
      expect(listeners()).toEqual(before);
      expect(client.isReady).toBe(true);
      expect(await client.ping()).toBe("PONG");
      await expect(Promise.resolve().then(() => store.get(freshId()))).rejects.toMatchObject({ code: "ERR_STORE_UNAVAILABLE" });
      await store.close();
    } finally {
      await client.close();
    }
  });

  it("refuses options it cannot work with, naming the option and never echoing the URL", () => {
    const password = "hunter2-do-not-print";
    const cases: unknown[] = [
      undefined,
      {},
      { url: localUrl, client: admin },
      { url: "http://127.0.0.1:6379" },
      { url: `redis://user:${password}@[::1` },
      { url: `redis://user:${password}@127.0.0.1:6379/not-a-db` },
      { url: localUrl, prefix: 42 },
      { url: localUrl, connectTimeout: 0 },
      { url: localUrl, connectTimeout: "2 seconds" },
      { url: localUrl, maxReconnectDelay: Number.NaN },
      { url: localUrl, maxReconnectDelay: 30 * 24 * 3600 },
      { client: {} },
    ];
    for (const options of cases) {
      const error = (() => {
        try {
          redisStore(options as Parameters<typeof redisStore>[0]).close();
        } catch (e) {
          return e;
        }
      })();
      expect(error, JSON.stringify(options)).toBeInstanceOf(TesseraError);
      expect((error as TesseraError).code).toBe("ERR_INVALID_OPTION");
      expect(`${(error as Error).message} ${(error as Error).stack} ${String((error as Error).cause)}`).not.toContain(password);
    }
  });

  it("refuses the option names of earlier releases, naming what replaces them, before it connects", () => {
    expectRenamed((old) => redisStore({ url: localUrl, ...old }), {
      connectTimeoutMs: ["connectTimeout"],
      maxReconnectDelayMs: ["maxReconnectDelay"],
    });
  });

  it("fails fast, never hanging, when no server listens at start-up", async () => {
    const port = await freePort();
    const store = open({ url: `redis://127.0.0.1:${port}`, prefix: nextPrefix() });
    const sessions = createSessions({ secrets: [secret], store, storeTimeout: "10s" });
    const started = performance.now();
    const error = await sessions.load(request(unknownToken())).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "ERR_STORE_UNAVAILABLE" });
    // Failed on the driver's error, not on the 10 s storeTimeout.
    expect((error as TesseraError).cause).toBeInstanceOf(Error);
    expect(performance.now() - started).toBeLessThan(3000);
  });
  it("does not hang on a server that accepts connections and never answers, and closes all the same", async () => {
    const silent = createServer((socket) => socket.on("error", () => undefined));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = silent.address() as AddressInfo;
      const store = redisStore({ url: `redis://127.0.0.1:${port}`, prefix: nextPrefix(), connectTimeout: 0.2 });
      const sessions = createSessions({ secrets: [secret], store, storeTimeout: "10s" });
      const started = performance.now();
      const error = await sessions.load(request(unknownToken())).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: "ERR_STORE_UNAVAILABLE" });
      expect((error as TesseraError).cause).toBeInstanceOf(Error);
      expect(performance.now() - started).toBeLessThan(2000);
      await sessions.close();
      await expect(Promise.resolve().then(() => store.get(freshId()))).rejects.toMatchObject({ code: "ERR_STORE_UNAVAILABLE" });
    } finally {
      silent.close();
    }
  });
});

describe("redis store start-up warning", () => {
  const password = "warning-test-password-never-printed";
  let server: RedisServer;
  let serverAdmin: Admin;
  const opened: Store[] = [];
  beforeAll(async () => {
    server = await startRedisServer({ password, args: ["--maxmemory-policy", "allkeys-lru", "--maxmemory", "64mb"] });
    serverAdmin = await connectAdmin(server.url);
  });
  afterEach(async () => {
    for (const store of opened.splice(0)) await store.close();
    vi.restoreAllMocks();
  });
  afterAll(async () => {
    await serverAdmin?.close();
    await server?.stop();
  });

  const warningsOf = () => {
    const warnings: string[] = [];
    const store = redisStore({ url: server.url, prefix: nextPrefix(), onWarning: (m) => warnings.push(m) });
    opened.push(store);
    return { store, warnings };
  };

  it("warns once per store, without the URL or password, when maxmemory-policy may evict sessions", async () => {
    await serverAdmin.configSet("maxmemory-policy", "allkeys-lru");
    const { store, warnings } = warningsOf();
    expect(await store.get(freshId())).toBeUndefined();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('"allkeys-lru"');
    expect(warnings[0]).toContain("noeviction");
    expect(warnings[0]).not.toContain(password);
    expect(warnings[0]).not.toContain(String(server.port));

    // A reconnection is another start of the connection, not of the store: no second warning.
    const clientIds = async (): Promise<string[]> =>
      [...String(await serverAdmin.sendCommand(["CLIENT", "LIST", "TYPE", "normal"])).matchAll(/\bid=(\d+)/g)].map((m) => m[1]!);
    const before = await clientIds();
    await serverAdmin.sendCommand(["CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"]);
    await waitUntil(
      async () => (await store.get(freshId())) === undefined && (await clientIds()).some((id) => !before.includes(id)),
      10_000,
      "the store reconnected after CLIENT KILL",
    );
    await recordView(store).create(freshId(), recordOf({}), writeFor(60));
    expect(warnings).toHaveLength(1);

    await serverAdmin.configSet("maxmemory-policy", "volatile-lru");
    const second = warningsOf();
    await second.store.get(freshId());
    expect(second.warnings).toHaveLength(1);
    expect(second.warnings[0]).toContain('"volatile-lru"');
  });

  it("says nothing when the policy is noeviction", async () => {
    await serverAdmin.configSet("maxmemory-policy", "noeviction");
    const { store, warnings } = warningsOf();
    await recordView(store).create(freshId(), recordOf({}), writeFor(60));
    await store.get(freshId());
    expect(warnings).toEqual([]);
  });

  it("warns through console.warn unless told otherwise, once, also on a client it is given", async () => {
    await serverAdmin.configSet("maxmemory-policy", "allkeys-lfu");
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const owned = redisStore({ url: server.url, prefix: nextPrefix() });
    opened.push(owned);
    await owned.get(freshId());
    await owned.get(freshId());
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]![0])).toContain('"allkeys-lfu"');

    const client = await connectAdmin(server.url);
    const given = redisStore({ client, prefix: nextPrefix() });
    try {
      await given.get(freshId());
      await given.get(freshId());
      expect(warn).toHaveBeenCalledTimes(2);
      expect(String(warn.mock.calls[1]![0])).not.toContain(password);
    } finally {
      await given.close();
      await client.close();
    }
  });
});

describe("redis store outage", () => {
  let server: RedisServer | undefined;
  afterAll(async () => {
    await server?.stop();
  });

  it("fails fast while the server is down, loses no acknowledged write, and recovers without a new store", async () => {
    // AOF with fsync on every write: a write Redis acknowledged survives SIGKILL.
    server = await startRedisServer({ args: ["--appendonly", "yes", "--appendfsync", "always"] });
    const unhandled: unknown[] = [];
    const warnings: string[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    const onWarning = (warning: Error): void => void warnings.push(`${warning.name}: ${warning.message}`);
    process.on("unhandledRejection", onUnhandled);
    process.on("warning", onWarning);
    const store = redisStore({ url: server.url, prefix: nextPrefix() });
    const sessions = createSessions<{ n?: number; worker?: number }>({ secrets: [secret], store, storeTimeout: 0.5 });
    try {
      /** The last value whose commit resolved, by session token. */
      const acknowledged = new Map<string, number>();
      const failures: { code: string | undefined; ms: number; timedOut: boolean; afterKill: boolean }[] = [];
      let killed = false;
      let running = true;
      let onProgress = (): void => undefined;
      const progress = (check: () => boolean): Promise<void> =>
        new Promise((resolve) => {
          onProgress = () => {
            if (check()) resolve();
          };
        });

      const worker = async (w: number): Promise<void> => {
        let token: string | undefined;
        for (let i = 1; running; i++) {
          const started = performance.now();
          const afterKill = killed;
          try {
            const session = await sessions.load(request(token));
            session.set("worker", w);
            session.set("n", i);
            const issued = tokenOf(await sessions.commit(session, new Response("ok")));
            token = issued ?? token;
            acknowledged.set(token!, i);
            // A new session now and then, so creates run during the outage as well as updates.
            if (i % 4 === 0) token = undefined;
          } catch (error) {
            failures.push({
              code: (error as TesseraError).code,
              ms: performance.now() - started,
              timedOut: (error as TesseraError).cause === undefined,
              afterKill,
            });
          }
          onProgress();
          // Let timers and sockets in between requests: a request that fails at once never leaves the microtask queue.
          await new Promise((resolve) => setImmediate(resolve));
        }
      };

      const enough = progress(() => acknowledged.size >= 100);
      const workers = Array.from({ length: 8 }, (_, w) => worker(w));
      await enough;
      const sawFailures = progress(() => failures.filter((f) => f.afterKill).length >= 40);
      await server.kill();
      killed = true;
      await sawFailures;
      running = false;
      await Promise.all(workers);

      expect(failures.filter((f) => f.afterKill).length).toBeGreaterThanOrEqual(40);
      // Requests in flight at the kill and every one after: a typed error, each on the driver's own error well
      // within the 0.5 s storeTimeout, never by running out of it.
      expect(new Set(failures.map((f) => f.code))).toEqual(new Set(["ERR_STORE_UNAVAILABLE"]));
      expect(failures.filter((f) => f.timedOut)).toEqual([]);
      expect(Math.max(...failures.map((f) => f.ms))).toBeLessThan(500);

      await server.restart();
      // The same sessions object: its store reconnects in the background.
      await waitUntil(
        async () => {
          const session = await sessions.load(request());
          session.set("n", 0);
          return tokenOf(await sessions.commit(session, new Response("ok"))) !== undefined;
        },
        10_000,
        "requests after the restart",
      );

      expect(acknowledged.size).toBeGreaterThanOrEqual(100);
      const lost: string[] = [];
      for (const [token, n] of acknowledged) {
        const session = await sessions.load(request(token));
        if (session.isNew || (session.get("n") ?? 0) < n) lost.push(`n=${n} got ${session.isNew ? "nothing" : session.get("n")}`);
      }
      expect(lost).toEqual([]);
      expect(unhandled).toEqual([]);
      expect(warnings.filter((w) => w.includes("MaxListenersExceeded"))).toEqual([]);
    } finally {
      await sessions.close();
      process.off("unhandledRejection", onUnhandled);
      process.off("warning", onWarning);
    }
  }, 60_000);
});

describe("redis cluster", () => {
  let cluster: RedisCluster | undefined;
  let client: ReturnType<typeof createCluster>;
  let nodes: Admin[] = [];
  beforeAll(async () => {
    cluster = await startRedisCluster(3);
    client = await createCluster({ rootNodes: cluster.rootNodes, defaults: { disableOfflineQueue: true } })
      .on("error", () => undefined)
      .connect();
    nodes = await Promise.all(cluster.rootNodes.map((node) => connectAdmin(node.url)));
  });
  afterAll(async () => {
    await client?.close();
    for (const node of nodes) await node.close();
    await cluster?.stop();
  });

  const clusterPrefixes = new WeakMap<Store, string>();
  describeStore("redis cluster", {
    make: () => {
      const prefix = nextPrefix();
      const store = redisStore({ client, prefix });
      clusterPrefixes.set(store, prefix);
      return store;
    },
    dump: (store) => dumpKeys(nodes, clusterPrefixes.get(store)!),
  });

  describe("redis cluster store", () => {
    const opened: Store[] = [];
    afterEach(async () => {
      for (const store of opened.splice(0)) await store.close();
    });
    const open = (): { store: IndexedStore; prefix: string } => {
      const prefix = nextPrefix();
      const store = redisStore({ client, prefix });
      opened.push(store);
      return { store, prefix };
    };

    it("keeps every key when 1,000 requests set one each on the same session at once", async () => {
      await thousandConcurrentKeys(open().store);
    }, 60_000);

    it("lists and revokes a user's sessions spread over every master, each session's key in its id's slot", async () => {
      const { store, prefix } = open();
      const ids = Array.from({ length: 30 }, freshId);
      for (const id of ids) await recordView(store).create(id, recordOf({}, "alice"), writeFor(600));
      const keysPerNode = await Promise.all(
        nodes.map(async (node) => {
          let count = 0;
          for await (const keys of node.scanIterator({ MATCH: `${prefix}session:*`, COUNT: 500 })) count += keys.length;
          return count;
        }),
      );
      expect(keysPerNode.filter((n) => n > 0)).toHaveLength(3);
      expect(keysPerNode.reduce((a, b) => a + b)).toBe(30);
      const slot = (key: string) => nodes[0]!.sendCommand(["CLUSTER", "KEYSLOT", key]);
      expect(await slot(`${prefix}session:{${ids[0]}}`)).toBe(await slot(ids[0]!));

      expect((await store.listByUser("alice")).map((s) => s.id).sort()).toEqual([...ids].sort());
      expect(await store.deleteByUser("alice", ids[0])).toBe(29);
      expect((await store.listByUser("alice")).map((s) => s.id)).toEqual([ids[0]]);
      expect(await dumpKeys(nodes, `${prefix}user:`)).toBe(JSON.stringify({ [`${prefix}user:{alice}`]: [ids[0]] }));
    });
  });
});
