// The PostgreSQL store: one table shared by every process, compare-and-set by version, expiry collected in batches.

import pg from "pg";
import type { GcOptions, IndexedStore, ListedSession, StoreCount, StoreFactory } from "../../core/store.js";
import type { Duration } from "../../core/duration.js";
import { TesseraError } from "../../core/errors.js";
import { durationOption, managerClock, refuseRenamedOptions } from "../../core/options.js";
import { serverClock } from "../../core/skew.js";
import { checkBatchSize, checkNow, intervalMs, timerMs } from "../../core/timing.js";

/** Options of `postgresStore`. Give `url` or `pool`, not both. */
export interface PostgresStoreOptions {
  /** A connection string (`postgres://user@host:5432/db`); the store makes its own pool and ends it on `close()`. */
  url?: string;
  /**
   * A pg pool to use instead of `url`; `close()` then leaves it open. Listen for its `"error"` events yourself:
   * an idle client whose connection drops emits one, and an unhandled `"error"` ends the process.
   */
  pool?: pg.Pool;
  /** The table, an SQL identifier of at most 48 characters (index names add a suffix). @default "tessera_sessions" */
  table?: string;
  /** Create the table and its indexes on first use when missing; `false` when `migrate()` runs at deploy. @default true */
  createTable?: boolean;
  /** Connections in the pool the store makes from `url`. @default 10 */
  maxConnections?: number;
  /** How long the store's own pool waits for a new connection before failing: seconds or a string such as `"5s"`. @default "5s" */
  connectTimeout?: Duration;
  /**
   * How long a statement may run: the server cancels it (`statement_timeout`) and the client gives up a second
   * later (`query_timeout`), so a server that vanished without closing the connection fails fast too. Seconds or a
   * string such as `"5s"`; applies to the pool the store makes from `url`. @default "5s"
   */
  statementTimeout?: Duration;
  /**
   * How often expired rows are collected (by this machine's clock, `Date.now()`): seconds or a string such as
   * `"10m"`; `false` turns the timer off (call `gc(now)` yourself). @default "10m"
   */
  gcInterval?: Duration | false;
  /** Rows deleted per garbage-collection batch; each batch is one short statement. @default 500 */
  gcBatchSize?: number;
  /**
   * Send the per-request statements (read, create, update, delete) as named prepared statements, which each
   * connection parses and plans once. `false` behind a pooler that does not keep them across transactions
   * (PgBouncer in transaction mode before 1.21, without `max_prepared_statements`). @default true
   */
  preparedStatements?: boolean;
}

/** Options of `migrate`. */
export interface PostgresMigrateOptions {
  /** @default "tessera_sessions" */
  table?: string;
}

/** Defaults of `postgresStore`. */
export const defaults = Object.freeze({
  table: "tessera_sessions",
  maxConnections: 10,
  connectTimeout: "5s",
  statementTimeout: "5s",
  gcInterval: "10m",
  gcBatchSize: 500,
  preparedStatements: true,
} as const);

/** Options of earlier releases, refused with what replaces them. */
const renamed = Object.freeze({
  connectionTimeoutMs: durationOption("connectTimeout", "ms"),
  statementTimeoutMs: durationOption("statementTimeout", "ms"),
  gcIntervalSeconds: `${durationOption("gcInterval", "seconds")}; false (not 0) turns the timer off`,
  clock: managerClock,
});

/**
 * A table name tessera will interpolate into SQL: an unquoted identifier, so PostgreSQL folds it to lower case
 * everywhere alike. At most 48 characters so that `<table>_expires_at` stays under the 63-byte identifier limit,
 * past which PostgreSQL silently truncates (and two index names could collide).
 */
const tableRegExp = /^[A-Za-z_][A-Za-z0-9_]{0,47}$/;

/** The first key of the advisory lock that serialises schema creation: "tessera" in a 32-bit integer. */
const migrationLockClass = 0x7e55e7a;


interface Row {
  id: string;
  version: number;
  record: string;
}

/** The SQL condition of a write's fence, parameter `$n` (epoch ms in the server's time, 0 for none). */
function fenceSql(n: number): string {
  return `($${n}::float8 = 0 OR extract(epoch FROM clock_timestamp()) * 1000 <= $${n}::float8)`;
}

function abandoned(): TesseraError {
  return new TesseraError("ERR_STORE_UNAVAILABLE", "the postgres call was abandoned");
}

function checkTable(table: string): void {
  if (!tableRegExp.test(table)) {
    throw new TesseraError("ERR_INVALID_OPTION", "`table` must be an SQL identifier of at most 48 letters, digits and underscores");
  }
}

/**
 * Creates the sessions table and its indexes when missing. Safe to run from many processes at once: a
 * transaction-scoped advisory lock makes them take turns, because `CREATE TABLE IF NOT EXISTS` alone races
 * (the loser fails with a unique violation on the catalog). Run it at deploy and pass `createTable: false`
 * when the application's database user may not create tables.
 *
 * Columns: `id` (SHA-256 of the token, primary key), `version` (compare-and-set), `user_id` (partial index),
 * `expires_at` (epoch ms as bigint, indexed for garbage collection) and `record` (the record's JSON as text:
 * `jsonb` would refuse a `\u0000` inside a string that the record format allows).
 *
 * @example
 * await migrate(pool, { table: "app_sessions" });
 */
export async function migrate(pool: pg.Pool, options: PostgresMigrateOptions = {}): Promise<void> {
  const table = options.table ?? defaults.table;
  checkTable(table);
  const client = await pool.connect();
  let failure: Error | undefined;
  try {
    await client.query("BEGIN");
    await client.query("SELECT pg_advisory_xact_lock($1, hashtext($2))", [migrationLockClass, table.toLowerCase()]);
    await client.query(`
      CREATE TABLE IF NOT EXISTS ${table} (
        id text PRIMARY KEY,
        version integer NOT NULL,
        user_id text,
        expires_at bigint NOT NULL,
        record text NOT NULL
      )`);
    await client.query(`CREATE INDEX IF NOT EXISTS ${table}_expires_at ON ${table} (expires_at)`);
    await client.query(`CREATE INDEX IF NOT EXISTS ${table}_user_id ON ${table} (user_id) WHERE user_id IS NOT NULL`);
    await client.query("COMMIT");
  } catch (error) {
    failure = error instanceof Error ? error : new Error(String(error));
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  } finally {
    // A client whose statement failed may have a broken connection: hand it back as failed so the pool drops it.
    client.release(failure);
  }
}

/**
 * A store in a PostgreSQL table, through node-postgres. Rows are keyed by the SHA-256 of the token; create is
 * `INSERT ... ON CONFLICT DO NOTHING`, update is `UPDATE ... WHERE id = $1 AND version = $2`, and expired rows are
 * deleted in small batches that skip rows other requests hold.
 *
 * @example
 * const store = postgresStore({ url: process.env.DATABASE_URL! });
 */
export const postgresStore: StoreFactory<PostgresStoreOptions, IndexedStore> = (options) => {
  if (options === null || typeof options !== "object") {
    throw new TesseraError("ERR_INVALID_OPTION", "`postgresStore` needs an options object with `url` or `pool`");
  }
  refuseRenamedOptions("postgresStore", options, renamed);
  const table = options.table ?? defaults.table;
  checkTable(table);
  const batchSize = checkBatchSize("gcBatchSize", options.gcBatchSize ?? defaults.gcBatchSize);
  const gcEveryMs = intervalMs("gcInterval", options.gcInterval ?? defaults.gcInterval);
  const named = options.preparedStatements ?? defaults.preparedStatements;
  if (typeof named !== "boolean") throw new TesseraError("ERR_INVALID_OPTION", "`preparedStatements` must be true or false");
  if ((options.url === undefined) === (options.pool === undefined)) {
    throw new TesseraError("ERR_INVALID_OPTION", "`postgresStore` needs exactly one of `url` and `pool`");
  }
  const owned = options.pool === undefined;
  let pool: pg.Pool;
  if (options.pool) {
    pool = options.pool;
  } else {
    if (typeof options.url !== "string" || options.url.length === 0) {
      throw new TesseraError("ERR_INVALID_OPTION", "`url` must be a PostgreSQL connection string");
    }
    const maxConnections = options.maxConnections ?? defaults.maxConnections;
    if (!Number.isSafeInteger(maxConnections) || maxConnections < 1) {
      throw new TesseraError("ERR_INVALID_OPTION", "`maxConnections` must be a positive integer");
    }
    const connectTimeoutMs = timerMs("connectTimeout", options.connectTimeout ?? defaults.connectTimeout);
    const statementTimeoutMs = timerMs("statementTimeout", options.statementTimeout ?? defaults.statementTimeout);
    pool = new pg.Pool({
      connectionString: options.url,
      max: maxConnections,
      connectionTimeoutMillis: connectTimeoutMs,
      statement_timeout: statementTimeoutMs,
      query_timeout: statementTimeoutMs + 1000,
      keepAlive: true,
      // Idle connections do not keep the process alive; open requests still do.
      allowExitOnIdle: true,
      application_name: "tessera",
    });
    // An idle client whose connection drops (server restart, network cut) is reported here; pg-pool has already
    // removed it, and the next query opens a new connection. Without a listener the event would end the process.
    pool.on("error", () => undefined);
  }
  const createTable = options.createTable ?? true;

  let closed = false;
  let ending: Promise<void> | undefined;
  let ready: Promise<void> | undefined;
  /** Set once the table is known to exist: from then on a statement waits for nothing before it is sent. */
  let prepared = false;
  /** Creates the table on first use; a failed attempt (the server was down) is retried by the next call. */
  const prepare = (): Promise<void> => {
    ready ??= (async () => {
      const found = await pool.query<{ table: string | null }>("SELECT to_regclass($1)::text AS table", [table]);
      if (found.rows[0]?.table == null) await migrate(pool, { table });
      prepared = true;
    })().catch((error: unknown) => {
      ready = undefined;
      throw error;
    });
    return ready;
  };
  /**
   * One statement. With a `signal`, the statement is sent only if the manager has not given up by the time a
   * connection is ready, so a write the caller was told failed is not sent late (one already sent still runs).
   */
  const query = async <R extends pg.QueryResultRow>(
    text: string | pg.QueryConfig,
    values: unknown[],
    signal?: AbortSignal,
  ): Promise<pg.QueryResult<R>> => {
    if (closed) throw new TesseraError("ERR_STORE_UNAVAILABLE", "the postgres store was closed");
    if (createTable && !prepared) await prepare();
    const config: pg.QueryConfig = typeof text === "string" ? { text, values } : { ...text, values };
    if (signal === undefined) return pool.query<R>(config);
    if (signal.aborted) throw abandoned();
    const client = await pool.connect();
    if (signal.aborted) {
      client.release();
      throw abandoned();
    }
    // As pool.query does: a connection that drops mid-statement is reported as an 'error' event as well as a
    // rejected query, and an 'error' without a listener would end the process.
    let failed: Error | undefined;
    const onError = (error: Error): void => {
      failed ??= error;
    };
    client.on("error", onError);
    try {
      return await client.query<R>(config);
    } catch (error) {
      // A client whose statement failed may have a broken connection: hand it back as failed so the pool drops it.
      failed ??= error instanceof Error ? error : new Error("postgres query failed");
      throw error;
    } finally {
      client.off("error", onError);
      client.release(failed);
    }
  };
  /**
   * The statements every request runs, as named prepared statements: each connection parses and plans them once,
   * then sends only the values. Names are per table (a hash keeps them under PostgreSQL's 63-byte limit).
   */
  const statementPrefix = `tessera_${shortHash(table.toLowerCase())}`;
  const statement = (suffix: string, text: string): pg.QueryConfig => (named ? { name: `${statementPrefix}_${suffix}`, text } : { text });
  const statements = {
    get: statement("get", `SELECT id, version, record FROM ${table} WHERE id = $1`),
    create: statement(
      "create",
      `INSERT INTO ${table} (id, version, user_id, expires_at, record) SELECT $1, 1, $2, $3, $4 WHERE ${fenceSql(5)} ON CONFLICT (id) DO NOTHING`,
    ),
    update: statement(
      "update",
      `UPDATE ${table} SET version = version + 1, user_id = $2, expires_at = $3, record = $4 WHERE id = $1 AND version = $5 AND ${fenceSql(6)}`,
    ),
    delete: statement("delete", `DELETE FROM ${table} WHERE id = $1`),
    deleteAt: statement("delete_at", `DELETE FROM ${table} WHERE id = $1 AND version = $2 AND ${fenceSql(3)}`),
  };
  const listed = (row: Row): ListedSession => ({ id: row.id, text: row.record, version: row.version });

  /**
   * The server's clock, measured on first use and again when over a minute old. A write's deadline becomes a
   * condition in the server's time (`fenceSql`), so a statement that reaches PostgreSQL after its caller gave up
   * changes nothing.
   */
  const server = serverClock(async () => {
    const { rows } = await query<{ now: number }>("SELECT (extract(epoch FROM clock_timestamp()) * 1000)::float8 AS now", []);
    return Number(rows[0]?.now);
  });
  const fenceOf = server.fenceOf;

  const gc = async (now: number, options: GcOptions = {}): Promise<number> => {
    checkNow(now);
    const size = options.batchSize === undefined ? batchSize : checkBatchSize("batchSize", options.batchSize);
    let removed = 0;
    while (!options.signal?.aborted) {
      const began = performance.now();
      // SKIP LOCKED: a row a request is updating right now is left for the next run instead of waited for, and
      // each batch is one short statement, so no request queues behind a large backlog.
      const { rowCount } = await query(
        `DELETE FROM ${table} WHERE id IN (SELECT id FROM ${table} WHERE expires_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`,
        [now, size],
      );
      const deleted = rowCount ?? 0;
      removed += deleted;
      options.onBatch?.({ deleted, durationMs: performance.now() - began });
      if (deleted < size) break;
    }
    return removed;
  };
  const count = async (now: number): Promise<StoreCount> => {
    checkNow(now);
    const { rows } = await query<{ sessions: string; expired: string }>(
      `SELECT count(*) AS sessions, count(*) FILTER (WHERE expires_at <= $1) AS expired FROM ${table}`,
      [now],
    );
    return { sessions: Number(rows[0]?.sessions ?? 0), expired: Number(rows[0]?.expired ?? 0) };
  };
  // The timer has no request to take the manager's time from: it collects by this machine's clock.
  const timer = gcEveryMs === undefined ? undefined : setInterval(() => void gc(Date.now()).catch(() => undefined), gcEveryMs);
  timer?.unref();

  const store: IndexedStore = {
    name: "postgres",
    async get(id) {
      const { rows } = await query<Row>(statements.get, [id]);
      const row = rows[0];
      return row === undefined ? undefined : { text: row.record, version: row.version };
    },
    async create(id, text, { expiresAt, userId, signal, deadline }) {
      const { rowCount } = await query(statements.create, [id, userId ?? null, expiresAt, text, fenceOf(deadline)], signal);
      return rowCount === 1;
    },
    async update(id, text, expectedVersion, { expiresAt, userId, signal, deadline }) {
      // Under READ COMMITTED a second UPDATE at the same version waits for the first, then re-checks the WHERE
      // clause (the fence too, at that moment) against the row the first one wrote, and matches nothing: exactly
      // one of them wins.
      const { rowCount } = await query(statements.update, [id, userId ?? null, expiresAt, text, expectedVersion, fenceOf(deadline)], signal);
      return rowCount === 1 ? expectedVersion + 1 : undefined;
    },
    async delete(id, options) {
      const expected = options?.expectedVersion;
      const { rowCount } =
        expected === undefined
          ? await query(statements.delete, [id], options?.signal)
          : await query(statements.deleteAt, [id, expected, fenceOf(options?.deadline)], options?.signal);
      return rowCount === 1;
    },
    async listByUser(userId) {
      const { rows } = await query<Row>(`SELECT id, version, record FROM ${table} WHERE user_id = $1`, [userId]);
      return rows.map(listed);
    },
    async deleteByUser(userId, exceptId) {
      const { rowCount } = await query(`DELETE FROM ${table} WHERE user_id = $1 AND id IS DISTINCT FROM $2`, [userId, exceptId ?? null]);
      return rowCount ?? 0;
    },
    gc,
    count,
    async close() {
      closed = true;
      if (timer) clearInterval(timer);
      if (owned) await (ending ??= pool.end());
    },
  };
  return store;
};

/** A short, stable name for `text` (FNV-1a, 32 bits, base 36), for prepared statement names. */
function shortHash(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return hash.toString(36);
}
