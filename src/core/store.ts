// The Store contract every backend implements; the manager is its only caller.

import type { SessionRecord } from "./record.js";

/** A value now, or a promise of it: embedded stores answer synchronously, networked ones asynchronously. */
export type Awaitable<T> = T | Promise<T>;

/** A record as a store holds it, with the version compare-and-set works on. */
export interface StoredSession {
  record: SessionRecord;
  /** Starts at 1 on create and grows by one on every successful update. */
  version: number;
}

/** A stored session with its at-rest id, as returned by user listings. */
export interface ListedSession extends StoredSession {
  /** The at-rest id: SHA-256 of the token, base64url. Never the token itself. */
  id: string;
}

/** How long a write should live. */
export interface StoreWriteOptions {
  /** When the record expires (epoch ms, by the manager's clock); garbage collection removes it after. */
  expiresAt: number;
  /** The same moment as seconds from now, for stores with native TTLs. Always >= 1. */
  ttlSeconds: number;
}

/**
 * A session backend. Ids are always the SHA-256 of a token (base64url), so a store never sees a raw token.
 * Every method may be called concurrently from many requests and, for shared backends, many processes.
 *
 * The manager enforces timeouts from `record.meta`; `expiresAt` is for garbage collection and native TTLs.
 * A store never needs to interpret `record.data`.
 *
 * @example
 * const store: Store = memoryStore();
 * await store.create(id, record, { expiresAt, ttlSeconds });
 */
export interface Store {
  /** A short name for events and errors, such as `"sqlite"`. */
  readonly name: string;
  /** The record, or `undefined` when there is none (expired records may still be returned). */
  get(id: string): Awaitable<StoredSession | undefined>;
  /** Writes a new record at version 1; `false`, writing nothing, when the id is taken. */
  create(id: string, record: SessionRecord, options: StoreWriteOptions): Awaitable<boolean>;
  /**
   * Compare-and-set: replaces the record only when it exists at `expectedVersion`, and returns the new version;
   * `undefined`, writing nothing, when the record is gone or at another version. Never creates a record.
   */
  update(id: string, record: SessionRecord, expectedVersion: number, options: StoreWriteOptions): Awaitable<number | undefined>;
  /** Removes the record, if any. */
  delete(id: string): Awaitable<void>;
  /** Every record whose `meta.userId` is `userId`. */
  listByUser(userId: string): Awaitable<ListedSession[]>;
  /** Removes every record of `userId` except `exceptId`; returns how many went. */
  deleteByUser(userId: string, exceptId?: string): Awaitable<number>;
  /** Removes records whose `expiresAt` has passed; returns how many went. */
  gc?(now?: number): Awaitable<number>;
  /** Releases connections, files and timers. */
  close(): Awaitable<void>;
}

/**
 * A function that makes a store from its options (optional when `Options` includes `undefined`). Implementations say so:
 * `export const sqliteStore: StoreFactory<SqliteStoreOptions> = (options) => ...`.
 */
export type StoreFactory<Options> = undefined extends Options ? (options?: Options) => Store : (options: Options) => Store;
