// createSessions: the composition root joining a codec, the cookie rules, the key ring and a store.

import type { Codec, Decoded } from "../core/codec.js";
import type { SessionData } from "../core/data.js";
import { toMilliseconds, type Duration } from "../core/duration.js";
import { CodecError, isStoreUnavailable, TesseraError } from "../core/errors.js";
import { createKeyedQueue } from "../core/queue.js";
import { maxTimerMs } from "../core/timing.js";
import { checkTimeouts, expiresAt, isTouchDue, type TimeoutPolicy } from "../core/policy.js";
import type { SessionMeta, SessionRecord } from "../core/record.js";
import { currentRecord, replayChanges, Session, sessionState, type SessionState } from "../core/session.js";
import type { Store, StoreCallOptions, StoreWriteOptions, StoredSession } from "../core/store.js";
import { decodeRecord, encodeRecord } from "../core/wire.js";
import { createKeyRing, type Secret } from "../crypto/keyring.js";
import { openTaggedToken, tagToken } from "../crypto/token-tag.js";
import { createToken, hashToken } from "../crypto/tokens.js";
import { resolveCookieOptions, type CookieOptions } from "../cookie/options.js";
import { readCookieValues } from "../cookie/parse.js";
import { createSetCookieWriter } from "../cookie/serialize.js";
import { createSealedCodec } from "../codecs/sealed.js";
import { createSignedCodec } from "../codecs/signed.js";
import type { RejectionReason, SessionEvent } from "./events.js";
import { guard } from "./guard.js";

/** Options of `createSessions`. */
export interface SessionsOptions {
  /** Secrets of 32 bytes or more: the first signs and seals, every one verifies. Required; there is no default. */
  secrets: readonly Secret[];
  /** Where sessions live. Leave out for cookie mode: the whole session sealed (or signed) in the cookie. */
  store?: Store;
  /** Cookie mode's codec. @default "sealed" */
  codec?: "sealed" | "signed" | Codec;
  cookie?: CookieOptions;
  /** A session unused this long ends. @default "24h" */
  idleTimeout?: Duration;
  /** A session ends this long after it was created, however active. @default "30d" */
  absoluteTimeout?: Duration;
  /** Sliding renewal is written at most once per this interval. @default idleTimeout / 10 */
  touchAfter?: Duration;
  /**
   * How many proxies in front of the app to believe about the scheme (`X-Forwarded-Proto`), like Express's
   * `trust proxy` hop count: the value is read from the right, where the proxies nearest the app wrote it, so a
   * scheme the client put in the header itself is never believed. `true` means one proxy. @default 0 (none)
   */
  trustProxy?: boolean | number;
  /**
   * Store mode: the largest a session record may be, as stored (data, flash messages and metadata, in bytes).
   * A value over it is refused at `set` and a record over it at commit, with `ERR_SESSION_TOO_LARGE`. @default 65536
   */
  maxRecordBytes?: number;
  /**
   * Cookie mode: how many cookie values already opened are remembered, by their exact text, so a repeat visit
   * skips the decryption (timeouts are still judged on every request). 0 turns it off. @default 1000
   */
  decodeCacheSize?: number;
  /** Every store call is abandoned after this long, failing closed. @default "5s" */
  storeTimeout?: Duration;
  /** The time (epoch ms). @default Date.now */
  clock?: () => number;
  /** Called for rejections, conflicts and store errors. Must not throw. */
  onEvent?: (event: SessionEvent) => void;
}

/** What a framework adapter knows about a request. */
export interface RequestFacts {
  /** The `Cookie` header. */
  cookie: string | null | undefined;
  /** Whether the client reached us over HTTPS. */
  secure: boolean;
  /** The `User-Agent` header, kept with a signed-in session for lists of a user's sessions. */
  userAgent?: string | null | undefined;
}

/** What a commit asks of the response. */
export interface ResponseChanges {
  /** `Set-Cookie` header values to append. */
  setCookie: string[];
  /** Always true: the response depends on the `Cookie` header, so add `Vary: Cookie`. */
  vary: true;
  /** True when a session cookie is set or cleared: add `Cache-Control: no-store`. */
  noStore: boolean;
}

/** One of a user's sessions, as `userSessions` lists it. */
export interface UserSessionInfo {
  /** The session's at-rest id (a SHA-256, not a token): pass it to `revokeSession`. */
  id: string;
  createdAt: number;
  lastSeenAt: number;
  userAgent: string | undefined;
  /** Whether it is the session passed as `current`. */
  current: boolean;
}

/** The object applications use. */
export interface Sessions<D extends SessionData = SessionData> {
  /** `"cookie"` or the store's name. */
  readonly mode: string;
  /** The session cookie's name when it is Secure, prefix included (`__Host-sid` by default). */
  readonly cookieName: string;
  /** The session cookie's name when it is not Secure (development over plain http: `sid` by default). */
  readonly plainCookieName: string;
  /** How many proxies in front are believed about the scheme (the `trustProxy` option as a hop count), for adapters. */
  readonly trustProxy: number;
  /** Loads the session of a Fetch API request. Throws `ERR_STORE_UNAVAILABLE` when the store fails. */
  load(request: Request): Promise<Session<D>>;
  /** Loads from what an adapter read off its request. */
  loadFrom(facts: RequestFacts): Promise<Session<D>>;
  /** Saves the session and returns the response with `Set-Cookie`, `Vary` and `Cache-Control` added. */
  commit(session: Session<D>, response: Response): Promise<Response>;
  /** Saves the session and says which headers the response needs, for adapters. */
  commitHeaders(session: Session<D>): Promise<ResponseChanges>;
  /** A user's sessions (store mode). */
  userSessions(userId: string, options?: { current?: Session<D> }): Promise<UserSessionInfo[]>;
  /**
   * Ends every session of a user, except the one given (store mode): a loaded session, or a session's id as
   * `userSessions` lists it. Returns how many ended.
   */
  revokeUserSessions(userId: string, options?: { except?: Session<D> | string }): Promise<number>;
  /** Ends one session of a user by the id `userSessions` gave. Returns whether it existed. */
  revokeSession(userId: string, id: string): Promise<boolean>;
  /** Releases the store. */
  close(): Promise<void>;
}

/** Defaults of `createSessions`. */
export const defaults = Object.freeze({
  /** @default "24h" */
  idleTimeout: "24h",
  /** @default "30d" */
  absoluteTimeout: "30d",
  /** @default 10: sliding renewal written at most once per idleTimeout / 10 */
  touchFraction: 10,
  /** @default "5s" */
  storeTimeout: "5s",
  /** Cookie values already opened, remembered per manager. */
  decodeCacheSize: 1000,
  /**
   * Session cookie values read from one Cookie header at most; a header a server accepts (16 KiB in Node.js)
   * holds fewer. Junk never pushes a user's own cookie out: see `maxLookups` and `maxOpenAttempts`.
   */
  maxCandidates: 1024,
  /**
   * Store mode: store reads per request at most. Only values whose tag verifies (values this app made) are looked
   * up, so forged or garbled values never count.
   */
  maxLookups: 8,
  /**
   * Cookie mode: cookie values put through decryption (or signature checks) per request at most. Values a codec
   * refuses as malformed before any cryptography never count.
   */
  maxOpenAttempts: 32,
  /** @default 65536 */
  maxRecordBytes: 65536,
  /** Compare-and-set attempts before `ERR_SESSION_CONFLICT` (in-process writers queue, so only other processes race). */
  maxWriteAttempts: 32,
} as const);

/**
 * Creates the session manager. Checks every option now, so a misconfiguration stops the start, not a request.
 *
 * @example
 * const sessions = createSessions<{ username?: string }>({
 *   secrets: [process.env.SECRET_KEY!],
 *   store: sqliteStore({ path: "data/sessions.db" }),
 * });
 */
export function createSessions<D extends SessionData = SessionData>(options: SessionsOptions): Sessions<D> {
  if (options === null || typeof options !== "object") {
    throw new TesseraError("ERR_SECRET_MISSING", "`createSessions` needs an options object with `secrets`");
  }
  const ring = createKeyRing(options.secrets);
  const cookie = resolveCookieOptions(options.cookie);
  const idleMs = toMilliseconds(options.idleTimeout ?? defaults.idleTimeout, "idleTimeout");
  const absoluteMs = toMilliseconds(options.absoluteTimeout ?? defaults.absoluteTimeout, "absoluteTimeout");
  const policy: TimeoutPolicy = {
    idleMs,
    absoluteMs,
    touchAfterMs: options.touchAfter === undefined ? Math.floor(idleMs / defaults.touchFraction) : toMilliseconds(options.touchAfter, "touchAfter"),
  };
  if (policy.touchAfterMs >= idleMs) {
    throw new TesseraError("ERR_INVALID_OPTION", "`touchAfter` must be shorter than `idleTimeout`");
  }
  const storeTimeoutMs = toMilliseconds(options.storeTimeout ?? defaults.storeTimeout, "storeTimeout");
  // setTimeout fires at once for delays over 2^31 - 1 ms, which would fail every store call.
  if (storeTimeoutMs > maxTimerMs) throw new TesseraError("ERR_INVALID_OPTION", "`storeTimeout` must be at most 24 days");
  const clock = options.clock ?? Date.now;
  const trustProxy = hopsOf(options.trustProxy);
  const maxRecordBytes = options.maxRecordBytes ?? defaults.maxRecordBytes;
  if (!Number.isSafeInteger(maxRecordBytes) || maxRecordBytes < 256) {
    throw new TesseraError("ERR_INVALID_OPTION", "`maxRecordBytes` must be a whole number of bytes, 256 or more");
  }
  const store = options.store;
  const codec = store ? undefined : pickCodec(options.codec ?? "sealed", ring);
  const codecContexts = { secure: { cookieName: cookie.name }, plain: { cookieName: cookie.plainName } };
  const decodeCacheSize = options.decodeCacheSize ?? defaults.decodeCacheSize;
  if (!Number.isSafeInteger(decodeCacheSize) || decodeCacheSize < 0) {
    throw new TesseraError("ERR_INVALID_OPTION", "`decodeCacheSize` must be a whole number, 0 or more");
  }
  const decoded = new Map<string, Decoded>();

  /**
   * Opens a cookie value, or takes it from the values already opened. Only values that verified are kept, and
   * they are frozen, since every request that sends the same value shares them.
   */
  const decode = (value: string, context: { cookieName: string }): Decoded => {
    // The name is part of the key: a value opened under one cookie name must not open under the other.
    const key = context === codecContexts.secure ? value : `${value}\u0000plain`;
    const known = decoded.get(key);
    if (known !== undefined) return known;
    const fresh = codec!.decode(value, context);
    if (decodeCacheSize > 0) {
      const { record } = fresh;
      Object.freeze(record.data);
      Object.freeze(record.flash);
      Object.freeze(record.meta);
      Object.freeze(record);
      // Oldest first out: a Map iterates in insertion order.
      if (decoded.size >= decodeCacheSize) decoded.delete(decoded.keys().next().value!);
      decoded.set(key, fresh);
    }
    return fresh;
  };
  const onEvent = options.onEvent;
  /** Writes to one session from this process go one at a time. */
  const serialize = createKeyedQueue();

  const emit = (event: SessionEvent): void => {
    if (!onEvent) return;
    try {
      onEvent(event);
    } catch {
      // A listener's failure must not turn into a failed request.
    }
  };

  const call = <T>(operation: string, fn: (store: Store, io: StoreCallOptions) => T | Promise<T>): Promise<T> =>
    guard(operation, storeTimeoutMs, (io) => fn(store!, io)).catch((error: unknown) => {
      if (isStoreUnavailable(error)) emit({ type: "store_error", operation, code: error.code });
      throw error;
    });

  /**
   * The one place stored records are decoded. A record that does not decode (corrupt, or written by something
   * else) is no session: `undefined`, and a `record_rejected` event.
   */
  const decodeStored = (stored: StoredSession): SessionRecord | undefined => {
    try {
      return decodeRecord(stored.text);
    } catch (error) {
      if (!(error instanceof CodecError)) throw error;
      emit({ type: "record_rejected", reason: error.reason });
      return undefined;
    }
  };

  /** A stored session, or undefined when there is none or it cannot be decoded. */
  const readRecord = async (id: string): Promise<{ record: SessionRecord; version: number } | undefined> => {
    const stored = await call("get", (s, io) => s.get(id, io));
    if (stored === undefined) return undefined;
    const record = decodeStored(stored);
    return record && { record, version: stored.version };
  };

  /** A record as stored text, refused when over `maxRecordBytes`. */
  const encodeStored = (record: SessionRecord): string => {
    const text = encodeRecord(record);
    if (text.length * 3 > maxRecordBytes && Buffer.byteLength(text) > maxRecordBytes) {
      throw new TesseraError("ERR_SESSION_TOO_LARGE", `the session record would be ${Buffer.byteLength(text)} bytes, over maxRecordBytes (${maxRecordBytes})`);
    }
    return text;
  };

  const lifecycle = {
    async retire(session: Session<SessionData>): Promise<void> {
      const state = session[sessionState];
      if (state.token !== undefined && store) await call("delete", (s, io) => s.delete(hashToken(state.token!), io));
      state.token = undefined;
      state.version = undefined;
    },
  };

  const newState = (facts: RequestFacts, hadCookie: boolean, now: number): SessionState => ({
    base: { data: {}, flash: {}, meta: { createdAt: now, lastSeenAt: now } },
    data: {},
    flashRead: new Set(),
    changes: [],
    token: undefined,
    version: undefined,
    rotate: false,
    metaChanged: false,
    destroyed: false,
    hadCookie,
    staleKey: false,
    committed: false,
    secure: facts.secure,
    userAgent: facts.userAgent ?? undefined,
    maxValueBytes: store ? maxRecordBytes : undefined,
  });

  const adopt = (state: SessionState, record: SessionRecord): void => {
    state.base = record;
    state.data = { ...record.data };
  };

  /** Whether the cookie goes out Secure (and so under its prefixed name) for a request that came over `https` or not. */
  const isSecure = (requestSecure: boolean): boolean => cookie.secure === true || (cookie.secure === "auto" && requestSecure);

  const loadFrom = async (facts: RequestFacts): Promise<Session<D>> => {
    const now = clock();
    const secureName = isSecure(facts.secure);
    const name = secureName ? cookie.name : cookie.plainName;
    const values = readCookieValues(facts.cookie, name, defaults.maxCandidates);
    const state = newState(facts, values.length > 0, now);
    // Several values under the session cookie's name (a browser sends every cookie whose domain and path match,
    // longest path first): malformed values are dropped for free, the rest tried in the order sent, and the first
    // that gives a live session wins.
    let lookups = 0;
    let attempts = 0;
    // A header stuffed with junk must not turn into as many events (and log lines) as it has values.
    let rejections = 0;
    const reject = (reason: RejectionReason): void => {
      if (++rejections <= defaults.maxLookups) emit({ type: "cookie_rejected", reason });
    };
    for (const value of values) {
      if (store) {
        // The tag is checked before any store read: a value this app did not make costs no lookup.
        const keyIndex = openTaggedToken(ring, name, value);
        if (keyIndex === undefined) {
          reject("malformed_token");
          continue;
        }
        if (++lookups > defaults.maxLookups) break;
        const id = hashToken(value);
        const stored = await readRecord(id);
        if (stored === undefined) {
          reject("unknown_session");
          continue;
        }
        const verdict = checkTimeouts(stored.record.meta, now, policy);
        if (verdict !== "valid") {
          reject(verdict);
          continue;
        }
        adopt(state, stored.record);
        state.token = value;
        state.version = stored.version;
        // Tagged under an older secret: the session moves to a token tagged under the first one at commit.
        state.staleKey = keyIndex > 0;
        break;
      }
      try {
        const opened = decode(value, secureName ? codecContexts.secure : codecContexts.plain);
        const verdict = checkTimeouts(opened.record.meta, now, policy);
        if (verdict !== "valid") {
          reject(verdict);
          continue;
        }
        adopt(state, opened.record);
        state.token = value;
        state.staleKey = opened.keyIndex > 0;
        break;
      } catch (error) {
        if (!(error instanceof CodecError)) throw error;
        reject(error.reason);
        // Only a value that reached the cryptography counts (a known key id, a well-formed body).
        if ((error.reason === "bad_signature" || error.reason === "bad_payload") && ++attempts >= defaults.maxOpenAttempts) break;
      }
    }
    return new Session<D>(state, lifecycle);
  };

  // One writer per Secure variant, so "auto" costs nothing per request. The name follows Secure: `__Host-sid` on
  // a Secure cookie, the bare name over plain http (see `cookie.prefix`). A cookie that is always Secure has no
  // plain variant (its prefixed name may not go out without Secure).
  const writers = {
    secure: createSetCookieWriter(cookie.name, { ...cookie.attributes, secure: true }),
    plain: cookie.secure === true ? undefined : createSetCookieWriter(cookie.plainName, { ...cookie.attributes, secure: false }),
  };
  const writerFor = (state: SessionState) => (isSecure(state.secure) ? writers.secure : writers.plain!);
  /** The name the cookie goes out under for this request: a store token's tag binds it. */
  const nameFor = (state: SessionState): string => (isSecure(state.secure) ? cookie.name : cookie.plainName);
  /** A new store-mode cookie value: a fresh token, tagged for the name it will be set under. */
  const newToken = (state: SessionState): string => tagToken(ring, nameFor(state), createToken());

  const setCookie = (state: SessionState, value: string, meta: SessionMeta, now: number): string => {
    const maxAge = cookie.persistent ? Math.max(1, Math.floor((expiresAt(meta, policy) - now) / 1000)) : undefined;
    return writerFor(state)(value, maxAge);
  };

  // Same Path and Domain as the cookie being cleared, or the browser keeps it (RFC 6265 §5.3 step 11).
  const clearCookie = (state: SessionState): string => writerFor(state)("", 0);

  // The call options are passed on, not spread: reading `signal` would make the AbortController a synchronous
  // store never needs.
  const writeOptions = (meta: SessionMeta, io: StoreCallOptions): StoreWriteOptions => {
    const at = expiresAt(meta, policy);
    return withCallOptions(io, { expiresAt: at, ttlSeconds: Math.max(1, Math.ceil((at - clock()) / 1000)), userId: meta.userId });
  };

  const unchanged: ResponseChanges = Object.freeze({ setCookie: [], vary: true, noStore: false }) as ResponseChanges;
  const setting = (header: string): ResponseChanges => ({ setCookie: [header], vary: true, noStore: true });

  /** A user binding made by `signIn` in this request, carried onto a fresher record read after a conflict. */
  const withSignIn = (record: SessionRecord, state: SessionState): SessionRecord => {
    if (!state.metaChanged) return record;
    const meta: SessionMeta = { ...record.meta, userId: state.base.meta.userId };
    if (state.base.meta.userAgent !== undefined) meta.userAgent = state.base.meta.userAgent;
    else delete meta.userAgent;
    return { ...record, meta };
  };

  const commitToStore = async (state: SessionState, now: number): Promise<ResponseChanges> => {
    if (state.token === undefined) {
      const record = currentRecord(state);
      if (isEmpty(record)) return state.hadCookie && (state.destroyed || state.rotate) ? setting(clearCookie(state)) : unchanged;
      return createInStore(state, record, now);
    }
    if (state.rotate || state.staleKey) {
      if (state.staleKey && !state.rotate) emit({ type: "cookie_reissued", reason: "key_rotation" });
      return rotateInStore(state, now);
    }
    const changed = state.changes.length > 0 || state.metaChanged;
    const touch = isTouchDue(state.base.meta, now, policy);
    if (!changed && !touch) return unchanged;
    const token = state.token;
    const id = hashToken(token);
    // Writes to one session from this process go one at a time, so they conflict only with other processes.
    return serialize(id, async () => {
      let record = currentRecord(state);
      let version = state.version!;
      for (let attempt = 1; ; attempt++) {
        const meta: SessionMeta = touch ? { ...record.meta, lastSeenAt: Math.max(now, record.meta.lastSeenAt) } : record.meta;
        const text = encodeStored({ ...record, meta });
        const written = await call("update", (s, io) => s.update(id, text, version, writeOptions(meta, io)));
        if (written !== undefined) {
          state.version = written;
          return touch ? setting(setCookie(state, token, meta, now)) : unchanged;
        }
        emit({ type: "write_conflict", attempt });
        const fresh = await readLive(id, now);
        if (fresh === undefined) {
          // Destroyed, rotated or expired by another request while this one ran: never written back. No cookie
          // either: the browser already holds the deletion, or the rotated id another response carried.
          emit({ type: "session_gone" });
          return unchanged;
        }
        if (!changed) return unchanged;
        checkAttempts(attempt);
        record = replayChanges(fresh.record, state.changes);
        version = fresh.version;
        await backOff(attempt);
      }
    });
  };

  /** A record that exists and has not timed out, or undefined. */
  const readLive = async (id: string, now: number) => {
    const fresh = await readRecord(id);
    return fresh === undefined || checkTimeouts(fresh.record.meta, now, policy) !== "valid" ? undefined : fresh;
  };

  /**
   * Writes `record` under a new token, seen now; a sign-in or a session started after `destroy` starts its
   * absolute timeout afresh.
   */
  const writeNew = async (state: SessionState, record: SessionRecord, now: number): Promise<{ token: string; meta: SessionMeta }> => {
    const meta: SessionMeta = { ...record.meta, lastSeenAt: now };
    if (state.metaChanged || state.destroyed) meta.createdAt = now;
    const text = encodeStored({ ...record, meta });
    const token = newToken(state);
    const created = await call("create", (s, io) => s.create(hashToken(token), text, writeOptions(meta, io)));
    // 256 random bits do not collide; a store answering "taken" is broken, and we fail closed.
    if (!created) throw new TesseraError("ERR_SESSION_CONFLICT", "the store refused a new session id");
    return { token, meta };
  };

  /** A new record under a new token: a first write, or data set after `destroy`. */
  const createInStore = async (state: SessionState, record: SessionRecord, now: number): Promise<ResponseChanges> => {
    const { token, meta } = await writeNew(state, record, now);
    state.token = token;
    state.version = 1;
    emit({ type: "session_created", store: store!.name });
    return setting(setCookie(state, token, meta, now));
  };

  /**
   * A new id for a loaded session (regenerate, signIn). The new record is written first, then the old one deleted
   * only if it is still there at the version this request knows. A session destroyed or revoked meanwhile has no
   * old record to delete: the new one is removed again and the request ends anonymous, so revocation is final
   * whatever is in flight. Written in that order, a revocation at any moment finds the old record or the new one.
   */
  const rotateInStore = (state: SessionState, now: number): Promise<ResponseChanges> => {
    const oldId = hashToken(state.token!);
    return serialize(oldId, async () => {
      let record = currentRecord(state);
      let version = state.version!;
      for (let attempt = 1; ; attempt++) {
        const written = isEmpty(record) ? undefined : await writeNew(state, record, now);
        const retired = await call("delete", (s, io) => s.delete(oldId, withCallOptions(io, { expectedVersion: version })));
        if (retired) {
          if (written === undefined) {
            state.token = undefined;
            state.version = undefined;
            return state.hadCookie ? setting(clearCookie(state)) : unchanged;
          }
          state.token = written.token;
          state.version = 1;
          emit({ type: "session_created", store: store!.name });
          return setting(setCookie(state, written.token, written.meta, now));
        }
        if (written !== undefined) await call("delete", (s, io) => s.delete(hashToken(written.token), io));
        const fresh = await readLive(oldId, now);
        if (fresh === undefined) {
          // Destroyed, revoked or rotated by another request: nothing is issued. No cookie either: the browser
          // holds the deletion or another response's new id, which this response must not overwrite.
          emit({ type: "session_gone" });
          state.token = undefined;
          state.version = undefined;
          return unchanged;
        }
        // Another request wrote the session meanwhile: carry its changes and ours to the new id.
        emit({ type: "write_conflict", attempt });
        checkAttempts(attempt);
        record = withSignIn(replayChanges(fresh.record, state.changes), state);
        version = fresh.version;
        await backOff(attempt);
      }
    });
  };

  const commitToCookie = (state: SessionState, now: number): ResponseChanges => {
    const codecContext = isSecure(state.secure) ? codecContexts.secure : codecContexts.plain;
    const record = currentRecord(state);
    const loaded = state.token !== undefined;
    if (isEmpty(record)) return state.hadCookie && (loaded || state.destroyed) ? setting(clearCookie(state)) : unchanged;
    const changed = state.changes.length > 0 || state.metaChanged || state.rotate;
    const touch = !loaded || isTouchDue(record.meta, now, policy);
    if (!changed && !touch && !state.staleKey) return unchanged;
    if (state.staleKey) emit({ type: "cookie_reissued", reason: "key_rotation" });
    const meta: SessionMeta = touch || state.metaChanged ? { ...record.meta, lastSeenAt: now } : record.meta;
    if (state.metaChanged || state.destroyed) meta.createdAt = now;
    return setting(setCookie(state, codec!.encode({ ...record, meta }, codecContext), meta, now));
  };

  const commitHeaders = async (session: Session<D>): Promise<ResponseChanges> => {
    const state = session[sessionState];
    if (state.committed) throw new TesseraError("ERR_SESSION_DESTROYED", "the session was already committed");
    state.committed = true;
    if (state.destroyed) emit({ type: "session_destroyed" });
    else if (state.rotate) emit({ type: "session_regenerated" });
    const now = clock();
    return store ? commitToStore(state, now) : commitToCookie(state, now);
  };

  const requireStore = (operation: string): Store => {
    if (!store) throw new TesseraError("ERR_NOT_SUPPORTED", `\`${operation}\` needs a store: cookie-mode sessions live only in the browser`);
    return store;
  };

  return {
    mode: store ? store.name : "cookie",
    cookieName: cookie.name,
    plainCookieName: cookie.plainName,
    trustProxy,
    load: (request) => loadFrom(factsOf(request, trustProxy)),
    loadFrom,
    commitHeaders,
    async commit(session, response) {
      return applyChanges(response, await commitHeaders(session));
    },
    async userSessions(userId, opts) {
      requireStore("userSessions");
      const currentToken = opts?.current?.[sessionState].token;
      const currentId = currentToken === undefined ? undefined : hashToken(currentToken);
      const now = clock();
      const listed = await call("listByUser", (s, io) => s.listByUser(userId, io));
      const sessions: UserSessionInfo[] = [];
      for (const entry of listed) {
        // A record that does not decode is skipped (with an event), never an error for the whole list.
        const record = decodeStored(entry);
        if (record === undefined || record.meta.userId !== userId || checkTimeouts(record.meta, now, policy) !== "valid") continue;
        sessions.push({
          id: entry.id,
          createdAt: record.meta.createdAt,
          lastSeenAt: record.meta.lastSeenAt,
          userAgent: record.meta.userAgent,
          current: entry.id === currentId,
        });
      }
      return sessions.sort((a, b) => b.lastSeenAt - a.lastSeenAt);
    },
    async revokeUserSessions(userId, opts) {
      requireStore("revokeUserSessions");
      const except = opts?.except;
      const exceptToken = typeof except === "string" ? undefined : except?.[sessionState].token;
      const exceptId = typeof except === "string" ? except : exceptToken === undefined ? undefined : hashToken(exceptToken);
      return call("deleteByUser", (s, io) => s.deleteByUser(userId, exceptId, io));
    },
    async revokeSession(userId, id) {
      requireStore("revokeSession");
      const stored = await call("get", (s, io) => s.get(id, io));
      if (stored === undefined) return false;
      // A record that does not decode is deleted too: no one can load it, and it was listed as this user's.
      const record = decodeStored(stored);
      if (record !== undefined && record.meta.userId !== userId) return false;
      return call("delete", (s, io) => s.delete(id, record === undefined ? io : withCallOptions(io, { expectedVersion: stored.version })));
    },
    async close() {
      if (store) await store.close();
    },
  };
}


function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** `fields` with the call options behind them (as the prototype), so `signal` is read only by a store that wants it. */
function withCallOptions<T extends object>(io: StoreCallOptions, fields: T): T & StoreCallOptions {
  return Object.assign(Object.create(io) as StoreCallOptions, fields) as T & StoreCallOptions;
}

function checkAttempts(attempt: number): void {
  if (attempt >= defaults.maxWriteAttempts) {
    throw new TesseraError("ERR_SESSION_CONFLICT", `session write lost ${attempt} compare-and-set races in a row`);
  }
}

/** Another process won the race: back off a little, with jitter, so racing writers do not move in step. */
async function backOff(attempt: number): Promise<void> {
  if (attempt > 1) await delay(Math.random() * Math.min(100, 2 ** attempt));
}

/** The `trustProxy` option as a hop count. */
function hopsOf(trustProxy: boolean | number | undefined): number {
  if (trustProxy === undefined || trustProxy === false) return 0;
  if (trustProxy === true) return 1;
  if (!Number.isSafeInteger(trustProxy) || trustProxy < 0 || trustProxy > 32) {
    throw new TesseraError("ERR_INVALID_OPTION", "`trustProxy` must be true, false or a number of proxies from 0 to 32");
  }
  return trustProxy;
}

/**
 * Whether a request reached the first trusted proxy over HTTPS, from the `X-Forwarded-Proto` list: each proxy
 * appends what it saw, so with `hops` trusted proxies the entry `hops` from the right is the outermost trusted
 * one's. A list shorter than that (a proxy that overwrites instead of appending) is read from its first entry.
 * Entries further left were written by the client and are never believed.
 *
 * @example
 * forwardedSecure(false, "http, https", 1); // true: the one trusted proxy saw https
 * forwardedSecure(false, "https, http", 1); // false: "https" was the client's
 */
export function forwardedSecure(connectionSecure: boolean, header: string | null | undefined, hops: number): boolean {
  if (hops === 0 || !header) return connectionSecure;
  const entries = header.split(",");
  const entry = entries[Math.max(0, entries.length - hops)]!.trim().toLowerCase();
  return entry === "" ? connectionSecure : entry === "https";
}

function pickCodec(choice: "sealed" | "signed" | Codec, ring: ReturnType<typeof createKeyRing>): Codec {
  if (choice === "sealed") return createSealedCodec(ring);
  if (choice === "signed") return createSignedCodec(ring);
  if (choice && typeof choice.encode === "function" && typeof choice.decode === "function") return choice;
  throw new TesseraError("ERR_INVALID_OPTION", '`codec` must be "sealed", "signed" or a Codec');
}

function isEmpty(record: SessionRecord): boolean {
  if (record.meta.userId !== undefined) return false;
  for (const _ in record.data) return false;
  for (const _ in record.flash) return false;
  return true;
}

/**
 * What tessera needs from a Fetch API request: the cookie header, whether it came over HTTPS (the connection's
 * scheme when the server knows it, else the URL's; `X-Forwarded-Proto` only from trusted proxies) and its User-Agent.
 *
 * @example
 * factsOf(request, false).secure;
 */
export function factsOf(request: Request, trustProxy: boolean | number, connectionSecure?: boolean): RequestFacts {
  const headers = request.headers;
  const secure = forwardedSecure(connectionSecure ?? request.url.startsWith("https:"), headers.get("x-forwarded-proto"), hopsOf(trustProxy));
  return { cookie: headers.get("cookie"), secure, userAgent: headers.get("user-agent") };
}

/**
 * Applies a commit's header changes to a Fetch API response, copying it when its headers are immutable
 * (as `Response.redirect` makes them).
 *
 * @example
 * return applyChanges(response, await sessions.commitHeaders(session));
 */
export function applyChanges(response: Response, changes: ResponseChanges): Response {
  try {
    writeHeaders(response.headers, changes);
    return response;
  } catch {
    const copy = new Response(response.body, { status: response.status, statusText: response.statusText, headers: new Headers(response.headers) });
    writeHeaders(copy.headers, changes);
    return copy;
  }
}

function writeHeaders(headers: Headers, changes: ResponseChanges): void {
  const vary = varyWithCookie(headers.get("vary"));
  if (vary !== undefined) headers.set("vary", vary);
  for (const value of changes.setCookie) headers.append("set-cookie", value);
  if (changes.noStore) headers.set("cache-control", "no-store");
}

/** A `Vary` list that names Cookie (or `*`). */
const varyCookieRegExp = /(^|,)\s*(cookie|\*)\s*(,|$)/i;

/**
 * The `Vary` header value to set so that it includes Cookie, or `undefined` when it already does.
 *
 * @example
 * varyWithCookie("Accept-Encoding"); // "Accept-Encoding, Cookie"
 */
export function varyWithCookie(vary: string | null | undefined): string | undefined {
  if (!vary) return "Cookie";
  return varyCookieRegExp.test(vary) ? undefined : `${vary}, Cookie`;
}
