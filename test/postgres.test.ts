// The PostgreSQL store on the real server: the conformance suite, schema creation, batched gc, load and an outage.

import pg from "pg";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { createSessions, type IndexedStore, type SessionRecord, type Store } from "../src/index.js";
import { migrate, postgresStore } from "../src/stores/postgres/index.js";
import { startTcpProxy, type TcpProxy } from "./servers/tcp-proxy.js";
import { recordView, type IndexedRecordStore } from "./record-store.js";
import { describeStore, expectRenamed } from "./store-conformance.js";
import { expectOutageHandled, outage, request, thousandWriters, until } from "./store-scenarios.js";

const url = process.env.TESSERA_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const secret = "postgres store test secret, 48 bytes long.......";
const hour = 3_600_000;
const run = `${process.pid.toString(36)}_${Date.now().toString(36)}`;

/** Connections of the test itself, for dumps, seeding and dropping tables. */
const admin = new pg.Pool({ connectionString: url, max: 4 });
admin.on("error", () => undefined);
const tables: string[] = [];
let tableCount = 0;
/** A table name no other run or test uses; dropped after the file. */
const freshTable = (): string => {
  const table = `tessera_test_${run}_${++tableCount}`;
  tables.push(table);
  return table;
};

afterAll(async () => {
  if (tables.length > 0) await admin.query(`DROP TABLE IF EXISTS ${tables.join(", ")}`);
  await admin.end();
});

const record = (data: SessionRecord["data"] = {}, userId?: string): SessionRecord => ({
  data,
  flash: {},
  meta: { createdAt: 1_700_000_000_000, lastSeenAt: 1_700_000_000_000, ...(userId === undefined ? {} : { userId }) },
});
const writeAt = (expiresAt: number) => ({ expiresAt, ttlSeconds: 60 });


const tableOf = new WeakMap<Store, string>();

describeStore("postgres", {
  make: () => {
    const table = freshTable();
    const store = postgresStore({ url, table, gcInterval: false });
    tableOf.set(store, table);
    return store;
  },
  dump: async (store) => {
    const { rows } = await admin.query<{ row: string }>(`SELECT t::text AS row FROM ${tableOf.get(store)!} t`);
    return rows.map((r) => r.row).join("\n");
  },
});

describe("postgres store", () => {
  const open: { close(): unknown }[] = [];
  afterEach(async () => {
    for (const handle of open.splice(0).reverse()) await handle.close();
  });
  const make = (options: Parameters<typeof postgresStore>[0]): IndexedStore => {
    const store = postgresStore({ gcInterval: false, ...options });
    open.push(store);
    return store;
  };
  /** `make`, seen through records. */
  const view = (options: Parameters<typeof postgresStore>[0]): IndexedRecordStore => recordView(make(options));
  /** A pool of the test's own whose statements are logged, so a test can count them. */
  const loggedPool = (): { pool: pg.Pool; statements: string[] } => {
    const pool = new pg.Pool({ connectionString: url, max: 4 });
    pool.on("error", () => undefined);
    open.push({ close: () => pool.end() });
    const statements: string[] = [];
    const query = pool.query.bind(pool) as (text: string | pg.QueryConfig, values?: unknown[]) => Promise<pg.QueryResult>;
    pool.query = ((text: string | pg.QueryConfig, values?: unknown[]) => {
      statements.push(typeof text === "string" ? text : text.text);
      return query(text, values);
    }) as never;
    return { pool, statements };
  };

  it("creates its table and both indexes on first use, once, when many processes' stores start at once", async () => {
    const table = freshTable();
    // Separate pools stand for separate processes: CREATE TABLE IF NOT EXISTS alone fails for all but one of them.
    const stores = Array.from({ length: 8 }, () => view({ url, table, maxConnections: 2 }));
    const created = await Promise.all(stores.map((store, i) => store.create(`id-${i}`, record({ i }, "alice"), writeAt(Date.now() + hour))));
    expect(created).toEqual(Array(8).fill(true));
    expect(await stores[0]!.listByUser("alice")).toHaveLength(8);

    const { rows: columns } = await admin.query<{ column_name: string; data_type: string }>(
      "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position",
      [table],
    );
    expect(columns).toEqual([
      { column_name: "id", data_type: "text" },
      { column_name: "version", data_type: "integer" },
      { column_name: "user_id", data_type: "text" },
      { column_name: "expires_at", data_type: "bigint" },
      { column_name: "record", data_type: "text" },
    ]);
    const { rows: indexes } = await admin.query<{ indexname: string; indexdef: string }>(
      "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = $1 ORDER BY indexname",
      [table],
    );
    expect(indexes.map((i) => i.indexname)).toEqual([`${table}_expires_at`, `${table}_pkey`, `${table}_user_id`]);
    expect(indexes.find((i) => i.indexname === `${table}_user_id`)!.indexdef).toMatch(/WHERE \(user_id IS NOT NULL\)$/);
  });

  it("runs migrate from many pools at once without a unique-violation race", async () => {
    const table = freshTable();
    const pools = Array.from({ length: 8 }, () => {
      const pool = new pg.Pool({ connectionString: url, max: 1 });
      open.push({ close: () => pool.end() });
      return pool;
    });
    const results = await Promise.allSettled(pools.map((pool) => migrate(pool, { table })));
    expect(results.filter((r) => r.status === "rejected")).toEqual([]);
    await migrate(pools[0]!, { table });
    const { rows } = await admin.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`);
    expect(rows[0]!.n).toBe("0");
  });

  it("finds rows by expiry and by user through the indexes", async () => {
    const table = freshTable();
    const store = view({ url, table });
    await store.create("a", record({}, "alice"), writeAt(Date.now() + hour));
    const client = await admin.connect();
    try {
      await client.query("BEGIN");
      // On a table this small the planner would rightly scan it; forbid that to see which index it would use.
      await client.query("SET LOCAL enable_seqscan = off");
      const plan = async (sql: string) => (await client.query<{ "QUERY PLAN": string }>(`EXPLAIN ${sql}`)).rows.map((r) => r["QUERY PLAN"]).join("\n");
      expect(await plan(`SELECT id FROM ${table} WHERE expires_at <= 5 LIMIT 500`)).toContain(`${table}_expires_at`);
      expect(await plan(`SELECT id FROM ${table} WHERE user_id = 'alice'`)).toContain(`${table}_user_id`);
    } finally {
      await client.query("ROLLBACK");
      client.release();
    }
  });

  it("keeps strings the record format allows but jsonb would refuse", async () => {
    const store = view({ url, table: freshTable() });
    const tricky = record({ nul: "a\u0000b", lone: "\ud800", emoji: "🍪", quote: "it's \"x\"" });
    await store.create("tricky", tricky, writeAt(Date.now() + hour));
    expect(await store.get("tricky")).toEqual({ record: tricky, version: 1 });
  });

  it("keeps every key when 1,000 requests set their own key on one session at once", async () => {
    const store = make({ url, table: freshTable() });
    await thousandWriters(store, secret);
  }, 60_000);

  it("sends each request's statements as named prepared statements, or unnamed with preparedStatements: false", async () => {
    // One connection per pool, so the server's pg_prepared_statements (per connection) shows what the store prepared.
    const preparedOn = async (preparedStatements: boolean | undefined) => {
      const pool = new pg.Pool({ connectionString: url, max: 1 });
      pool.on("error", () => undefined);
      open.push({ close: () => pool.end() });
      const store = view({ pool, table: freshTable(), preparedStatements });
      await store.create("a", record({ n: 1 }), writeAt(Date.now() + hour));
      const read = await store.get("a");
      await store.update("a", record({ n: 2 }), read!.version, writeAt(Date.now() + hour));
      await store.delete("a");
      const { rows } = await pool.query<{ name: string }>("SELECT name FROM pg_prepared_statements ORDER BY name");
      return rows.map((row) => row.name.replace(/^tessera_[0-9a-z]+_/, "tessera_*_"));
    };
    expect(await preparedOn(undefined)).toEqual(["tessera_*_create", "tessera_*_delete", "tessera_*_get", "tessera_*_update"]);
    expect(await preparedOn(false)).toEqual([]);
    expect(() => make({ url, preparedStatements: "yes" as never })).toThrow(expect.objectContaining({ code: "ERR_INVALID_OPTION" }));
  });

  it("collects only expired rows, in batches of gcBatchSize", async () => {
    const table = freshTable();
    const { pool, statements } = loggedPool();
    const store = view({ pool, table, gcBatchSize: 500 });
    const now = Date.now();
    for (let i = 0; i < 7; i++) await store.create(`live-${i}`, record({ i }, "alice"), writeAt(now + hour));
    await store.create("boundary", record(), writeAt(now));
    await admin.query(
      `INSERT INTO ${table} (id, version, user_id, expires_at, record)
       SELECT 'expired-' || i, 1, CASE WHEN i % 2 = 0 THEN 'alice' END, $1::bigint - i, $2 FROM generate_series(1, 4999) AS i`,
      [now, JSON.stringify({ v: 1, c: 0, s: 0, d: {} })],
    );
    statements.length = 0;
    expect(await store.gc!(now)).toBe(5000);
    // 5000 rows in batches of 500: ten full batches, and an eleventh that finds nothing and ends the loop.
    expect(statements.filter((s) => s.startsWith("DELETE"))).toHaveLength(11);
    const { rows } = await admin.query<{ id: string }>(`SELECT id FROM ${table} ORDER BY id`);
    expect(rows.map((r) => r.id)).toEqual(Array.from({ length: 7 }, (_, i) => `live-${i}`));
    expect(await store.listByUser("alice")).toHaveLength(7);
    expect(await store.gc!(now)).toBe(0);
  });

  it("lets requests through while gc runs, and skips a row a request holds instead of waiting for it", async () => {
    const table = freshTable();
    const { pool, statements } = loggedPool();
    const store = view({ pool, table, gcBatchSize: 100 });
    const now = Date.now();
    await store.create("live", record({ n: 1 }, "alice"), writeAt(now + hour));
    await store.create("held", record({ n: 2 }), writeAt(now - 1));
    await admin.query(
      `INSERT INTO ${table} (id, version, user_id, expires_at, record)
       SELECT 'expired-' || i, 1, NULL, $1::bigint - 1, $2 FROM generate_series(1, 3000) AS i`,
      [now, JSON.stringify({ v: 1, c: 0, s: 0, d: {} })],
    );
    // Another request is in the middle of renewing "held": its transaction holds the row lock.
    const holder = await admin.connect();
    try {
      await holder.query("BEGIN");
      await holder.query(`SELECT id FROM ${table} WHERE id = 'held' FOR UPDATE`);
      statements.length = 0;
      const collecting = Promise.resolve(store.gc!(now));
      collecting.catch(() => undefined); // awaited below; this only keeps a failure from going unhandled meanwhile
      await until(() => statements.filter((s) => s.startsWith("DELETE")).length >= 2, "gc has run a batch");
      // Requests on live sessions go on while the backlog is collected.
      const [updated, read] = await Promise.all([store.update("live", record({ n: 3 }, "alice"), 1, writeAt(now + hour)), store.get("live")]);
      expect(updated).toBe(2);
      expect(read?.record.data.n === 1 || read?.record.data.n === 3).toBe(true);
      // gc finishes while the lock is still held: it skipped the row rather than queue behind the request.
      expect(await collecting).toBe(3000);
      await holder.query(`UPDATE ${table} SET expires_at = $1, version = version + 1 WHERE id = 'held'`, [now + hour]);
      await holder.query("COMMIT");
    } finally {
      holder.release();
    }
    expect((await store.get("held"))?.version).toBe(2);
    expect((await store.get("live"))?.record.data).toEqual({ n: 3 });
    expect(await store.gc!(now)).toBe(0);
  });

  it("collects on its own interval, unref'd, when gcInterval is set", async () => {
    const table = freshTable();
    const store = recordView(postgresStore({ url, table, gcInterval: 0.05 }));
    open.push(store);
    await store.create("gone", record(), writeAt(Date.now() - 1));
    await store.create("kept", record(), writeAt(Date.now() + hour));
    await until(async () => (await store.get("gone")) === undefined, "the timer collected the expired row");
    expect(await store.get("kept")).toBeDefined();
  });

  it("leaves a pool it was given open when it closes, and fails afterwards", async () => {
    const pool = new pg.Pool({ connectionString: url, max: 2 });
    open.push({ close: () => pool.end() });
    const table = freshTable();
    const store = recordView(postgresStore({ pool, table, gcInterval: false }));
    await store.create("a", record({ a: 1 }), writeAt(Date.now() + hour));
    await store.close();
    await store.close();
    await expect(Promise.resolve().then(() => store.get("a"))).rejects.toMatchObject({ code: "ERR_STORE_UNAVAILABLE" });
    const { rows } = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`);
    expect(rows[0]!.n).toBe("1");
  });

  it("ends the pool it made from url when it closes", async () => {
    const proxy = await startTcpProxy({ port: 5432 });
    open.push(proxy);
    const store = recordView(postgresStore({ url: proxiedUrl(proxy), table: freshTable(), gcInterval: false }));
    await store.create("a", record(), writeAt(Date.now() + hour));
    expect(proxy.connections).toBeGreaterThan(0);
    await store.close();
    await until(() => proxy.connections === 0, "every connection is closed");
  });

  it("runs no DDL with createTable: false, and works once migrate has run", async () => {
    const pool = new pg.Pool({ connectionString: url, max: 2 });
    open.push({ close: () => pool.end() });
    const table = freshTable();
    const store = view({ pool, table, createTable: false });
    await expect(store.get("a")).rejects.toMatchObject({ code: "42P01" });
    await migrate(pool, { table });
    expect(await store.create("a", record(), writeAt(Date.now() + hour))).toBe(true);
  });

  it("refuses options it cannot use, naming them", () => {
    const bad: [Parameters<typeof postgresStore>[0], string][] = [
      [{ url, table: "sessions; DROP TABLE users" }, "table"],
      [{ url, table: "a".repeat(49) }, "table"],
      [{ url, table: "1sessions" }, "table"],
      [{}, "url"],
      [{ url, pool: admin }, "url"],
      [{ url: "" }, "url"],
      [{ url, gcBatchSize: 0 }, "gcBatchSize"],
      [{ url, gcBatchSize: 2.5 }, "gcBatchSize"],
      [{ url, gcInterval: -1 }, "gcInterval"],
      [{ url, gcInterval: 0 }, "gcInterval"],
      [{ url, gcInterval: Number.NaN }, "gcInterval"],
      [{ url, gcInterval: 30 * 24 * 3600 }, "gcInterval"],
      [{ url, gcInterval: "soon" as never }, "gcInterval"],
      [{ url, statementTimeout: 0 }, "statementTimeout"],
      [{ url, statementTimeout: 30 * 24 * 3600 }, "statementTimeout"],
      [{ url, connectTimeout: -1 }, "connectTimeout"],
      [{ url, connectTimeout: "5 minutes" as never }, "connectTimeout"],
      [{ url, maxConnections: 0 }, "maxConnections"],
    ];
    for (const [options, name] of bad) {
      expect(() => postgresStore(options), name).toThrow(expect.objectContaining({ code: "ERR_INVALID_OPTION" }));
      expect(() => postgresStore(options), name).toThrow(`\`${name}\``);
    }
  });

  it("refuses the option names of earlier releases, naming what replaces them", () => {
    expectRenamed((old) => postgresStore({ url, ...old }), {
      connectionTimeoutMs: ["connectTimeout"],
      statementTimeoutMs: ["statementTimeout"],
      gcIntervalSeconds: ["gcInterval"],
      clock: ["clock"],
    });
  });

  it("fails fast while the server is unreachable, recovers without a new store, and loses no committed session", async () => {
    const proxy = await startTcpProxy({ port: 5432 });
    open.push(proxy);
    const maxConnections = 4;
    const store = make({ url: proxiedUrl(proxy), table: freshTable(), maxConnections, connectTimeout: "1s", statementTimeout: "1s" });
    const events: string[] = [];
    const sessions = createSessions<{ n?: number; hits?: number }>({
      secrets: [secret],
      store,
      storeTimeout: 0.5,
      onEvent: (e) => void (e.type === "store_error" && events.push(e.code)),
    });
    const report = await outage(proxy, sessions);
    await expectOutageHandled(report, sessions, events);
    // No leak: the pool holds at most its own connections after the outage.
    expect(proxy.connections).toBeLessThanOrEqual(maxConnections);
  }, 60_000);

  it("fails fast when the server is unreachable at the first call, and creates its table once it is back", async () => {
    const proxy = await startTcpProxy({ port: 5432 });
    open.push(proxy);
    proxy.cut();
    const table = freshTable();
    const store = make({ url: proxiedUrl(proxy), table, connectTimeout: 1 });
    const sessions = createSessions({ secrets: [secret], store, storeTimeout: 0.5 });
    const session = await sessions.load(request());
    session.set("n", 1);
    await expect(sessions.commit(session, new Response("ok"))).rejects.toMatchObject({ code: "ERR_STORE_UNAVAILABLE" });
    proxy.restore();
    expect(await recordView(store).create("a", record(), writeAt(Date.now() + hour))).toBe(true);
    const { rows } = await admin.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`);
    expect(rows[0]!.n).toBe("1");
  });
});

function proxiedUrl(proxy: TcpProxy): string {
  const parsed = new URL(url);
  parsed.host = `127.0.0.1:${proxy.port}`;
  return parsed.toString();
}

