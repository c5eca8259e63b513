// Store mode: the cookie holds a tagged random token, the record lives in a store under the token's hash.

import { setBounded } from "../core/bounded.js";
import { TesseraError } from "../core/errors.js";
import { checkTimeouts, isTouchDue } from "../core/policy.js";
import type { SessionMeta, SessionRecord } from "../core/record.js";
import type { Awaitable } from "../core/store.js";
import { currentRecord, isEmptyRecord, replayChanges, type SessionState } from "../core/session.js";
import { isPromise } from "../crypto/backend.js";
import { openTaggedToken, tagToken } from "../crypto/token-tag.js";
import { createToken, hashToken } from "../crypto/tokens.js";
import type { SessionMode } from "./mode.js";
import { limits, type ResolvedOptions } from "./options.js";
import { withCallOptions, type Records, type VersionedRecord } from "./records.js";
import type { CookieIssuer } from "./cookie-issuer.js";
import { setting, unchanged, type ResponseChanges } from "./changes.js";
import { createWriteQueue } from "./write-queue.js";
import { createRenewals, type Successor } from "./renewal.js";
import { replayChecked } from "./data-schema.js";

/** What a writer leaves for the next writer of the same session in this process: the record as written, or its end. */
type Written = VersionedRecord | "gone";

/**
 * A writer's answer when the token it holds was renewed by another request meanwhile: the state now holds the
 * successor, and the write is done again there, outside the old token's queue.
 */
const following = Symbol("following");

/**
 * Store mode. Writes to one session from this process take turns, each starting from what the one before it wrote,
 * so they never lose a compare-and-set to each other; only writers in other processes race, and a conflict with
 * one is resolved by replaying this request's changes onto the fresher record.
 *
 * @example
 * const mode = storeMode(resolved, cookies, createRecords(store, resolved));
 */
export function storeMode(resolved: ResolvedOptions, cookies: CookieIssuer, records: Records): SessionMode {
  const { ring, policy, emit, maxRecordBytes, renewal, data: rules } = resolved;
  const { call, store } = records;
  const inTurn = createWriteQueue<Written>();
  /**
   * Cookie values whose tag verified, by cookie name and value, with their at-rest id: a user's next request skips
   * the tag's HMAC and the SHA-256 (together about 40 % of loading a session from the memory store). Only values
   * that verified are kept, so a forged one never enters; bounded, oldest first out.
   */
  const verified = new Map<string, { keyIndex: number; id: string }>();
  const remember = (name: string, value: string, keyIndex: number, id: string): { keyIndex: number; id: string } => {
    const entry = { keyIndex, id };
    setBounded(verified, `${name}\u0000${value}`, entry, limits.verifiedTokenCacheSize);
    return entry;
  };
  /** `withId` for the request's own token, whose id its load already computed. */
  const withStateId = <T>(state: SessionState, fn: (id: string) => Promise<T>): Promise<T> => {
    const id = verified.get(`${cookies.nameFor(state)}\u0000${state.token!}`)?.id;
    return id === undefined ? withId(state.token!, fn) : fn(id);
  };
  const renewals = createRenewals(resolved, records, renewal);

  /** A new cookie value: a fresh token, tagged for the name it will be set under. */
  const newToken = (state: SessionState): Awaitable<string> => tagToken(ring, cookies.nameFor(state), createToken());

  /**
   * Writes `record` under a new token, seen now; a sign-in or a session started after `destroy` starts its
   * absolute timeout afresh.
   */
  const writeNew = async (state: SessionState, record: SessionRecord, now: number): Promise<{ token: string; id: string; meta: SessionMeta }> => {
    const meta: SessionMeta = { ...record.meta, lastSeenAt: now };
    if (state.signedIn || state.destroyed) meta.createdAt = now;
    // Every new token starts its renewal clock; without renewal no record carries one.
    if (renewal) meta.issuedAt = now;
    else delete meta.issuedAt;
    const text = records.encode({ ...record, meta });
    const tagged = newToken(state);
    const token = isPromise(tagged) ? await tagged : tagged;
    const hashed = hashToken(token);
    const id = isPromise(hashed) ? await hashed : hashed;
    const created = await call("create", (s, io) => s.create(id, text, records.writeOptions(meta, io)));
    // 256 random bits do not collide; a store answering "taken" is broken, and we fail closed.
    if (!created) throw new TesseraError("ERR_SESSION_CONFLICT", "the store refused a new session id");
    return { token, id, meta };
  };

  /** A user binding made by `signIn` in this request, carried onto a fresher record. */
  const withSignIn = (record: SessionRecord, state: SessionState): SessionRecord => {
    if (!state.signedIn) return record;
    const meta: SessionMeta = { ...record.meta, userId: state.base.meta.userId };
    if (state.base.meta.userAgent !== undefined) meta.userAgent = state.base.meta.userAgent;
    else delete meta.userAgent;
    return { ...record, meta };
  };

  /** The record an earlier writer of this process wrote after `state` was loaded, if any. */
  const newerThanLoaded = (last: Written | undefined, state: SessionState): Written | undefined =>
    last === "gone" || (last !== undefined && last.version > state.version!) ? last : undefined;

  /**
   * Deletes the record of a token `destroy` ended; the writers queued behind learn that it is gone. With renewal, a
   * token renewed meanwhile takes the session it was renewed to with it.
   */
  const retire = (token: string): Promise<void> =>
    withId(token, (id) => inTurn(id, async (turn) => {
      if (renewal) await renewals.retire(id);
      else await call("delete", (s, io) => s.delete(id, io));
      turn.last = "gone";
    }));

  /**
   * Another request renewed the token this one holds: from now on the request is the successor's, its changes
   * replayed onto the successor as loaded (a sign-in made here carried along), and the response hands the browser
   * the successor's cookie.
   */
  const adopt = (state: SessionState, successor: Successor): void => {
    const merged = withSignIn(replayChanges(successor.record, state.changes), state);
    state.token = successor.token;
    state.version = successor.version;
    state.base = { data: successor.record.data, flash: successor.record.flash, meta: merged.meta };
    state.data = merged.data;
    state.staleKey = successor.keyIndex > 0;
    state.followed = true;
  };

  /** The response of a request whose session was renewed by another: the successor's cookie, written if need be. */
  const afterFollowing = (state: SessionState, now: number, hops: number): Promise<ResponseChanges> => {
    checkHops(hops);
    const changed = state.changes.length > 0 || state.signedIn;
    if (state.rotate) return rotate(state, now, hops);
    if (changed || isTouchDue(state.base.meta, now, policy)) return update(state, now, hops);
    return Promise.resolve(setting(cookies.set(state, state.token!, state.base.meta, now)));
  };

  /**
   * The request's session was destroyed, revoked or rotated by another request: nothing is issued. No cookie either:
   * the browser holds the deletion or another response's new id, which this response must not overwrite.
   */
  const endAnonymous = (state: SessionState): ResponseChanges => {
    emit({ type: "session_gone" });
    state.token = undefined;
    state.version = undefined;
    return unchanged;
  };

  /** A new record under a new token: a first write, or data set after `destroy`. */
  const create = async (state: SessionState, record: SessionRecord, now: number): Promise<ResponseChanges> => {
    const { token, meta } = await writeNew(state, record, now);
    state.token = token;
    state.version = 1;
    emit({ type: "session_created", store: store.name });
    return setting(cookies.set(state, token, meta, now));
  };

  /** Writes the request's changes (or a sliding renewal) to the loaded record, by compare-and-set. */
  const update = async (state: SessionState, now: number, hops = 0): Promise<ResponseChanges> => {
    const changed = state.changes.length > 0 || state.signedIn;
    // A new cookie lifetime ("remember me") reaches the browser only with a new Set-Cookie, and so does a successor.
    const reissue = state.followed || state.changes.some((change) => change.kind === "persistent");
    const token = state.token!;
    const result = await withStateId(state, (id) => inTurn(id, async (turn): Promise<ResponseChanges | typeof following> => {
      let record = currentRecord(state);
      let version = state.version!;
      let touch = isTouchDue(state.base.meta, now, policy);
      const newer = newerThanLoaded(turn.last, state);
      if (newer === "gone") {
        emit({ type: "session_gone" });
        return unchanged;
      }
      if (newer !== undefined) {
        // An earlier request of this process wrote the session after this one loaded it: build on what it wrote.
        touch = isTouchDue(newer.record.meta, now, policy);
        if (!changed && !touch) return unchanged;
        record = await replayChecked(rules, newer.record, state.changes);
        version = newer.version;
      }
      for (let attempt = 1; ; attempt++) {
        const meta: SessionMeta = touch ? { ...record.meta, lastSeenAt: Math.max(now, record.meta.lastSeenAt) } : record.meta;
        const next: SessionRecord = { ...record, meta };
        const text = records.encode(next);
        const written = await call("update", (s, io) => s.update(id, text, version, records.writeOptions(meta, io)));
        if (written !== undefined) {
          state.version = written;
          turn.last = { record: next, version: written };
          return touch || reissue ? setting(cookies.set(state, token, meta, now)) : unchanged;
        }
        emit({ type: "write_conflict", attempt });
        turn.last = undefined;
        const current = await renewals.readCurrent(id, cookies.nameFor(state), now);
        if (current === undefined) {
          // Destroyed, rotated or expired by another request while this one ran: never written back. No cookie
          // either: the browser already holds the deletion, or the rotated id another response carried.
          emit({ type: "session_gone" });
          return unchanged;
        }
        if (current.successor !== undefined) {
          // Renewed by another request while this one ran: its changes go to the successor.
          adopt(state, current.successor);
          return following;
        }
        const fresh = current.found;
        if (!changed) return unchanged;
        checkAttempts(attempt);
        record = await replayChecked(rules, fresh.record, state.changes);
        version = fresh.version;
        await backOff(attempt);
      }
    }));
    return result === following ? afterFollowing(state, now, hops + 1) : result;
  };

  /**
   * A new id for a loaded session (regenerate, signIn, a token tagged under an older secret). The new record is
   * written first, then the old one deleted only if it is still there at the version this request knows. A session
   * destroyed or revoked meanwhile has no old record to delete: the new one is removed again and the request ends
   * anonymous, so revocation is final whatever is in flight. Written in that order, a revocation at any moment
   * finds the old record or the new one.
   */
  const rotate = async (state: SessionState, now: number, hops = 0): Promise<ResponseChanges> => {
    const result = await withStateId(state, (oldId) => inTurn(oldId, async (turn): Promise<ResponseChanges | typeof following> => {
      let record = currentRecord(state);
      let version = state.version!;
      const newer = newerThanLoaded(turn.last, state);
      if (newer === "gone") return endAnonymous(state);
      if (newer !== undefined) {
        record = withSignIn(await replayChecked(rules, newer.record, state.changes), state);
        version = newer.version;
      }
      for (let attempt = 1; ; attempt++) {
        const written = isEmptyRecord(record) ? undefined : await writeNew(state, record, now);
        const retired = await call("delete", (s, io) => s.delete(oldId, withCallOptions(io, { expectedVersion: version })));
        if (retired) {
          turn.last = "gone";
          if (written === undefined) {
            state.token = undefined;
            state.version = undefined;
            return state.hadCookie ? setting(cookies.clear(state, now)) : unchanged;
          }
          state.token = written.token;
          state.version = 1;
          emit({ type: "session_created", store: store.name });
          return setting(cookies.set(state, written.token, written.meta, now));
        }
        turn.last = undefined;
        if (written !== undefined) await call("delete", (s, io) => s.delete(written.id, io));
        const current = await renewals.readCurrent(oldId, cookies.nameFor(state), now);
        if (current === undefined) return endAnonymous(state);
        if (current.successor !== undefined) {
          // Renewed by another request meanwhile: the successor is the one to rotate away from.
          adopt(state, current.successor);
          return following;
        }
        const fresh = current.found;
        // Another request wrote the session meanwhile: carry its changes and ours to the new id.
        emit({ type: "write_conflict", attempt });
        checkAttempts(attempt);
        record = withSignIn(await replayChecked(rules, fresh.record, state.changes), state);
        version = fresh.version;
        await backOff(attempt);
      }
    }));
    return result === following ? afterFollowing(state, now, hops + 1) : result;
  };

  /**
   * Moves a session whose token is `renewAfter` old to a new token (`renewAfter`), with this request's changes. The
   * new record is written first; then the old one becomes, by compare-and-set at the version this request knows, a
   * forwarder to it for `renewalGrace`. Only one of two renewing requests wins that compare-and-set: the other
   * removes its new record again and follows the winner's forwarder, so there are never two live successors. A
   * session destroyed or revoked meanwhile has no old record to turn: the new one is removed and the request ends
   * anonymous, as for `regenerate`.
   */
  const renew = async (state: SessionState, now: number): Promise<ResponseChanges> => {
    const result = await withStateId(state, (oldId) => inTurn(oldId, async (turn): Promise<ResponseChanges | typeof following> => {
      let record = currentRecord(state);
      let version = state.version!;
      const newer = newerThanLoaded(turn.last, state);
      if (newer === "gone") return endAnonymous(state);
      if (newer !== undefined) {
        record = await replayChecked(rules, newer.record, state.changes);
        version = newer.version;
      }
      for (let attempt = 1; ; attempt++) {
        const written = await writeNew(state, record, now);
        const forwarder = await renewals.forwarder(record.meta, oldId, written.token, written.id, now);
        const text = records.encode(forwarder);
        // Writers queued behind on the old token lose their compare-and-set, read the forwarder and follow it.
        turn.last = undefined;
        const moved = await call("update", (s, io) => s.update(oldId, text, version, renewals.forwarderWriteOptions(forwarder, io)));
        if (moved !== undefined) {
          state.token = written.token;
          state.version = 1;
          emit({ type: "session_renewed" });
          return setting(cookies.set(state, written.token, written.meta, now));
        }
        await call("delete", (s, io) => s.delete(written.id, io));
        const current = await renewals.readCurrent(oldId, cookies.nameFor(state), now);
        if (current === undefined) return endAnonymous(state);
        if (current.successor !== undefined) {
          // Another request renewed it first: this one's changes go to that successor.
          adopt(state, current.successor);
          return following;
        }
        emit({ type: "write_conflict", attempt });
        checkAttempts(attempt);
        record = await replayChecked(rules, current.found.record, state.changes);
        version = current.found.version;
        await backOff(attempt);
      }
    }));
    return result === following ? afterFollowing(state, now, 1) : result;
  };

  return {
    name: store.name,
    maxValueBytes: maxRecordBytes,
    async load(values, state, now, reject) {
      const name = cookies.nameFor(state);
      let lookups = 0;
      for (const value of values) {
        // The tag is checked before any store read: a value this app did not make costs no lookup.
        // On node:crypto the tag check and the hash are synchronous, and this path takes no extra turn of the event loop.
        let known = verified.get(`${name}\u0000${value}`);
        if (known === undefined) {
          const opened = openTaggedToken(ring, name, value);
          const keyIndex = isPromise(opened) ? await opened : opened;
          if (keyIndex === undefined) {
            reject("malformed_token");
            continue;
          }
          const hashed = hashToken(value);
          known = remember(name, value, keyIndex, isPromise(hashed) ? await hashed : hashed);
        }
        if (++lookups > limits.maxLookups) break;
        const { keyIndex, id } = known;
        const found = await records.read(id);
        if (found === undefined) {
          reject("unknown_session");
          continue;
        }
        if (found.record.forward !== undefined) {
          // A token renewed moments ago, still in its grace: the session is its successor's.
          const successor = await renewals.follow(id, found.record.forward, name, now);
          if (typeof successor === "string") {
            reject(successor);
            continue;
          }
          state.followed = true;
          return { record: successor.record, token: successor.token, version: successor.version, staleKey: successor.keyIndex > 0 };
        }
        const verdict = checkTimeouts(found.record.meta, now, policy);
        if (verdict !== "valid") {
          reject(verdict);
          continue;
        }
        resolved.keyOpened?.(keyIndex);
        // Tagged under an older secret: the session moves to a token tagged under the first one at commit.
        return { record: found.record, token: value, version: found.version, staleKey: keyIndex > 0 };
      }
      return undefined;
    },
    async commit(state, now) {
      if (state.retiring !== undefined) {
        await retire(state.retiring);
        state.retiring = undefined;
      }
      if (state.token === undefined) {
        const record = currentRecord(state);
        if (isEmptyRecord(record)) return state.hadCookie && (state.destroyed || state.rotate) ? setting(cookies.clear(state, now)) : unchanged;
        return create(state, record, now);
      }
      if (state.rotate || state.staleKey) {
        if (state.staleKey && !state.rotate) emit({ type: "cookie_reissued", reason: "key_rotation" });
        return rotate(state, now);
      }
      if (!state.followed && renewals.isDue(state.base.meta, now) && !isEmptyRecord(currentRecord(state))) return renew(state, now);
      const changed = state.changes.length > 0 || state.signedIn;
      if (!changed && !isTouchDue(state.base.meta, now, policy)) {
        // Reached through a renewed token's forwarder: the browser gets the successor even when nothing was written.
        return state.followed ? setting(cookies.set(state, state.token, state.base.meta, now)) : unchanged;
      }
      return update(state, now);
    },
  };
}

/**
 * Runs `fn` with the at-rest id of `token`. On node:crypto the hash is synchronous and `fn` starts in this same
 * turn, so writers enter the write queue in the order their requests committed.
 */
function withId<T>(token: string, fn: (id: string) => Promise<T>): Promise<T> {
  const id = hashToken(token);
  return isPromise(id) ? id.then(fn) : fn(id);
}

/** Following renewed tokens from one commit at most this often; a successor renewed again so soon is a conflict. */
function checkHops(hops: number): void {
  if (hops > limits.maxRenewalHops) {
    throw new TesseraError("ERR_SESSION_CONFLICT", "the session's token was renewed again and again while this request wrote it");
  }
}

function checkAttempts(attempt: number): void {
  if (attempt >= limits.maxWriteAttempts) {
    throw new TesseraError("ERR_SESSION_CONFLICT", `session write lost ${attempt} compare-and-set races in a row`);
  }
}

/** Another process won the race: back off a little, with jitter, so racing writers do not move in step. */
async function backOff(attempt: number): Promise<void> {
  if (attempt > 1) await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(100, 2 ** attempt)));
}
