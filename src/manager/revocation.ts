// Cookie mode's revocation: one small record per user in a store, refusing cookies signed in before its epoch and copies of sessions signed out.

import { setBounded } from "../core/bounded.js";
import { toBase64url } from "../core/bytes.js";
import { TesseraError } from "../core/errors.js";
import type { SessionMeta } from "../core/record.js";
import type { SessionState } from "../core/session.js";
import type { StoredSession, StoreWriteOptions } from "../core/store.js";
import { runtimeBackend } from "../crypto/runtime.js";
import { randomBytes } from "../crypto/tokens.js";
import { limits, type ResolvedOptions } from "./options.js";
import { createRecords, withCallOptions } from "./records.js";

/** What a user's revocation record says. */
interface Revoked {
  /** Every cookie session of the user signed in before this moment (epoch ms, `createdAt < epoch`) is refused; 0 for none. */
  epoch: number;
  /** The one session `revokeUserSessions` was told to keep (`except`): it outlives the epoch. */
  except: string | undefined;
  /** Sessions signed out one by one, each with the moment no copy of it can be alive any more (epoch ms). */
  sessions: Map<string, number>;
}

/** The record as stored text: v format, e epoch, x the excepted session, r revoked session ids with their end. */
interface RevokedWire {
  v: 1;
  e: number;
  x?: string;
  r: Record<string, number>;
}

/**
 * Fail closed: a record that does not decode (the store's text was damaged) refuses every session of its user signed
 * in so far; the next revocation replaces it.
 */
const unreadable = (now: number): Revoked => ({ epoch: now + 1, except: undefined, sessions: new Map() });

/** Bytes in a cookie session's id: 128 bits, beyond guessing, and 22 characters in the cookie. */
const sessionIdBytes = 16;

/** The purpose a revocation record's id is hashed under, so it never equals a session's id (SHA-256 of a token). */
const recordPurpose = "tessera/revocation\u0000";

/** The revocation side of cookie mode, as the manager uses it. */
export interface Revocation {
  /**
   * Whether a signed-in cookie session is refused: signed in before its user's epoch (unless it is the one kept), or
   * signed out by id. Reads the user's record at most once per `cacheFor`, answering synchronously from the cache.
   * Throws (or rejects with) `StoreUnavailableError`.
   */
  refuses(meta: SessionMeta, now: number): boolean | Promise<boolean>;
  /** Refuses every cookie of `userId` signed in until now, except the session `exceptId`. */
  revokeUser(userId: string, exceptId: string | undefined, now: number): Promise<void>;
  /**
   * Refuses every copy of the session `sessionId` until `until` (epoch ms), when none can be alive. Answers false
   * when it was already refused by id.
   */
  revokeSession(userId: string, sessionId: string, until: number, now: number): Promise<boolean>;
}

/**
 * A new session id for a signed-in cookie session (`meta.sessionId`).
 *
 * @example
 * meta.sessionId = createSessionId(); // 22 base64url characters
 */
export function createSessionId(): string {
  return toBase64url(randomBytes(sessionIdBytes));
}

/** Requests whose sign-in was given its id before commit (`idOfThisSignIn`): the commit keeps that id. */
const givenEarly = new WeakSet<SessionState>();

/**
 * The id a sign-in made in this request will carry, given now rather than at commit, so it can be kept as `except`
 * by `revokeUserSessions` called before the commit (a login that signs out every other device).
 *
 * @example
 * const exceptId = state.signedIn ? idOfThisSignIn(state) : state.base.meta.sessionId;
 */
export function idOfThisSignIn(state: SessionState): string {
  if (!givenEarly.has(state) || state.base.meta.sessionId === undefined) {
    state.base = { ...state.base, meta: { ...state.base.meta, sessionId: createSessionId() } };
    givenEarly.add(state);
  }
  return state.base.meta.sessionId!;
}

/**
 * Whether the commit must give the session a new id: a sign-in in this request whose id was not given early, or a
 * signed-in session without one (signed in before revocation was turned on).
 *
 * @example
 * if (needsSessionId(state, meta)) meta = { ...meta, sessionId: createSessionId() };
 */
export function needsSessionId(state: SessionState, meta: SessionMeta): boolean {
  return meta.sessionId === undefined || (state.signedIn && !givenEarly.has(state));
}

/**
 * The revocation records in `resolved.revocation.store`, each store call under `storeTimeout`, with a cache of the
 * records read (per user, at most `revocationCacheSize` users, each for `cacheFor`). A write made here updates the
 * cache at once, so this process refuses a revoked cookie from the next request on.
 *
 * @example
 * const revocation = createRevocation(resolved);
 * if (meta.userId !== undefined && (await revocation.refuses(meta, now))) reject("revoked");
 */
export function createRevocation(resolved: ResolvedOptions): Revocation {
  const { store, cacheForMs } = resolved.revocation!;
  const { emit, policy } = resolved;
  const { call } = createRecords(store, resolved);
  const cached = new Map<string, { revoked: Revoked | undefined; until: number }>();
  const reading = new Map<string, Promise<Revoked | undefined>>();

  const remember = (userId: string, revoked: Revoked | undefined, now: number): void => {
    reading.delete(userId);
    if (cacheForMs === 0) return;
    cached.delete(userId);
    setBounded(cached, userId, { revoked, until: now + cacheForMs }, limits.revocationCacheSize);
  };

  const opened = (stored: StoredSession | undefined, now: number): Revoked | undefined => {
    if (stored === undefined) return undefined;
    const revoked = decode(stored.text);
    if (revoked !== undefined) return revoked;
    emit({ type: "record_rejected", reason: "bad_payload" });
    return unreadable(now);
  };

  const read = async (userId: string, now: number): Promise<Revoked | undefined> => {
    const id = await recordId(userId);
    return opened(await call("get", (s, io) => s.get(id, io)), now);
  };

  /** The user's record, from the cache while it is fresh; concurrent requests of one user share one read. */
  const current = (userId: string, now: number): Revoked | undefined | Promise<Revoked | undefined> => {
    const hit = cached.get(userId);
    if (hit !== undefined && now < hit.until) return hit.revoked;
    const pending = reading.get(userId);
    if (pending !== undefined) return pending;
    const fresh = read(userId, now).then(
      (revoked) => {
        // A write made here while this read ran already put the newer record in the cache.
        if (reading.get(userId) === fresh) remember(userId, revoked, now);
        return revoked;
      },
      (error: unknown) => {
        if (reading.get(userId) === fresh) reading.delete(userId);
        throw error;
      },
    );
    reading.set(userId, fresh);
    return fresh;
  };

  /** Compare-and-set: reads the record, applies `change`, writes it at the version read; again on a conflict. */
  const write = async (userId: string, now: number, change: (revoked: Revoked | undefined) => Revoked | undefined): Promise<boolean> => {
    const id = await recordId(userId);
    for (let attempt = 1; attempt <= limits.maxWriteAttempts; attempt++) {
      const stored = await call("get", (s, io) => s.get(id, io));
      const before = opened(stored, now);
      const after = change(before === undefined ? undefined : prune(before, now));
      if (after === undefined) {
        remember(userId, before, now);
        return false;
      }
      const text = encode(after);
      const at = endOf(after);
      const options = (io: object): StoreWriteOptions =>
        // No user: the record is not a session, and a store's user index must never list it.
        withCallOptions(io, { now, expiresAt: at, ttlSeconds: Math.max(1, Math.ceil((at - now) / 1000)), userId: undefined });
      const written =
        stored === undefined
          ? await call("create", (s, io) => s.create(id, text, options(io)))
          : (await call("update", (s, io) => s.update(id, text, stored.version, options(io)))) !== undefined;
      if (written) {
        remember(userId, after, now);
        return true;
      }
      emit({ type: "write_conflict", attempt });
    }
    throw new TesseraError("ERR_SESSION_CONFLICT", `the revocation record was changed by others ${limits.maxWriteAttempts} times in a row`);
  };

  /** When no cookie the record refuses can be alive any more: nothing signed in before the epoch outlives the absolute timeout. */
  const endOf = (revoked: Revoked): number => {
    let end = revoked.epoch + policy.absoluteMs;
    for (const until of revoked.sessions.values()) end = Math.max(end, until);
    return end;
  };

  return {
    refuses(meta, now) {
      const found = current(meta.userId!, now);
      return found instanceof Promise ? found.then((revoked) => judge(revoked, meta)) : judge(found, meta);
    },
    async revokeUser(userId, exceptId, now) {
      // Epoch one past now: a cookie signed in during this very millisecond, before the call, is refused too.
      await write(userId, now, (revoked) => ({
        epoch: now + 1,
        except: exceptId,
        sessions: revoked?.sessions ?? new Map<string, number>(),
      }));
      emit({ type: "sessions_revoked", scope: "user" });
    },
    async revokeSession(userId, sessionId, until, now) {
      const added = await write(userId, now, (revoked) => {
        if (revoked?.sessions.has(sessionId)) return undefined;
        const next: Revoked = revoked ?? { epoch: 0, except: undefined, sessions: new Map() };
        if (next.except === sessionId) next.except = undefined;
        if (next.sessions.size >= limits.maxRevokedSessions) {
          // The list is bounded: past it, the user's every session signed in until now is refused at once (kept
          // session included), which refuses this one too, and the list starts again.
          return { epoch: now + 1, except: undefined, sessions: new Map() };
        }
        next.sessions.set(sessionId, until);
        return next;
      });
      if (added) emit({ type: "sessions_revoked", scope: "session" });
      return added;
    },
  };
}

/** Whether `revoked` refuses the session `meta` describes. */
function judge(revoked: Revoked | undefined, meta: SessionMeta): boolean {
  if (revoked === undefined) return false;
  const id = meta.sessionId;
  if (id !== undefined && revoked.sessions.has(id)) return true;
  return meta.createdAt < revoked.epoch && (id === undefined || id !== revoked.except);
}

/** The id of `userId`'s revocation record: SHA-256 under its own purpose, base64url, shaped like any id at rest. */
function recordId(userId: string): string | Promise<string> {
  return runtimeBackend.sha256Base64url(recordPurpose + userId);
}

/** The record without the sessions that can no longer be alive. */
function prune(revoked: Revoked, now: number): Revoked {
  const sessions = new Map<string, number>();
  for (const [id, until] of revoked.sessions) if (until > now) sessions.set(id, until);
  return { epoch: revoked.epoch, except: revoked.except, sessions };
}

function encode(revoked: Revoked): string {
  const wire: RevokedWire = { v: 1, e: revoked.epoch, r: Object.fromEntries(revoked.sessions) };
  if (revoked.except !== undefined) wire.x = revoked.except;
  return JSON.stringify(wire);
}

/** The record back from its text, or undefined when it is not one this module wrote. */
function decode(text: string): Revoked | undefined {
  let wire: unknown;
  try {
    wire = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (wire === null || typeof wire !== "object") return undefined;
  const { v, e, x, r } = wire as Partial<RevokedWire>;
  if (v !== 1 || !Number.isSafeInteger(e) || (x !== undefined && typeof x !== "string")) return undefined;
  if (r === null || typeof r !== "object" || Array.isArray(r)) return undefined;
  const sessions = new Map<string, number>();
  for (const [id, until] of Object.entries(r)) {
    if (!Number.isSafeInteger(until)) return undefined;
    sessions.set(id, until);
  }
  return { epoch: e!, except: x, sessions };
}
