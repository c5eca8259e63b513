// The connect store: tessera sessions kept in any express-session store (connect-redis, connect-mongo, ...).

import type { ListedSession, Store, StoreFactory, StoredSession, StoreWriteOptions, UserIndex } from "../../core/store.js";
import type { Duration } from "../../core/duration.js";
import { TesseraError } from "../../core/errors.js";
import { durationOption, refuseRenamedOptions } from "../../core/options.js";
import { createKeyedQueue } from "../../core/queue.js";
import { timerMs } from "../../core/timing.js";

/** An express-session callback; stores answer `(error)` or `(error, value)`. */
type Callback = (error?: unknown, value?: unknown) => void;

/**
 * The store interface express-session defines (`express-session/session/store.js`): tessera needs `get`, `set` and
 * `destroy`, and uses `all` for a user's sessions when the store has it. Every store on npm written for
 * express-session or connect fits.
 */
export interface ConnectSessionStore {
  get(sid: string, callback: (error: unknown, session?: unknown) => void): unknown;
  set(sid: string, session: object, callback?: (error?: unknown) => void): unknown;
  destroy(sid: string, callback?: (error?: unknown) => void): unknown;
  /** Every session, as an array (connect-redis) or an object keyed by id (MemoryStore). */
  all?(callback: (error: unknown, sessions?: unknown) => void): unknown;
}

/** Options of `connectStore`: the express-session store itself, or it with options. */
export type ConnectStoreOptions =
  | ConnectSessionStore
  | {
      /** The express-session store to keep sessions in. `close()` leaves it (and its client) open. */
      store: ConnectSessionStore;
      /**
       * How long to wait for the store to call back before failing the call: seconds or a string such as `"5s"`. A
       * store that never calls back would otherwise hold this session's in-process lock for good. @default "5s"
       */
      callTimeout?: Duration;
    };

/** Defaults of `connectStore`. */
export const defaults = Object.freeze({ callTimeout: "5s" } as const);

/** Options of earlier releases, refused with what replaces them. */
const renamed = Object.freeze({ callTimeoutMs: durationOption("callTimeout", "ms") });

/**
 * What `connectStore` returns: a `Store`, with the user index (`listByUser`, `deleteByUser`) only when the
 * express-session store has `all()` to read every session from. Check with `hasUserIndex(store)`.
 */
export type ConnectStore = Store & Partial<UserIndex>;

/** What tessera writes through `set`: a session object express-session stores understand, tessera's data inside. */
export interface ConnectSession {
  /**
   * What express-session stores read a session's lifetime from: connect-redis, connect-mongo and MemoryStore read
   * `expires`, others `maxAge`. Both say when the session's idle timeout runs out.
   */
  cookie: { originalMaxAge: number; maxAge: number; expires: Date };
  tessera: {
    /** The at-rest id again, for stores whose `all()` returns sessions without their ids. */
    id: string;
    /** Starts at 1 and grows by one on every update: compare-and-set reads it. */
    version: number;
    /** The user the session is signed in to, so a listing need not decode every record. */
    userId?: string;
    /** The record's text, so no store's rules on field names (MongoDB's `.` and `$`) touch session data. */
    record: string;
  };
}


/** The tessera part of a session object a store gave back, or undefined when it is not one of ours. */
function entryOf(session: unknown): ConnectSession["tessera"] | undefined {
  if (session === null || typeof session !== "object") return undefined;
  const entry = (session as Partial<ConnectSession>).tessera;
  if (entry === null || typeof entry !== "object") return undefined;
  const { id, version, userId, record } = entry;
  if (typeof id !== "string" || typeof record !== "string" || !Number.isSafeInteger(version) || version < 1) return undefined;
  if (userId !== undefined && typeof userId !== "string") return undefined;
  return entry;
}

function sessionOf(id: string, version: number, text: string, { ttlSeconds, userId }: StoreWriteOptions): ConnectSession {
  const maxAge = Math.max(1, Math.ceil(ttlSeconds)) * 1000;
  const tessera: ConnectSession["tessera"] = { id, version, record: text };
  if (userId !== undefined) tessera.userId = userId;
  // By this machine's clock, not the manager's: the store compares `expires` with its own Date.now().
  return { cookie: { originalMaxAge: maxAge, maxAge, expires: new Date(Date.now() + maxAge) }, tessera };
}

/**
 * A store on top of an express-session store, so an app moving to tessera keeps its session backend. The version
 * lives inside the stored session, and an update is get, compare, set: one process never loses an update (calls on
 * one id take turns here), but two processes can, because express-session stores have no compare-and-set. Expiry
 * is the backend's own, from `cookie.expires`. The user index needs the store's `all()` and reads every session:
 * without `all()` the store has none, and `sessions.userSessions` and `revokeUserSessions` say `ERR_NOT_SUPPORTED`.
 *
 * @example
 * import { RedisStore } from "connect-redis";
 * const store = connectStore(new RedisStore({ client: redisClient, prefix: "sess:" }));
 */
export const connectStore: StoreFactory<ConnectStoreOptions, ConnectStore> = (options) => {
  const given = isSessionStore(options) ? { store: options } : options;
  if (given === null || typeof given !== "object" || !isSessionStore(given.store)) {
    throw new TesseraError("ERR_INVALID_OPTION", "`connectStore` needs an express-session store: an object with get, set and destroy");
  }
  refuseRenamedOptions("connectStore", given, renamed);
  const backend = given.store;
  const callTimeoutMs = timerMs("callTimeout", ("callTimeout" in given ? given.callTimeout : undefined) ?? defaults.callTimeout);
  const constructorName = (backend.constructor as { name?: string } | undefined)?.name;
  const backendName = constructorName && constructorName !== "Object" ? constructorName : "the express-session store";
  let closed = false;
  const serialize = createKeyedQueue();

  /** Calls one callback-style method and settles with its answer, or fails after `callTimeout`. */
  const invoke = <T>(operation: string, call: (callback: Callback) => unknown): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      let settled = false;
      const timer = setTimeout(() => done(new Error(`${backendName} did not answer ${operation} within ${callTimeoutMs} ms`)), callTimeoutMs);
      const done: Callback = (error, value) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (error) reject(error instanceof Error ? error : new Error(`${backendName} failed on ${operation}: ${String(error)}`));
        else resolve(value as T);
      };
      try {
        const returned = call(done);
        // Some stores (connect-redis) also return a promise; one rejecting after the callback must not go unhandled.
        if (returned instanceof Promise) returned.catch((error: unknown) => done(error));
      } catch (error) {
        done(error);
      }
    });

  /** Runs `task` after every earlier task on `id` in this store has settled: get-compare-set is atomic in-process. */
  const exclusive = <T>(id: string, task: () => Promise<T>): Promise<T> => {
    if (closed) return Promise.reject(new TesseraError("ERR_STORE_UNAVAILABLE", "the connect store was closed"));
    return serialize(id, task);
  };

  const read = async (id: string): Promise<{ found: false } | { found: true; entry: ConnectSession["tessera"] | undefined }> => {
    const session = await invoke<unknown>("get", (callback) => backend.get(id, callback));
    if (session === null || session === undefined) return { found: false };
    return { found: true, entry: entryOf(session) };
  };
  const write = (id: string, session: ConnectSession): Promise<void> => invoke("set", (callback) => backend.set(id, session, callback));
  const destroy = (id: string): Promise<void> => invoke("destroy", (callback) => backend.destroy(id, callback));

  /** Every tessera session of `userId` that `all` gives, skipping sessions that are not tessera's. */
  const listUser = async (all: NonNullable<ConnectSessionStore["all"]>, userId: string): Promise<ListedSession[]> => {
    if (closed) throw new TesseraError("ERR_STORE_UNAVAILABLE", "the connect store was closed");
    const answer = await invoke<unknown>("all", (callback) => all.call(backend, callback));
    const sessions = Array.isArray(answer) ? answer : answer !== null && typeof answer === "object" ? Object.values(answer) : [];
    const listed: ListedSession[] = [];
    for (const session of sessions) {
      const entry = entryOf(session);
      if (entry?.userId !== userId) continue;
      listed.push({ id: entry.id, text: entry.record, version: entry.version });
    }
    return listed;
  };

  const store: Store = {
    name: "connect",
    async get(id): Promise<StoredSession | undefined> {
      // Reads need no turn: a store's get returns a whole session, the one before a write or the one after.
      if (closed) throw new TesseraError("ERR_STORE_UNAVAILABLE", "the connect store was closed");
      const current = await read(id);
      if (!current.found) return undefined;
      // A session that is not one of ours (an express-session's) reads as an empty text, which no decoder accepts.
      if (current.entry === undefined) return { text: "", version: 1 };
      return { text: current.entry.record, version: current.entry.version };
    },
    create(id, text, options) {
      return exclusive(id, async () => {
        if ((await read(id)).found) return false;
        if (options.signal?.aborted) throw abandoned();
        await write(id, sessionOf(id, 1, text, options));
        return true;
      });
    },
    update(id, text, expectedVersion, options) {
      return exclusive(id, async () => {
        const current = await read(id);
        // Other processes can write between this read and the write below: see README.md, "What it cannot give".
        if (!current.found || current.entry?.version !== expectedVersion) return undefined;
        // The manager gave up on this call while it waited its turn or read: the write must not land now.
        if (options.signal?.aborted) throw abandoned();
        await write(id, sessionOf(id, expectedVersion + 1, text, options));
        return expectedVersion + 1;
      });
    },
    delete(id, options) {
      return exclusive(id, async () => {
        const current = await read(id);
        if (!current.found) return false;
        const expected = options?.expectedVersion;
        if (expected !== undefined && current.entry?.version !== expected) return false;
        await destroy(id);
        return true;
      });
    },
    close() {
      closed = true;
    },
  };
  // The user index only where the backend can enumerate its sessions: without all() there is nothing to build it on,
  // and a stub that threw would claim a capability the store lacks.
  const all = backend.all;
  if (typeof all !== "function") return store;
  const index: UserIndex = {
    listByUser: (userId) => listUser(all, userId),
    async deleteByUser(userId, exceptId) {
      let removed = 0;
      for (const { id } of await listUser(all, userId)) {
        if (id === exceptId) continue;
        // Checked again under the id's turn: the session may have moved to another user since the listing.
        const gone = await exclusive(id, async () => {
          const current = await read(id);
          if (!current.found || current.entry?.userId !== userId) return false;
          await destroy(id);
          return true;
        });
        if (gone) removed++;
      }
      return removed;
    },
  };
  return Object.assign(store, index);
};

function abandoned(): TesseraError {
  return new TesseraError("ERR_STORE_UNAVAILABLE", "the connect store call was abandoned");
}

function isSessionStore(value: unknown): value is ConnectSessionStore {
  if (value === null || typeof value !== "object") return false;
  const candidate = value as Partial<ConnectSessionStore>;
  return typeof candidate.get === "function" && typeof candidate.set === "function" && typeof candidate.destroy === "function";
}
