// Store contract tests write whole records: this view encodes them on the way in and decodes them on the way out,
// as the manager does, so a test reads as records while the store sees only text.

import { decodeRecord, encodeRecord, hasUserIndex, type IndexedStore, type SessionRecord, type Store } from "../src/index.js";

/** Write options as tests give them; the user index's `userId` comes from the record. */
export interface RecordWriteOptions {
  /** The time of the write, as the manager would pass it. @default Date.now() */
  now?: number;
  expiresAt: number;
  ttlSeconds: number;
  signal?: AbortSignal;
}

/** A listed session, decoded. */
export interface ListedRecord {
  id: string;
  record: SessionRecord;
  version: number;
}

/** A store seen through records; the user index is there when the store has one. */
export interface RecordStore {
  readonly name: string;
  readonly store: Store;
  get(id: string): Promise<{ record: SessionRecord; version: number } | undefined>;
  create(id: string, record: SessionRecord, options: RecordWriteOptions): Promise<boolean>;
  update(id: string, record: SessionRecord, expectedVersion: number, options: RecordWriteOptions): Promise<number | undefined>;
  delete(id: string, options?: { expectedVersion?: number }): Promise<boolean>;
  listByUser?(userId: string): Promise<ListedRecord[]>;
  deleteByUser?(userId: string, exceptId?: string): Promise<number>;
  gc?(now: number): Promise<number>;
  close(): Promise<void>;
}

/** A store with a user index, seen through records. */
export interface IndexedRecordStore extends RecordStore {
  listByUser(userId: string): Promise<ListedRecord[]>;
  deleteByUser(userId: string, exceptId?: string): Promise<number>;
}

/**
 * `store` seen through records.
 *
 * @example
 * const store = recordView(memoryStore());
 * await store.create(id, record, { expiresAt, ttlSeconds });
 */
export function recordView(store: IndexedStore): IndexedRecordStore;
export function recordView(store: Store): RecordStore;
export function recordView(store: Store): RecordStore {
  const view: RecordStore = {
    name: store.name,
    store,
    async get(id) {
      const stored = await store.get(id);
      return stored && { record: decodeRecord(stored.text), version: stored.version };
    },
    async create(id, record, { now = Date.now(), ...options }) {
      return store.create(id, encodeRecord(record), { ...options, now, userId: record.meta.userId });
    },
    async update(id, record, expectedVersion, { now = Date.now(), ...options }) {
      return store.update(id, encodeRecord(record), expectedVersion, { ...options, now, userId: record.meta.userId });
    },
    async delete(id, options) {
      return store.delete(id, options);
    },
    ...(store.gc ? { gc: async (now: number) => store.gc!(now) } : {}),
    async close() {
      await store.close();
    },
  };
  if (!hasUserIndex(store)) return view;
  const indexed: IndexedRecordStore = {
    ...view,
    async listByUser(userId) {
      return (await store.listByUser(userId)).map(({ id, text, version }) => ({ id, record: decodeRecord(text), version }));
    },
    async deleteByUser(userId, exceptId) {
      return store.deleteByUser(userId, exceptId);
    },
  };
  return indexed;
}
