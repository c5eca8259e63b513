// The memory store: one process, bounded, expired records swept. For development, tests and single instances.

import type { IndexedStore, ListedSession, StoreFactory, StoredSession } from "../../core/store.js";
import type { Duration } from "../../core/duration.js";
import { StoreUnavailableError, TesseraError } from "../../core/errors.js";
import { durationOption, managerClock, refuseRenamedOptions } from "../../core/options.js";
import { checkNow, intervalMs } from "../../core/timing.js";

/** Options of `memoryStore`. */
export interface MemoryStoreOptions {
  /**
   * Records kept at most; past it, records expired by the write's `now` are collected, then the least recently
   * written evicted. @default 10000
   */
  maxEntries?: number;
  /**
   * How often expired records are collected (by this machine's clock, `Date.now()`): seconds or a string such as
   * `"1m"`; `false` turns the timer off (call `gc(now)` yourself; a full store still collects). @default "1m"
   */
  gcInterval?: Duration | false;
}

/** Defaults of `memoryStore`. */
export const defaults = Object.freeze({ maxEntries: 10_000, gcInterval: "1m" } as const);

/** Options of earlier releases, refused with what replaces them. */
const renamed = Object.freeze({ sweepIntervalSeconds: durationOption("gcInterval", "seconds"), clock: managerClock });


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
export const memoryStore: StoreFactory<MemoryStoreOptions | undefined, IndexedStore> = (options = {}) => {
  refuseRenamedOptions("memoryStore", options, renamed);
  const maxEntries = options.maxEntries ?? defaults.maxEntries;
  if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) {
    throw new TesseraError("ERR_INVALID_OPTION", "`maxEntries` must be a positive integer");
  }
  const gcEveryMs = intervalMs("gcInterval", options.gcInterval ?? defaults.gcInterval);
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
  const sweep = (now: number): number => {
    let removed = 0;
    for (const [id, entry] of entries) if (entry.expiresAt <= now && remove(id)) removed++;
    return removed;
  };
  const put = (id: string, entry: Entry): void => {
    // Re-inserting moves the key to the end: Map order is least recently written first.
    entries.delete(id);
    entries.set(id, entry);
  };
  // The timer has no request to take the manager's time from: it uses this machine's clock, which is the manager's
  // unless an app injects another (and then turns the timer off and calls gc(now) itself).
  const timer = gcEveryMs === undefined ? undefined : setInterval(() => sweep(Date.now()), gcEveryMs);
  // Node and Bun give a timer object that can stop holding the process open; Deno, Workers and browsers give a number.
  (timer as { unref?: () => void } | undefined)?.unref?.();
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
    create(id, text, { now, expiresAt, userId }) {
      assertOpen();
      if (entries.has(id)) return false;
      if (entries.size >= maxEntries && sweep(now) === 0) remove(entries.keys().next().value!);
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
      return sweep(checkNow(now));
    },
    close() {
      closed = true;
      if (timer) clearInterval(timer);
      entries.clear();
      byUser.clear();
    },
  };
};
