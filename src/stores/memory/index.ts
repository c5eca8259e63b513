// The memory store: one process, bounded, expired records swept. For development, tests and single instances.

import type { ListedSession, StoreFactory, StoredSession } from "../../core/store.js";
import { StoreUnavailableError, TesseraError } from "../../core/errors.js";
import { checkIntervalSeconds } from "../../core/timing.js";

/** Options of `memoryStore`. */
export interface MemoryStoreOptions {
  /** Records kept at most; past it, expired ones are swept, then the least recently written evicted. @default 10000 */
  maxEntries?: number;
  /** How often expired records are swept, in seconds. @default 60 */
  sweepIntervalSeconds?: number;
  /** The time (epoch ms), for expiry. @default Date.now */
  clock?: () => number;
}

/** Defaults of `memoryStore`. */
export const defaults = Object.freeze({ maxEntries: 10_000, sweepIntervalSeconds: 60 } as const);


interface Entry {
  /** The record's text, as the manager encoded it. */
  text: string;
  version: number;
  expiresAt: number;
  userId: string | undefined;
}

/**
 * A store in this process's memory. Sessions are lost on restart and not shared between processes.
 *
 * @example
 * const sessions = createSessions({ secrets, store: memoryStore({ maxEntries: 50_000 }) });
 */
export const memoryStore: StoreFactory<MemoryStoreOptions | undefined> = (options = {}) => {
  const maxEntries = options.maxEntries ?? defaults.maxEntries;
  if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) {
    throw new TesseraError("ERR_INVALID_OPTION", "`maxEntries` must be a positive integer");
  }
  const sweepIntervalSeconds = checkIntervalSeconds("sweepIntervalSeconds", options.sweepIntervalSeconds ?? defaults.sweepIntervalSeconds, {
    allowZero: false,
  });
  const clock = options.clock ?? Date.now;
  const entries = new Map<string, Entry>();
  const byUser = new Map<string, Set<string>>();

  const index = (id: string, userId: string | undefined): void => {
    if (userId === undefined) return;
    let ids = byUser.get(userId);
    if (!ids) byUser.set(userId, (ids = new Set()));
    ids.add(id);
  };
  const unindex = (id: string, userId: string | undefined): void => {
    if (userId === undefined) return;
    const ids = byUser.get(userId);
    ids?.delete(id);
    if (ids?.size === 0) byUser.delete(userId);
  };
  const remove = (id: string): boolean => {
    const entry = entries.get(id);
    if (!entry) return false;
    entries.delete(id);
    unindex(id, entry.userId);
    return true;
  };
  const sweep = (now = clock()): number => {
    let removed = 0;
    for (const [id, entry] of entries) if (entry.expiresAt <= now && remove(id)) removed++;
    return removed;
  };
  const put = (id: string, entry: Entry): void => {
    // Re-inserting moves the key to the end: Map order is least recently written first.
    entries.delete(id);
    entries.set(id, entry);
  };
  const timer = setInterval(sweep, sweepIntervalSeconds * 1000);
  timer.unref();
  let closed = false;
  const assertOpen = (): void => {
    if (closed) throw new StoreUnavailableError("memory store (closed)");
  };

  return {
    name: "memory",
    get(id) {
      assertOpen();
      const entry = entries.get(id);
      if (!entry) return undefined;
      const stored: StoredSession = { text: entry.text, version: entry.version };
      return stored;
    },
    create(id, text, { expiresAt, userId }) {
      assertOpen();
      if (entries.has(id)) return false;
      if (entries.size >= maxEntries && sweep() === 0) remove(entries.keys().next().value!);
      put(id, { text, version: 1, expiresAt, userId });
      index(id, userId);
      return true;
    },
    update(id, text, expectedVersion, { expiresAt, userId }) {
      assertOpen();
      const entry = entries.get(id);
      if (!entry || entry.version !== expectedVersion) return undefined;
      unindex(id, entry.userId);
      const version = expectedVersion + 1;
      put(id, { text, version, expiresAt, userId });
      index(id, userId);
      return version;
    },
    delete(id, options) {
      assertOpen();
      const expected = options?.expectedVersion;
      if (expected !== undefined && entries.get(id)?.version !== expected) return false;
      return remove(id);
    },
    listByUser(userId) {
      assertOpen();
      const listed: ListedSession[] = [];
      for (const id of byUser.get(userId) ?? []) {
        const entry = entries.get(id)!;
        listed.push({ id, text: entry.text, version: entry.version });
      }
      return listed;
    },
    deleteByUser(userId, exceptId) {
      assertOpen();
      let removed = 0;
      for (const id of [...(byUser.get(userId) ?? [])]) if (id !== exceptId && remove(id)) removed++;
      return removed;
    },
    gc(now) {
      assertOpen();
      return sweep(now);
    },
    close() {
      closed = true;
      clearInterval(timer);
      entries.clear();
      byUser.clear();
    },
  };
};
