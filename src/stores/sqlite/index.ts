// The SQLite store (the embedded default): one file, WAL, safe for several processes on one machine.

import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import type { GcOptions, IndexedStore, ListedSession, StoreCallOptions, StoreCount, StoreFactory } from "../../core/store.js";
import type { Duration } from "../../core/duration.js";
import { TesseraError } from "../../core/errors.js";
import { durationOption, managerClock, refuseRenamedOptions } from "../../core/options.js";
import { checkBatchSize, checkNow, intervalMs, timerMs } from "../../core/timing.js";
import { startCheckpointer } from "./checkpointer.js";

/** Options of `sqliteStore`. */
export interface SqliteStoreOptions {
  /** The database file; its folder is created. `":memory:"` for a private in-memory database. */
  path?: string;
  /** An open better-sqlite3 database to use instead of `path`; `close()` then leaves it open. */
  database?: Database.Database;
  /** @default "tessera_sessions" */
  table?: string;
  /**
   * How long a call waits for another process's lock before failing: seconds or a string such as `"2s"`; 0 fails at
   * once. The wait never blocks the event loop for more than a couple of milliseconds at a time: a locked database
   * is retried on timers. @default "2s"
   */
  busyTimeout?: Duration;
  /**
   * How often expired rows are collected (by this machine's clock, `Date.now()`): seconds or a string such as
   * `"10m"`; `false` turns the timer off (call `gc(now)` yourself). @default "10m"
   */
  gcInterval?: Duration | false;
  /** Rows deleted per garbage-collection batch; each batch is a short transaction. @default 500 */
  gcBatchSize?: number;
}

/** Defaults of `sqliteStore`. */
export const defaults = Object.freeze({
  table: "tessera_sessions",
  busyTimeout: "2s",
  gcInterval: "10m",
  gcBatchSize: 500,
} as const);

/** Options of earlier releases, refused with what replaces them. */
const renamed = Object.freeze({
  busyTimeoutMs: durationOption("busyTimeout", "ms"),
  gcIntervalSeconds: `${durationOption("gcInterval", "seconds")}; false (not 0) turns the timer off`,
  clock: managerClock,
});

/**
 * How long SQLite itself may wait for a lock inside one call, in ms. better-sqlite3 is synchronous, so this wait
 * blocks the event loop; longer waits happen between timer-driven retries, with the event loop free.
 */
const lockSpinMs = 2;

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
export const sqliteStore: StoreFactory<SqliteStoreOptions, IndexedStore> = (options) => {
  refuseRenamedOptions("sqliteStore", options, renamed);
  const table = options.table ?? defaults.table;
  if (!tableRegExp.test(table)) throw new TesseraError("ERR_INVALID_OPTION", "`table` must be an SQL identifier");
  const busyTimeoutMs = timerMs("busyTimeout", options.busyTimeout ?? defaults.busyTimeout, { allowZero: true });
  const batchSize = checkBatchSize("gcBatchSize", options.gcBatchSize ?? defaults.gcBatchSize);
  const gcEveryMs = intervalMs("gcInterval", options.gcInterval ?? defaults.gcInterval);
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
  const removeAt = db.prepare(`DELETE FROM ${table} WHERE id = ? AND version = ?`);
  const selectUser = db.prepare<[string], Row>(`SELECT id, version, record FROM ${table} WHERE user_id = ?`);
  const removeUser = db.prepare(`DELETE FROM ${table} WHERE user_id = ? AND id IS NOT ?`);
  const collect = db.prepare(`DELETE FROM ${table} WHERE id IN (SELECT id FROM ${table} WHERE expires_at <= ? LIMIT ?)`);
  const countAll = db.prepare(`SELECT count(*) FROM ${table}`).pluck();
  const countExpired = db.prepare(`SELECT count(*) FROM ${table} WHERE expires_at <= ?`).pluck();
  // Start-up may wait the whole busyTimeout (nothing is being served yet); calls from here on wait in slices.
  db.pragma(`busy_timeout = ${Math.min(lockSpinMs, busyTimeoutMs)}`);
  // SQLite checkpoints the WAL inside whichever commit passes 1000 pages, and that commit's fsync stalls the event
  // loop for tens of milliseconds. A worker thread checkpoints instead; if it cannot run, SQLite's own stay on.
  const checkpointer = db.memory ? undefined : startCheckpointer(db.name, () => db.open && db.pragma("wal_autocheckpoint = 1000"));
  if (checkpointer) db.pragma("wal_autocheckpoint = 0");
  // A log rewound after a burst keeps its size on disk unless told otherwise: at most 16 MiB is kept.
  db.pragma("journal_size_limit = 16777216");

  /**
   * Runs one statement. When another process holds the lock past the short in-call wait, it is retried on
   * timers (the event loop serving other requests meanwhile) until `busyTimeout`, or until the manager gives up
   * on the call (`signal`), after which it is never run.
   */
  const run = <T>(statement: () => T, options: StoreCallOptions | undefined): T | Promise<T> => {
    try {
      return statement();
    } catch (error) {
      if (!isBusy(error) || busyTimeoutMs === 0) throw error;
      // The signal is read only now: the path without a lock wait pays for no AbortController.
      return retry(statement, options?.signal, error);
    }
  };
  const retry = async <T>(statement: () => T, signal: AbortSignal | undefined, first: unknown): Promise<T> => {
    const giveUpAt = Date.now() + busyTimeoutMs;
    let last = first;
    for (let attempt = 1; Date.now() < giveUpAt; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 1 + Math.random() * Math.min(20, 2 ** attempt)));
      if (signal?.aborted) break;
      try {
        return statement();
      } catch (error) {
        if (!isBusy(error)) throw error;
        last = error;
      }
    }
    throw last;
  };

  const gc = async (now: number, options: GcOptions = {}): Promise<number> => {
    checkNow(now);
    const size = options.batchSize === undefined ? batchSize : checkBatchSize("batchSize", options.batchSize);
    let removed = 0;
    while (!options.signal?.aborted) {
      let held = 0;
      const { changes } = await run(() => {
        const began = performance.now();
        try {
          return collect.run(now, size);
        } finally {
          held = performance.now() - began;
        }
      }, undefined);
      removed += changes;
      options.onBatch?.({ deleted: changes, durationMs: held });
      if (changes < size) break;
      // The lock stays free between batches for as long as a batch held it (1 ms at least): a writer in another
      // process, retrying on its timers, gets in instead of losing every race to the next batch, and requests
      // waiting on this process's event loop run. setImmediate alone frees the lock for microseconds.
      await new Promise((resolve) => setTimeout(resolve, Math.max(1, held)));
    }
    return removed;
  };
  const count = (now: number, options?: StoreCallOptions): StoreCount | Promise<StoreCount> => {
    checkNow(now);
    return run(() => ({ sessions: countAll.get() as number, expired: countExpired.get(now) as number }), options);
  };
  // The timer has no request to take the manager's time from: it collects by this machine's clock.
  const timer = gcEveryMs === undefined ? undefined : setInterval(() => void gc(Date.now()).catch(() => undefined), gcEveryMs);
  timer?.unref();

  const store: IndexedStore = {
    name: "sqlite",
    get(id, options) {
      return run(() => {
        const row = select.get(id);
        return row === undefined ? undefined : { text: row.record, version: row.version };
      }, options);
    },
    create(id, text, options) {
      const { expiresAt, userId } = options;
      return run(() => insert.run(id, userId ?? null, expiresAt, text).changes === 1, options);
    },
    update(id, text, expectedVersion, options) {
      const { expiresAt, userId } = options;
      return run(() => (update.run(userId ?? null, expiresAt, text, id, expectedVersion).changes === 1 ? expectedVersion + 1 : undefined), options);
    },
    delete(id, options) {
      const expected = options?.expectedVersion;
      return run(() => (expected === undefined ? remove.run(id) : removeAt.run(id, expected)).changes === 1, options);
    },
    listByUser(userId, options) {
      return run(() => selectUser.all(userId).map((row): ListedSession => ({ id: row.id, text: row.record, version: row.version })), options);
    },
    deleteByUser(userId, exceptId, options) {
      return run(() => removeUser.run(userId, exceptId ?? null).changes, options);
    },
    gc,
    count,
    close() {
      if (timer) clearInterval(timer);
      // A database the caller gave back checkpoints itself again.
      if (checkpointer && !owned && db.open) db.pragma("wal_autocheckpoint = 1000");
      if (owned && db.open) db.close();
      return checkpointer?.stop();
    },
  };
  return store;
};

/** SQLITE_BUSY and its extended codes: another connection holds the lock. */
function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && code.startsWith("SQLITE_BUSY");
}
