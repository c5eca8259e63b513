// The memcached store on the real server: the conformance suite, CAS, native expiry, load and an outage.

import { createConnection } from "node:net";
import { Client } from "memjs";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { createSessions, hasUserIndex, TesseraError, type SessionEvent, type SessionRecord, type Store } from "../src/index.js";
import { memcachedStore } from "../src/stores/memcached/index.js";
import { startTcpProxy } from "./servers/tcp-proxy.js";
import { recordView, type RecordStore } from "./record-store.js";
import { describeStore, expectRenamed, sha256 } from "./store-conformance.js";
import { expectOutageHandled, outage, request, thousandWriters, tokenOf, until } from "./store-scenarios.js";

const host = process.env.TESSERA_MEMCACHED_HOST ?? "127.0.0.1";
const port = Number(process.env.TESSERA_MEMCACHED_PORT ?? 11211);
const url = `memcached://${host}:${port}`;
const secret = "memcached store test secret, 48 bytes long......";
const day = 24 * 3600;
const run = `${process.pid.toString(36)}-${Date.now().toString(36)}`;
let prefixes = 0;
/** A key prefix no other run or test uses, so tests never see each other's items. */
const freshPrefix = (): string => `tessera-test:${run}:${++prefixes}:`;

/** The test's own client, for reading and planting raw items. */
const raw = Client.create(`${host}:${port}`, { retries: 1, timeout: 2, logger: { log: () => undefined } });
afterAll(() => raw.close());

const record = (data: SessionRecord["data"] = {}, userId?: string): SessionRecord => ({
  data,
  flash: {},
  meta: { createdAt: 1_700_000_000_000, lastSeenAt: 1_700_000_000_000, ...(userId === undefined ? {} : { userId }) },
});
const ttl = (ttlSeconds: number) => ({ expiresAt: Date.now() + ttlSeconds * 1000, ttlSeconds });


/** One text-protocol command on a fresh connection, answered up to the line `END`. */
function textCommand(command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host, port }, () => socket.write(`${command}\r\n`));
    let answer = "";
    socket.setTimeout(5000, () => socket.destroy(new Error(`memcached did not answer ${command}`)));
    socket.on("data", (chunk: Buffer) => {
      answer += chunk.toString("latin1");
      if (/(^|\n)(END|ERROR[^\n]*|BUSY[^\n]*)\r\n$/.test(answer)) {
        socket.end();
        resolve(answer);
      }
    });
    socket.on("error", reject);
  });
}

/** Every item under `prefix`, from `lru_crawler metadump` (memcached 1.4.31+), with its absolute expiry. */
async function itemsUnder(prefix: string): Promise<{ key: string; exp: number }[]> {
  let listing = "";
  await until(async () => !(listing = await textCommand("lru_crawler metadump all")).startsWith("BUSY"), "the LRU crawler is free");
  return listing
    .split("\n")
    .filter((line) => line.startsWith("key="))
    .map((line) => {
      const fields = Object.fromEntries(line.trim().split(" ").map((field) => field.split("=") as [string, string]));
      return { key: decodeURIComponent(fields.key!), exp: Number(fields.exp) };
    })
    .filter((item) => item.key.startsWith(prefix));
}

const prefixOf = new WeakMap<Store, string>();

describeStore("memcached", {
  make: () => {
    const prefix = freshPrefix();
    const store = memcachedStore({ url, prefix });
    prefixOf.set(store, prefix);
    return store;
  },
  // memcached cannot list keys by pattern, but the LRU crawler can dump every key; the values come from GET.
  dump: async (store) => {
    const items = await itemsUnder(prefixOf.get(store)!);
    const lines = await Promise.all(items.map(async ({ key }) => `${key} ${(await raw.get(key)).value?.toString("utf8") ?? ""}`));
    expect(lines.length).toBeGreaterThan(0);
    return lines.join("\n");
  },
  capabilities: { userIndex: false },
});

describe("memcached store", () => {
  const open: { close(): unknown }[] = [];
  afterEach(async () => {
    for (const handle of open.splice(0).reverse()) await handle.close();
  });
  const make = (options: Partial<Parameters<typeof memcachedStore>[0]> = {}): Store => {
    const store = memcachedStore({ url, prefix: freshPrefix(), ...options });
    open.push(store);
    return store;
  };
  /** `make`, seen through records. */
  const view = (options: Partial<Parameters<typeof memcachedStore>[0]> = {}): RecordStore => recordView(make(options));

  it("keeps the version inside the value and the SHA-256 id in the key", async () => {
    const prefix = freshPrefix();
    const store = view({ prefix });
    await store.create("some-id", record({ a: 1 }), ttl(60));
    await store.update("some-id", record({ a: 2 }), 1, ttl(60));
    const value = (await raw.get(`${prefix}some-id`)).value?.toString("utf8");
    expect(value).toBe('2\n{"v":1,"c":1700000000000,"s":1700000000000,"d":{"a":2}}');
  });

  it("lets exactly one of two clients win a compare-and-set at the same version", async () => {
    const prefix = freshPrefix();
    // Two stores with their own connections stand for two processes.
    const [one, two] = [view({ prefix }), view({ prefix })];
    for (let round = 0; round < 20; round++) {
      const id = `race-${round}`;
      await one.create(id, record({ n: 0 }), ttl(60));
      const results = await Promise.all([one.update(id, record({ n: 1 }), 1, ttl(60)), two.update(id, record({ n: 2 }), 1, ttl(60))]);
      expect(results.filter((v) => v === 2), `round ${round}`).toHaveLength(1);
      const winner = results[0] === 2 ? 1 : 2;
      expect(await two.get(id)).toEqual({ record: record({ n: winner }), version: 2 });
    }
  });

  it("writes only if nobody changed the item between its read and its write", async () => {
    // The store's client runs `between` after the store's read (GET) answers and before its write goes out, so
    // another writer lands exactly in the window a CAS token must close.
    const client = Client.create(`${host}:${port}`, { retries: 1, timeout: 2, logger: { log: () => undefined } });
    open.push(client);
    let between: (() => Promise<unknown>) | undefined;
    const perform = client.perform.bind(client);
    client.perform = (key, packet, seq, callback, retries) =>
      perform(
        key,
        packet,
        seq,
        (error, response) => {
          const run = packet[1] === 0x00 ? between : undefined; // opcode 0x00: GET
          between = undefined;
          void (run ? run() : Promise.resolve()).then(() => callback?.(error, response));
        },
        retries,
      );
    const prefix = freshPrefix();
    const store = recordView(memcachedStore({ client, prefix }));
    open.push(store);
    const value = (version: number, n: number) => `${version}\n${JSON.stringify({ v: 1, c: 0, s: 0, d: { n } })}`;

    await store.create("deleted", record({ n: 0 }), ttl(60));
    between = () => raw.delete(`${prefix}deleted`);
    expect(await store.update("deleted", record({ n: 1 }), 1, ttl(60))).toBeUndefined();
    expect(await raw.get(`${prefix}deleted`)).toMatchObject({ value: null });

    await store.create("bumped", record({ n: 0 }), ttl(60));
    between = () => raw.set(`${prefix}bumped`, value(2, 7), { expires: 60 });
    expect(await store.update("bumped", record({ n: 1 }), 1, ttl(60))).toBeUndefined();
    expect(await store.get("bumped")).toEqual({ record: { data: { n: 7 }, flash: {}, meta: { createdAt: 0, lastSeenAt: 0 } }, version: 2 });

    // Rewritten at the same version (as a touch elsewhere would): the CAS token changed, so the store reads again,
    // finds the version it expects and writes.
    await store.create("rewritten", record({ n: 0 }), ttl(60));
    between = () => raw.set(`${prefix}rewritten`, value(1, 5), { expires: 60 });
    expect(await store.update("rewritten", record({ n: 1 }), 1, ttl(60))).toBe(2);
    expect(await store.get("rewritten")).toEqual({ record: record({ n: 1 }), version: 2 });
  });

  it("lets memcached expire a session by its ttlSeconds", async () => {
    const store = view();
    await store.create("short", record({ a: 1 }), ttl(1));
    await store.create("long", record({ a: 2 }), ttl(3600));
    expect(await store.get("short")).toBeDefined();
    await until(async () => (await store.get("short")) === undefined, "memcached expired the item", 5000);
    expect(await store.get("long")).toBeDefined();
  });

  it("sends a TTL over 30 days as a unix time, which memcached would otherwise read as long past", async () => {
    const prefix = freshPrefix();
    const store = view({ prefix });
    const now = Math.floor(Date.now() / 1000);
    await store.create("forty-days", record({ a: 1 }), ttl(40 * day));
    await store.create("thirty-days", record({ a: 2 }), ttl(30 * day));
    expect((await store.get("forty-days"))?.record.data).toEqual({ a: 1 });
    expect(await store.update("forty-days", record({ a: 3 }), 1, ttl(45 * day))).toBe(2);
    const items = new Map((await itemsUnder(prefix)).map((item) => [item.key.slice(prefix.length), item.exp]));
    expect(Math.abs(items.get("forty-days")! - (now + 45 * day))).toBeLessThan(10);
    expect(Math.abs(items.get("thirty-days")! - (now + 30 * day))).toBeLessThan(10);
  });

  it("says it cannot list or revoke a user's sessions, naming the store, and still revokes one session by id", async () => {
    const store = make();
    const sessions = createSessions({ secrets: [secret], store });
    const session = await sessions.load(request());
    await session.signIn("alice");
    const token = tokenOf(await sessions.commit(session, new Response("ok")));
    for (const attempt of [sessions.userSessions("alice"), sessions.revokeUserSessions("alice")]) {
      const error: unknown = await attempt.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TesseraError);
      expect(error).toMatchObject({ code: "ERR_NOT_SUPPORTED", message: expect.stringContaining("memcached") });
    }
    expect(await sessions.revokeSession("alice", sha256(token))).toBe(true);
    expect((await sessions.load(request(token))).isNew).toBe(true);
  });

  it("fails a session larger than memcached's item limit with ERR_STORE_UNAVAILABLE, and keeps working", async () => {
    const store = make();
    // Above the 1 MiB item limit, so the store (not the manager's record limit) is what refuses it.
    const sessions = createSessions({ secrets: [secret], store, maxRecordBytes: 4 * 1024 * 1024 });
    const big = await sessions.load(request());
    big.set("blob", "x".repeat(2 * 1024 * 1024));
    const response = new Response("ok");
    const error: unknown = await sessions.commit(big, response).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "ERR_STORE_UNAVAILABLE" });
    expect(String((error as Error).cause)).toContain("status 0x3");
    expect(response.headers.getSetCookie()).toEqual([]);
    const small = await sessions.load(request());
    small.set("a", 1);
    const token = tokenOf(await sessions.commit(small, new Response("ok")));
    expect((await sessions.load(request(token))).get("a")).toBe(1);
  });

  it("treats an item that is not a tessera session as an unknown session", async () => {
    const prefix = freshPrefix();
    const store = make({ prefix });
    const events: SessionEvent[] = [];
    const sessions = createSessions({ secrets: [secret], store, onEvent: (e) => events.push(e) });
    const session = await sessions.load(request());
    session.set("a", 1);
    const token = tokenOf(await sessions.commit(session, new Response("ok")));
    await raw.set(`${prefix}${sha256(token)}`, "not a session", { expires: 60 });
    expect((await sessions.load(request(token))).isNew).toBe(true);
    expect(events).toContainEqual({ type: "record_rejected", reason: "bad_payload" });
  });

  it("keeps every key when 1,000 requests set their own key on one session at once", async () => {
    const store = make();
    await thousandWriters(store, secret);
  }, 60_000);

  it("leaves a client it was given open when it closes, and fails afterwards", async () => {
    const client = Client.create(`${host}:${port}`, { retries: 1, timeout: 1, logger: { log: () => undefined } });
    open.push(client);
    const prefix = freshPrefix();
    const store = recordView(memcachedStore({ client, prefix }));
    await store.create("a", record({ a: 1 }), ttl(60));
    await store.close();
    await store.close();
    await expect(Promise.resolve().then(() => store.get("a"))).rejects.toMatchObject({ code: "ERR_STORE_UNAVAILABLE" });
    expect((await client.get(`${prefix}a`)).value?.toString()).toMatch(/^1\n/);
  });

  it("closes the connection it opened when it closes", async () => {
    const proxy = await startTcpProxy({ host, port });
    open.push(proxy);
    const store = recordView(memcachedStore({ url: `127.0.0.1:${proxy.port}`, prefix: freshPrefix() }));
    await store.create("a", record(), ttl(60));
    expect(proxy.connections).toBe(1);
    await store.close();
    await until(() => proxy.connections === 0, "the connection is closed");
  });

  it("refuses options it cannot use, naming them", () => {
    const bad: [Parameters<typeof memcachedStore>[0], string][] = [
      [{}, "url"],
      [{ url, client: raw }, "url"],
      [{ url: " " }, "url"],
      [{ url: "127.0.0.1:11211/path" }, "url"],
      [{ url: "127.0.0.1:notaport" }, "url"],
      [{ url, prefix: "has space" }, "prefix"],
      [{ url, prefix: "x".repeat(201) }, "prefix"],
      [{ url, prefix: "tab\t" }, "prefix"],
      [{ url, callTimeout: 0 }, "callTimeout"],
      [{ url, callTimeout: Number.NaN }, "callTimeout"],
      [{ url, callTimeout: "1 second" as never }, "callTimeout"],
      [{ url, connectTimeout: -1 }, "connectTimeout"],
      [{ url, connectTimeout: 30 * 24 * 3600 }, "connectTimeout"],
    ];
    for (const [options, name] of bad) {
      expect(() => memcachedStore(options), name).toThrow(expect.objectContaining({ code: "ERR_INVALID_OPTION" }));
      expect(() => memcachedStore(options), name).toThrow(`\`${name}\``);
    }
  });

  it("refuses the option names of earlier releases, naming what replaces them", () => {
    expectRenamed((old) => memcachedStore({ url, ...old }), { timeoutSeconds: ["callTimeout", "connectTimeout"] });
  });

  it("has no user index: no listByUser or deleteByUser to call, not even one that throws", () => {
    const store = make();
    expect(hasUserIndex(store)).toBe(false);
    expect("listByUser" in store || "deleteByUser" in store).toBe(false);
  });

  for (const how of ["close", "reset"] as const) {
    it(`fails fast while the server is unreachable (connections ended by ${how}), recovers on the same store, and loses no committed session`, async () => {
      const proxy = await startTcpProxy({ host, port });
      open.push(proxy);
      const store = make({ url: `memcached://127.0.0.1:${proxy.port}`, connectTimeout: 0.5, callTimeout: 0.5 });
      const events: string[] = [];
      const sessions = createSessions<{ n?: number; hits?: number }>({
        secrets: [secret],
        store,
        storeTimeout: 0.5,
        onEvent: (e) => void (e.type === "store_error" && events.push(e.code)),
      });
      const report = await outage(proxy, sessions, how);
      await expectOutageHandled(report, sessions, events);
      // No leak: one connection per server, however many were dropped and reopened.
      expect(proxy.connections).toBe(1);
    }, 60_000);
  }
});

