// Store mode: the cookie holds a tagged random token, the record lives in a store under the token's hash.

import { TesseraError } from "../core/errors.js";
import { checkTimeouts, isTouchDue } from "../core/policy.js";
import type { SessionMeta, SessionRecord } from "../core/record.js";
import type { Awaitable } from "../core/store.js";
import { currentRecord, isEmptyRecord, type SessionState } from "../core/session.js";
import { isPromise } from "../crypto/backend.js";
import { openTaggedToken, tagToken } from "../crypto/token-tag.js";
import { createToken, hashToken } from "../crypto/tokens.js";
import type { SessionMode } from "./mode.js";
import { limits, type ResolvedOptions } from "./options.js";
import { withCallOptions, type Records, type VersionedRecord } from "./records.js";
import type { CookieIssuer } from "./cookie-issuer.js";
import { setting, unchanged, type ResponseChanges } from "./changes.js";
import { createWriteQueue } from "./write-queue.js";
import { replayChecked } from "./data-schema.js";

/** What a writer leaves for the next writer of the same session in this process: the record as written, or its end. */
type Written = VersionedRecord | "gone";

/**
 * Store mode. Writes to one session from this process take turns, each starting from what the one before it wrote,
 * so they never lose a compare-and-set to each other; only writers in other processes race, and a conflict with
 * one is resolved by replaying this request's changes onto the fresher record.
 *
 * @example
 * const mode = storeMode(resolved, cookies, createRecords(store, resolved));
 */
export function storeMode(resolved: ResolvedOptions, cookies: CookieIssuer, records: Records): SessionMode {
  const { ring, policy, emit, maxRecordBytes, data: rules } = resolved;
  const { call, store } = records;
  const inTurn = createWriteQueue<Written>();

  /** A new cookie value: a fresh token, tagged for the name it will be set under. */
  const newToken = (state: SessionState): Awaitable<string> => tagToken(ring, cookies.nameFor(state), createToken());

  /**
   * Writes `record` under a new token, seen now; a sign-in or a session started after `destroy` starts its
   * absolute timeout afresh.
   */
  const writeNew = async (state: SessionState, record: SessionRecord, now: number): Promise<{ token: string; meta: SessionMeta }> => {
    const meta: SessionMeta = { ...record.meta, lastSeenAt: now };
    if (state.signedIn || state.destroyed) meta.createdAt = now;
    const text = records.encode({ ...record, meta });
    const tagged = newToken(state);
    const token = isPromise(tagged) ? await tagged : tagged;
    const hashed = hashToken(token);
    const id = isPromise(hashed) ? await hashed : hashed;
    const created = await call("create", (s, io) => s.create(id, text, records.writeOptions(meta, io)));
    // 256 random bits do not collide; a store answering "taken" is broken, and we fail closed.
    if (!created) throw new TesseraError("ERR_SESSION_CONFLICT", "the store refused a new session id");
    return { token, meta };
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

  /** Deletes the record of a token `destroy` ended; the writers queued behind learn that it is gone. */
  const retire = (token: string): Promise<void> =>
    withId(token, (id) => inTurn(id, async (turn) => {
      await call("delete", (s, io) => s.delete(id, io));
      turn.last = "gone";
    }));

  /** A new record under a new token: a first write, or data set after `destroy`. */
  const create = async (state: SessionState, record: SessionRecord, now: number): Promise<ResponseChanges> => {
    const { token, meta } = await writeNew(state, record, now);
    state.token = token;
    state.version = 1;
    emit({ type: "session_created", store: store.name });
    return setting(cookies.set(state, token, meta, now));
  };

  /** Writes the request's changes (or a sliding renewal) to the loaded record, by compare-and-set. */
  const update = (state: SessionState, now: number): Promise<ResponseChanges> => {
    const changed = state.changes.length > 0 || state.signedIn;
    // A new cookie lifetime ("remember me") reaches the browser only with a new Set-Cookie.
    const reissue = state.changes.some((change) => change.kind === "persistent");
    const token = state.token!;
    return withId(token, (id) => inTurn(id, async (turn) => {
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
        const fresh = await records.readLive(id, now);
        if (fresh === undefined) {
          // Destroyed, rotated or expired by another request while this one ran: never written back. No cookie
          // either: the browser already holds the deletion, or the rotated id another response carried.
          emit({ type: "session_gone" });
          return unchanged;
        }
        if (!changed) return unchanged;
        checkAttempts(attempt);
        record = await replayChecked(rules, fresh.record, state.changes);
        version = fresh.version;
        await backOff(attempt);
      }
    }));
  };

  /**
   * A new id for a loaded session (regenerate, signIn, a token tagged under an older secret). The new record is
   * written first, then the old one deleted only if it is still there at the version this request knows. A session
   * destroyed or revoked meanwhile has no old record to delete: the new one is removed again and the request ends
   * anonymous, so revocation is final whatever is in flight. Written in that order, a revocation at any moment
   * finds the old record or the new one.
   */
  const rotate = (state: SessionState, now: number): Promise<ResponseChanges> => withId(state.token!, (oldId) => {
    const endAnonymous = (): ResponseChanges => {
      // Destroyed, revoked or rotated by another request: nothing is issued. No cookie either: the browser holds
      // the deletion or another response's new id, which this response must not overwrite.
      emit({ type: "session_gone" });
      state.token = undefined;
      state.version = undefined;
      return unchanged;
    };
    return inTurn(oldId, async (turn) => {
      let record = currentRecord(state);
      let version = state.version!;
      const newer = newerThanLoaded(turn.last, state);
      if (newer === "gone") return endAnonymous();
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
        if (written !== undefined) {
          const writtenId = await hashToken(written.token);
          await call("delete", (s, io) => s.delete(writtenId, io));
        }
        const fresh = await records.readLive(oldId, now);
        if (fresh === undefined) return endAnonymous();
        // Another request wrote the session meanwhile: carry its changes and ours to the new id.
        emit({ type: "write_conflict", attempt });
        checkAttempts(attempt);
        record = withSignIn(await replayChecked(rules, fresh.record, state.changes), state);
        version = fresh.version;
        await backOff(attempt);
      }
    });
  });

  return {
    name: store.name,
    maxValueBytes: maxRecordBytes,
    async load(values, state, now, reject) {
      const name = cookies.nameFor(state);
      let lookups = 0;
      for (const value of values) {
        // The tag is checked before any store read: a value this app did not make costs no lookup.
        // On node:crypto the tag check and the hash are synchronous, and this path takes no extra turn of the event loop.
        const opened = openTaggedToken(ring, name, value);
        const keyIndex = isPromise(opened) ? await opened : opened;
        if (keyIndex === undefined) {
          reject("malformed_token");
          continue;
        }
        if (++lookups > limits.maxLookups) break;
        const id = hashToken(value);
        const found = await records.read(isPromise(id) ? await id : id);
        if (found === undefined) {
          reject("unknown_session");
          continue;
        }
        const verdict = checkTimeouts(found.record.meta, now, policy);
        if (verdict !== "valid") {
          reject(verdict);
          continue;
        }
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
      const changed = state.changes.length > 0 || state.signedIn;
      if (!changed && !isTouchDue(state.base.meta, now, policy)) return unchanged;
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

function checkAttempts(attempt: number): void {
  if (attempt >= limits.maxWriteAttempts) {
    throw new TesseraError("ERR_SESSION_CONFLICT", `session write lost ${attempt} compare-and-set races in a row`);
  }
}

/** Another process won the race: back off a little, with jitter, so racing writers do not move in step. */
async function backOff(attempt: number): Promise<void> {
  if (attempt > 1) await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(100, 2 ** attempt)));
}
