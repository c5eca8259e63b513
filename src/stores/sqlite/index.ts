// The SQLite store (the embedded default): one file, WAL, safe for several processes on one machine.

import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import type { ListedSession, Store, StoreFactory } from "../../core/store.js";
import { TesseraError } from "../../core/errors.js";
import { checkBatchSize, checkIntervalSeconds } from "../../core/timing.js";
import { decodeRecord, encodeRecord } from "../../core/wire.js";

/** Options of `sqliteStore`. */
export interface SqliteStoreOptions {
  /** The database file; its folder is created. `":memory:"` for a private in-memory database. */
  path?: string;
  /** An open better-sqlite3 database to use instead of `path`; `close()` then leaves it open. */
  database?: Database.Database;
  /** @default "tessera_sessions" */
  table?: string;
  /** How long a write waits for another process's lock before failing, in ms. @default 2000 */
  busyTimeoutMs?: number;
  /** How often expired rows are collected, in seconds; 0 turns the timer off (call `gc()` yourself). @default 600 */
  gcIntervalSeconds?: number;
  /** Rows deleted per garbage-collection batch; each batch is a short transaction. @default 500 */
  gcBatchSize?: number;
  /** The time (epoch ms), for garbage collection. @default Date.now */
  clock?: () => number;
}

/** Defaults of `sqliteStore`. */
export const defaults = Object.freeze({
  table: "tessera_sessions",
  busyTimeoutMs: 2000,
  gcIntervalSeconds: 600,
  gcBatchSize: 500,
} as const);

/** A table name tessera will interpolate into SQL: an identifier, nothing else. */
const tableRegExp = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;


interface Row {
  id: string;
  version: number;
  record: string;
}

/**
 * A store in a SQLite file, through better-sqlite3. Rows are keyed by the SHA-256 of the token, with indexed
 * expiry and user id; compare-and-set is `UPDATE ... WHERE version = ?`.
 *
 * @example
 * const store = sqliteStore({ path: "data/sessions.db" });
 */
export const sqliteStore: StoreFactory<SqliteStoreOptions> = (options) => {
  const table = options.table ?? defaults.table;
  if (!tableRegExp.test(table)) throw new TesseraError("ERR_INVALID_OPTION", "`table` must be an SQL identifier");
  const busyTimeoutMs = options.busyTimeoutMs ?? defaults.busyTimeoutMs;
  if (!Number.isSafeInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
    throw new TesseraError("ERR_INVALID_OPTION", "`busyTimeoutMs` must be a whole number of milliseconds, 0 or more");
  }
  const batchSize = checkBatchSize(options.gcBatchSize ?? defaults.gcBatchSize);
  const gcSeconds = checkIntervalSeconds("gcIntervalSeconds", options.gcIntervalSeconds ?? defaults.gcIntervalSeconds, { allowZero: true });
  const owned = options.database === undefined;
  let db: Database.Database;
  if (options.database) {
    db = options.database;
  } else {
    const path = options.path;
    if (typeof path !== "string" || path.length === 0) {
      throw new TesseraError("ERR_INVALID_OPTION", "`path` must name the database file (or pass `database`)");
    }
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    db = new Database(path);
  }
  // busy_timeout waits for another process's lock instead of failing at once; it is set first because switching
  // to WAL takes a lock too. WAL lets readers and one writer in several processes work at once;
  // synchronous=NORMAL is durable across process crashes in WAL mode.
  db.pragma(`busy_timeout = ${busyTimeoutMs}`);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.exec(`
    CREATE TABLE IF NOT EXISTS ${table} (
      id TEXT PRIMARY KEY,
      version INTEGER NOT NULL,
      user_id TEXT,
      expires_at INTEGER NOT NULL,
      record TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS ${table}_expires_at ON ${table} (expires_at);
    CREATE INDEX IF NOT EXISTS ${table}_user_id ON ${table} (user_id) WHERE user_id IS NOT NULL;
  `);
  const select = db.prepare<[string], Row>(`SELECT id, version, record FROM ${table} WHERE id = ?`);
  const insert = db.prepare(`INSERT OR IGNORE INTO ${table} (id, version, user_id, expires_at, record) VALUES (?, 1, ?, ?, ?)`);
  const update = db.prepare(
    `UPDATE ${table} SET version = version + 1, user_id = ?, expires_at = ?, record = ? WHERE id = ? AND version = ?`,
  );
  const remove = db.prepare(`DELETE FROM ${table} WHERE id = ?`);
  const selectUser = db.prepare<[string], Row>(`SELECT id, version, record FROM ${table} WHERE user_id = ?`);
  const removeUser = db.prepare(`DELETE FROM ${table} WHERE user_id = ? AND id IS NOT ?`);
  const collect = db.prepare(`DELETE FROM ${table} WHERE id IN (SELECT id FROM ${table} WHERE expires_at <= ? LIMIT ?)`);
  const clock = options.clock ?? Date.now;

  const gc = async (now = clock()): Promise<number> => {
    let removed = 0;
    for (;;) {
      const { changes } = collect.run(now, batchSize);
      removed += changes;
      if (changes < batchSize) return removed;
      // Between batches, let requests waiting on the event loop (and other processes on the lock) in.
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  const timer = gcSeconds > 0 ? setInterval(() => void gc().catch(() => undefined), gcSeconds * 1000) : undefined;
  timer?.unref();

  const store: Store = {
    name: "sqlite",
    get(id) {
      const row = select.get(id);
      return row === undefined ? undefined : { record: decodeRecord(row.record), version: row.version };
    },
    create(id, record, { expiresAt }) {
      return insert.run(id, record.meta.userId ?? null, expiresAt, encodeRecord(record)).changes === 1;
    },
    update(id, record, expectedVersion, { expiresAt }) {
      const { changes } = update.run(record.meta.userId ?? null, expiresAt, encodeRecord(record), id, expectedVersion);
      return changes === 1 ? expectedVersion + 1 : undefined;
    },
    delete(id) {
      remove.run(id);
    },
    listByUser(userId) {
      return selectUser.all(userId).map((row): ListedSession => ({ id: row.id, record: decodeRecord(row.record), version: row.version }));
    },
    deleteByUser(userId, exceptId) {
      return removeUser.run(userId, exceptId ?? null).changes;
    },
    gc,
    close() {
      if (timer) clearInterval(timer);
      if (owned && db.open) db.close();
    },
  };
  return store;
};
