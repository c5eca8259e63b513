// The connect store on express-session's MemoryStore and on connect-redis with the real Redis.

import { RedisStore } from "connect-redis";
import session from "express-session";
import { createClient } from "redis";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { CodecError, createSessions, decodeRecord, hasUserIndex, TesseraError, type SessionEvent, type SessionRecord, type Store } from "../src/index.js";
import { connectStore, type ConnectSessionStore } from "../src/stores/connect/index.js";
import { recordView, type RecordStore } from "./record-store.js";
import { describeStore, expectRenamed, sha256 } from "./store-conformance.js";
import { request, thousandWriters, tokenOf, until } from "./store-scenarios.js";

const redisUrl = process.env.TESSERA_REDIS_URL ?? "redis://127.0.0.1:6379";
const secret = "connect store test secret, 48 bytes long.........";
const run = `${process.pid.toString(36)}-${Date.now().toString(36)}`;
const runPrefix = `tessera-test:connect:${run}:`;
let prefixes = 0;
/** A connect-redis key prefix no other run or test uses. */
const freshPrefix = (): string => `${runPrefix}${++prefixes}:`;

const redis = createClient({ url: redisUrl });
// Reported through the commands that fail; an "error" event without a listener would end the process.
redis.on("error", () => undefined);
let connecting: Promise<unknown> | undefined;
/** The shared Redis client, connected on first use. */
const redisClient = async (): Promise<typeof redis> => {
  await (connecting ??= redis.connect());
  return redis;
};
/** Every key under `prefix` and its value, through SCAN (what an attacker with a dump of Redis would see). */
const redisDump = async (prefix: string): Promise<Map<string, string>> => {
  const client = await redisClient();
  const dump = new Map<string, string>();
  for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) {
    for (const key of keys) dump.set(key, (await client.get(key)) ?? "");
  }
  return dump;
};

afterAll(async () => {
  if (connecting === undefined) return;
  const keys = [...(await redisDump(runPrefix)).keys()];
  if (keys.length > 0) await redis.del(keys);
  await redis.close();
});

const record = (data: SessionRecord["data"] = {}, userId?: string): SessionRecord => ({
  data,
  flash: {},
  meta: { createdAt: 1_700_000_000_000, lastSeenAt: 1_700_000_000_000, ...(userId === undefined ? {} : { userId }) },
});
const ttl = (ttlSeconds: number) => ({ expiresAt: Date.now() + ttlSeconds * 1000, ttlSeconds });
/** The sessions a MemoryStore holds, as the JSON text it keeps. */
const held = (memory: session.MemoryStore): Record<string, string> => (memory as unknown as { sessions: Record<string, string> }).sessions;


const memoryOf = new WeakMap<Store, session.MemoryStore>();
describeStore("connect (express-session MemoryStore)", {
  make: () => {
    const memory = new session.MemoryStore();
    const store = connectStore(memory);
    memoryOf.set(store, memory);
    return store;
  },
  dump: (store) => JSON.stringify(held(memoryOf.get(store)!)),
});

/** An express-session store as a minimal one would be: get, set and destroy, and no all(). */
const withoutAll = (memory: session.MemoryStore): ConnectSessionStore => ({
  get: (sid, callback) => memory.get(sid, callback),
  set: (sid, value, callback) => memory.set(sid, value as session.SessionData, callback),
  destroy: (sid, callback) => memory.destroy(sid, callback),
});

describeStore("connect (an express-session store without all())", {
  make: () => connectStore(withoutAll(new session.MemoryStore())),
  capabilities: { userIndex: false },
});

const prefixOf = new WeakMap<Store, string>();
describeStore("connect (connect-redis)", {
  make: async () => {
    const prefix = freshPrefix();
    const store = connectStore(new RedisStore({ client: await redisClient(), prefix }));
    prefixOf.set(store, prefix);
    return store;
  },
  dump: async (store) => JSON.stringify([...(await redisDump(prefixOf.get(store)!))]),
});

describe("connect store", () => {
  const open: Store[] = [];
  afterEach(async () => {
    for (const store of open.splice(0)) await store.close();
  });
  const wrap = (options: Parameters<typeof connectStore>[0]): Store => {
    const store = connectStore(options);
    open.push(store);
    return store;
  };
  /** `wrap`, seen through records. */
  const view = (options: Parameters<typeof connectStore>[0]): RecordStore => recordView(wrap(options));

  it("writes a session object express-session stores understand, with the version and expiry inside", async () => {
    const memory = new session.MemoryStore();
    const store = view(memory);
    const before = Date.now();
    await store.create("id-1", record({ a: 1 }, "alice"), ttl(600));
    await store.update("id-1", record({ a: 2 }, "alice"), 1, ttl(900));
    const stored = JSON.parse(held(memory)["id-1"]!) as { cookie: { originalMaxAge: number; maxAge: number; expires: string }; tessera: unknown };
    expect(stored.tessera).toEqual({ id: "id-1", version: 2, userId: "alice", record: '{"v":1,"c":1700000000000,"s":1700000000000,"d":{"a":2},"u":"alice"}' });
    expect(stored.cookie.originalMaxAge).toBe(900_000);
    expect(stored.cookie.maxAge).toBe(900_000);
    const expires = Date.parse(stored.cookie.expires);
    expect(expires).toBeGreaterThanOrEqual(before + 900_000);
    expect(expires).toBeLessThanOrEqual(Date.now() + 900_000);
  });

  it("lets connect-redis set a native TTL from cookie.expires, moved by every update", async () => {
    const prefix = freshPrefix();
    const client = await redisClient();
    const store = view(new RedisStore({ client, prefix }));
    await store.create("id-1", record({ a: 1 }), ttl(100));
    const first = await client.ttl(`${prefix}id-1`);
    expect(first).toBeGreaterThan(95);
    expect(first).toBeLessThanOrEqual(100);
    await store.update("id-1", record({ a: 2 }), 1, ttl(5000));
    const second = await client.ttl(`${prefix}id-1`);
    expect(second).toBeGreaterThan(4995);
    expect(second).toBeLessThanOrEqual(5000);
  });

  it("lets the backend expire a session by itself", async () => {
    const store = view(new RedisStore({ client: await redisClient(), prefix: freshPrefix() }));
    await store.create("short", record({ a: 1 }), ttl(1));
    await store.create("long", record({ a: 2 }), ttl(3600));
    await until(async () => (await store.get("short")) === undefined, "Redis expired the key", 5000);
    expect(await store.get("long")).toBeDefined();
  });

  it("keeps no raw token in Redis, only SHA-256 ids, in keys and values", async () => {
    const prefix = freshPrefix();
    const sessions = createSessions({ secrets: [secret], store: wrap(new RedisStore({ client: await redisClient(), prefix })) });
    const tokens: string[] = [];
    for (let i = 0; i < 3; i++) {
      const s = await sessions.load(request());
      await s.signIn(`user-${i}`);
      s.set("i", i);
      tokens.push(tokenOf(await sessions.commit(s, new Response("ok"))));
    }
    const dump = await redisDump(prefix);
    expect([...dump.keys()].sort()).toEqual(tokens.map((t) => `${prefix}${sha256(t)}`).sort());
    const text = JSON.stringify([...dump]);
    for (const token of tokens) expect(text).not.toContain(token);
  });

  it("keeps every key when 1,000 requests set their own key on one session at once", async () => {
    const store = wrap(new session.MemoryStore());
    await thousandWriters(store, secret);
  }, 60_000);

  it("shares a store with plain express-session sessions: never loads or lists them, never writes over them", async () => {
    const memory = new session.MemoryStore();
    const plain = { cookie: { originalMaxAge: 60_000, expires: new Date(Date.now() + 60_000) }, userId: "alice", tessera: "not ours" };
    memory.set("plain-sid", plain as unknown as session.SessionData);
    const store = wrap(memory);
    const events: SessionEvent[] = [];
    const sessions = createSessions({ secrets: [secret], store, onEvent: (e) => events.push(e) });
    const s = await sessions.load(request());
    await s.signIn("alice");
    const token = tokenOf(await sessions.commit(s, new Response("ok")));
    expect((await sessions.userSessions("alice")).map((u) => u.id)).toEqual([sha256(token)]);
    // Not ours: it reads as text no decoder accepts, which the manager treats as no session.
    const foreign = await store.get("plain-sid");
    expect(foreign).toEqual({ text: "", version: 1 });
    expect(() => decodeRecord(foreign!.text)).toThrow(CodecError);
    const records = recordView(store);
    expect(await records.create("plain-sid", record({ a: 1 }), ttl(60))).toBe(false);
    expect(await records.update("plain-sid", record({ a: 1 }), 1, ttl(60))).toBeUndefined();
    expect(JSON.parse(held(memory)["plain-sid"]!)).toMatchObject({ userId: "alice", tessera: "not ours" });
  });

  it("has the user index only when the store has all(), and says so by name when it has none", async () => {
    expect(hasUserIndex(wrap(new session.MemoryStore()))).toBe(true);
    const store = wrap(withoutAll(new session.MemoryStore()));
    expect(hasUserIndex(store)).toBe(false);
    const sessions = createSessions({ secrets: [secret], store });
    const signedIn = await sessions.load(request());
    await signedIn.signIn("alice");
    const token = tokenOf(await sessions.commit(signedIn, new Response("ok")));
    for (const attempt of [sessions.userSessions("alice"), sessions.revokeUserSessions("alice")]) {
      const error: unknown = await attempt.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TesseraError);
      expect(error).toMatchObject({ code: "ERR_NOT_SUPPORTED", message: expect.stringContaining("connect store") });
    }
    expect((await sessions.load(request(token))).userId).toBe("alice");
  });

  it("fails a call the store never answers after callTimeout, and frees the session for the next call", async () => {
    const memory = new session.MemoryStore();
    let silent = false;
    // MemoryStore, except that while `silent` it drops the callback of set: a store that lost a reply.
    const forgetful: ConnectSessionStore = {
      get: (sid, callback) => memory.get(sid, callback),
      set: (sid, value, callback) => memory.set(sid, value as session.SessionData, silent ? undefined : callback),
      destroy: (sid, callback) => memory.destroy(sid, callback),
    };
    const store = view({ store: forgetful, callTimeout: 0.1 });
    await store.create("a", record({ n: 0 }), ttl(60));
    silent = true;
    await expect(store.update("a", record({ n: 1 }), 1, ttl(60))).rejects.toThrow("did not answer set within 100 ms");
    silent = false;
    // The set did land (only its reply was lost): the next writer sees version 2, and is not stuck behind it.
    expect(await store.update("a", record({ n: 2 }), 2, ttl(60))).toBe(3);
    expect((await store.get("a"))?.record.data).toEqual({ n: 2 });
  });

  it("fails closed with ERR_STORE_UNAVAILABLE when Redis is unreachable", async () => {
    const broken = createClient({ url: "redis://127.0.0.1:1", socket: { reconnectStrategy: false, connectTimeout: 200 } });
    broken.on("error", () => undefined);
    // Never connected: node-redis rejects every command at once ("The client is closed").
    const sessions = createSessions({ secrets: [secret], store: wrap(new RedisStore({ client: broken, prefix: freshPrefix() })), storeTimeout: 0.5 });
    const s = await sessions.load(request());
    s.set("a", 1);
    const response = new Response("ok");
    await expect(sessions.commit(s, response)).rejects.toMatchObject({ code: "ERR_STORE_UNAVAILABLE" });
    expect(response.headers.getSetCookie()).toEqual([]);
  });

  it("refuses anything that is not an express-session store", () => {
    for (const bad of [undefined, null, {}, { get: () => undefined }, { store: { get: () => undefined, set: () => undefined } }]) {
      expect(() => connectStore(bad as never), JSON.stringify(bad)).toThrow(expect.objectContaining({ code: "ERR_INVALID_OPTION" }));
    }
    for (const callTimeout of [0, -1, Number.NaN, 2 ** 31 / 1000, "5 seconds" as never]) {
      expect(() => connectStore({ store: new session.MemoryStore(), callTimeout }), String(callTimeout)).toThrow(
        expect.objectContaining({ code: "ERR_INVALID_OPTION", message: expect.stringContaining("`callTimeout`") }),
      );
    }
  });

  it("refuses the option names of earlier releases, naming what replaces them", () => {
    expectRenamed((old) => connectStore({ store: new session.MemoryStore(), ...old }), { callTimeoutMs: ["callTimeout"] });
  });

  it("never writes back a session deleted while an update on it was in flight in this process", async () => {
    const memory = new session.MemoryStore();
    const store = view(memory);
    await store.create("id", record({ n: 0 }), ttl(60));
    // MemoryStore reads when get is called and answers a tick later: a delete issued meanwhile lands inside the
    // update's get-compare-set unless the two take turns.
    const [updated] = await Promise.all([store.update("id", record({ n: 1 }), 1, ttl(60)), store.delete("id")]);
    expect(updated).toBe(2);
    expect(await store.get("id")).toBeUndefined();
    expect(held(memory)).toEqual({});
  });

  it("cannot stop two processes from both winning an update at the same version (no compare-and-set)", async () => {
    // Two wrappers over one backend stand for two processes: each takes turns only with itself. This is the race
    // README.md documents; if the store ever gains compare-and-set, this test fails and the README must change.
    const memory = new session.MemoryStore();
    const [one, two] = [view(memory), view(memory)];
    await one.create("id", record({ n: 0 }), ttl(60));
    const results = await Promise.all([one.update("id", record({ n: 1 }), 1, ttl(60)), two.update("id", record({ n: 2 }), 1, ttl(60))]);
    expect(results).toEqual([2, 2]);
  });
});

