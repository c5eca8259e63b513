// The Store contract every backend implements; the manager is its only caller.

/** A value now, or a promise of it: embedded stores answer synchronously, networked ones asynchronously. */
export type Awaitable<T> = T | Promise<T>;

/**
 * A record as a store holds it: the record's text, which the store never interprets (the manager encodes and
 * decodes records in one place), and the version compare-and-set works on.
 */
export interface StoredSession {
  /** The record as the manager encoded it (JSON text, with no raw NUL). A store keeps and returns it unchanged. */
  text: string;
  /** Starts at 1 on create and grows by one on every successful update. */
  version: number;
}

/** A stored session with its at-rest id, as returned by user listings. */
export interface ListedSession extends StoredSession {
  /** The at-rest id: SHA-256 of the token, base64url. Never the token itself. */
  id: string;
}

/** What every store call may carry. */
export interface StoreCallOptions {
  /**
   * Aborted when the manager gives up on the call (its `storeTimeout` passed). A store that can still stop the
   * operation then (a command not yet sent, a transaction not yet committed) must not carry it out, so a write
   * the user was told failed does not land later.
   */
  signal?: AbortSignal;
  /**
   * When the manager gives up on the call (epoch ms by this machine's clock, `Date.now`, not the manager's `clock`
   * option). A backend that can check the time as it runs a write (a Lua script, an SQL condition) should refuse a
   * write that reaches it later: it was already reported failed, and must not land now.
   */
  deadline?: number;
}

/** How long a write should live, and whose session it is. */
export interface StoreWriteOptions extends StoreCallOptions {
  /**
   * The time of the write (epoch ms, by the manager's clock). A store judges expiry by it and by `gc(now)`, never by
   * a clock of its own, so one clock (createSessions's `clock`) decides what has expired.
   */
  now: number;
  /** When the record expires (epoch ms, by the manager's clock); garbage collection removes it after. */
  expiresAt: number;
  /** The same moment as seconds from now, for stores with native TTLs. Always >= 1. */
  ttlSeconds: number;
  /** The user the session is signed in to, for the user index; undefined for an anonymous session. */
  userId: string | undefined;
}

/** Options of `Store.delete`. */
export interface StoreDeleteOptions extends StoreCallOptions {
  /** Delete only while the record is at this version (compare-and-delete); any version when left out. */
  expectedVersion?: number;
}

/** What one batch of `Store.gc` did. */
export interface GcBatch {
  /** Records this batch removed. */
  deleted: number;
  /**
   * How long the batch ran, in ms: the longest a request sharing the store could wait on it (the batch's lock, or
   * for an embedded store the event loop of the process running gc).
   */
  durationMs: number;
}

/** Options of `Store.gc`. */
export interface GcOptions {
  /** Records removed per batch at most; the store's own batch size (its `gcBatchSize` option) when left out. */
  batchSize?: number;
  /** Called after each batch. Must not throw. */
  onBatch?: (batch: GcBatch) => void;
  /**
   * Stops the collection between batches: what was removed stays removed, and `gc` answers how many that was.
   * A batch already running completes.
   */
  signal?: AbortSignal;
}

/** What `Store.count` answers. */
export interface StoreCount {
  /** Every record the store holds, expired or not. */
  sessions: number;
  /** Records whose `expiresAt` is at or before the `now` given: what `gc(now)` would remove. */
  expired: number;
}

/**
 * A session backend: what every store does. Ids are always the SHA-256 of a token (base64url), so a store never
 * sees a raw token. Every method may be called concurrently from many requests and, for shared backends, many
 * processes. Finding a user's sessions is a capability beyond this, `UserIndex`, that a store has or has not.
 *
 * The manager enforces timeouts from the record's metadata; `expiresAt` is for garbage collection and native TTLs.
 * A store never interprets a record's text.
 *
 * @example
 * const store: Store = memcachedStore({ url: "memcached://127.0.0.1:11211" });
 * await store.create(id, text, { now, expiresAt, ttlSeconds, userId: undefined });
 */
export interface Store {
  /** A short name for events and errors, such as `"sqlite"`. */
  readonly name: string;
  /** The record, or `undefined` when there is none (expired records may still be returned). */
  get(id: string, options?: StoreCallOptions): Awaitable<StoredSession | undefined>;
  /** Writes a new record at version 1; `false`, writing nothing, when the id is taken. */
  create(id: string, text: string, options: StoreWriteOptions): Awaitable<boolean>;
  /**
   * Compare-and-set: replaces the record only when it exists at `expectedVersion`, and returns the new version;
   * `undefined`, writing nothing, when the record is gone or at another version. Never creates a record.
   */
  update(id: string, text: string, expectedVersion: number, options: StoreWriteOptions): Awaitable<number | undefined>;
  /**
   * Removes the record (only at `expectedVersion`, when given); `true` when this call removed it, `false` when it
   * was already gone or, with `expectedVersion`, at another version.
   */
  delete(id: string, options?: StoreDeleteOptions): Awaitable<boolean>;
  /**
   * Removes records whose `expiresAt` is at or before `now` (epoch ms, the caller's clock: the manager's, the CLI's,
   * or the store's own timer's `Date.now()`), in batches, each a short transaction of its own; returns how many
   * went. Only for backends without native expiry (Redis and memcached have none).
   */
  gc?(now: number, options?: GcOptions): Awaitable<number>;
  /** How many records the store holds, and how many of them expired at `now` (what `gc` would remove). Optional. */
  count?(now: number, options?: StoreCallOptions): Awaitable<StoreCount>;
  /** Releases connections, files and timers. */
  close(): Awaitable<void>;
}

/**
 * The user index: a store that can find the sessions signed in to a user (a column, a set per user). It backs
 * `sessions.userSessions` and `sessions.revokeUserSessions`; a store without it (memcached) still binds sessions
 * to users with `signIn`, and `revokeSession` still ends one session by its id.
 *
 * @example
 * if (hasUserIndex(store)) await store.deleteByUser("alice");
 */
export interface UserIndex {
  /** Every record whose user (the `userId` of its last write) is `userId`. */
  listByUser(userId: string, options?: StoreCallOptions): Awaitable<ListedSession[]>;
  /** Removes every record of `userId` except `exceptId`; returns how many went. */
  deleteByUser(userId: string, exceptId?: string, options?: StoreCallOptions): Awaitable<number>;
}

/**
 * A store with a user index: what the memory, SQLite, Redis and PostgreSQL stores return.
 *
 * @example
 * const store: IndexedStore = sqliteStore({ path: "data/sessions.db" });
 * await store.listByUser("alice");
 */
export type IndexedStore = Store & UserIndex;

/**
 * Whether `store` has the user index (`listByUser` and `deleteByUser`, both).
 *
 * @example
 * if (!hasUserIndex(store)) console.warn("this store cannot list or revoke a user's sessions");
 */
export function hasUserIndex<S extends Store>(store: S): store is S & UserIndex {
  const candidate = store as S & Partial<UserIndex>;
  return typeof candidate.listByUser === "function" && typeof candidate.deleteByUser === "function";
}

/**
 * A function that makes a store from its options (optional when `Options` includes `undefined`), returning exactly
 * the store it makes: `Store`, or `IndexedStore` when it has the user index. Implementations say so:
 * `export const sqliteStore: StoreFactory<SqliteStoreOptions, IndexedStore> = (options) => ...`.
 */
export type StoreFactory<Options, Made extends Store = Store> = undefined extends Options
  ? (options?: Options) => Made
  : (options: Options) => Made;
