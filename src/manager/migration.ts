// The manager's migration hook: a legacy session read at load becomes a tessera session at commit, once.

import { checkEntry, type JsonValue } from "../core/data.js";
import { isStoreUnavailable, TesseraError } from "../core/errors.js";
import type { LegacySession, Migration, MigrationCallOptions, MigrationRejection } from "../core/migration.js";
import type { SessionMeta, SessionRecord } from "../core/record.js";
import { currentRecord, isEmptyRecord, type SessionState } from "../core/session.js";
import type { StoreCallOptions } from "../core/store.js";
import { hashToken } from "../crypto/tokens.js";
import { readCookieValues } from "../cookie/parse.js";
import type { ResponseChanges } from "./changes.js";
import type { MigrationSkip, SessionEvent } from "./events.js";
import { guard } from "./guard.js";
import type { RequestFacts } from "./sessions.js";

/** What the hook needs from the session manager; nothing else of the manager is reached. */
export interface MigrationHost {
  readonly migrations: readonly Migration[];
  /** Store mode (a claim record is written) or cookie mode. */
  readonly storeMode: boolean;
  readonly storeTimeoutMs: number;
  emit(event: SessionEvent): void;
  /** Throws `ERR_SESSION_TOO_LARGE` (store) or `ERR_COOKIE_TOO_LARGE` (cookie) for a record this app cannot keep. */
  checkSize(record: SessionRecord, state: SessionState, now: number): Promise<void>;
  /** Store mode: writes `record` under `id` at version 1; false when the id is taken. */
  createRecord(id: string, record: SessionRecord): Promise<boolean>;
  /** Store mode: removes the record under `id`. */
  deleteRecord(id: string): Promise<boolean>;
  /** The mode's own commit, for a session as it stands (a destroyed one's `retiring` record deleted). */
  commit(state: SessionState, now: number): Promise<ResponseChanges>;
}

/** The manager's side of migrations: called from `loadFrom` and `commitHeaders`. */
export interface Migrator {
  /** After the tessera cookie was tried: adopts a legacy session when there was no tessera one. */
  load(state: SessionState, facts: RequestFacts, now: number): Promise<void>;
  /**
   * The commit of every session (migrated or not, failed requests' included); adds the legacy cookies' deletion when
   * due. A migrated session the request destroyed ends its legacy session too.
   */
  commit(state: SessionState, now: number): Promise<ResponseChanges>;
}

/** A legacy session adopted by this request, to be written and retired at commit. */
interface Pending {
  migration: Migration;
  legacy: LegacySession;
  /** The record as migrated, before this request's changes. */
  record: SessionRecord;
  /**
   * The claim: a name derived from the legacy id alone, so every request carrying the same legacy cookie (in any
   * process) agrees on it. Its SHA-256 is the id of the claim record; it never reaches a cookie.
   */
  claim: string;
}

interface RequestMigration {
  /** Migrations whose cookies this response deletes. */
  clear: Migration[];
  pending: Pending | undefined;
}

/** The marker's name: written once a legacy session is migrated (or destroyed), so no request can migrate it again. */
const markerOf = (pending: Pending): string => `tessera.migrated.v1\u0000${pending.migration.name}\u0000${pending.legacy.id}`;

/** An empty record: the marker's body (never loaded as a session; no token hashes to its id). */
const emptyRecord = (now: number): SessionRecord => ({ data: {}, flash: {}, meta: { createdAt: now, lastSeenAt: now } });

/** Reasons after which the legacy cookie is dead for good and is deleted; other reasons may be a configuration error. */
const deadReasons = new Set<MigrationRejection | MigrationSkip>(["unknown_session", "expired", "tessera_session", "already_migrated"]);

/**
 * The migration hook, or `undefined` when `createSessions` got no migrations.
 *
 * Store mode: the legacy session is adopted at load (the request sees its data and user) and written at commit:
 * 1. A claim record, under an id derived from the legacy id alone, is created if absent.
 * 2. The session moves from the claim to a new random token exactly as `regenerate` moves a session (new record
 *    written, claim deleted only at its version). Of concurrent requests with one legacy cookie, in any number of
 *    processes, exactly one wins that compare-and-delete; the others end with no session cookie.
 * 3. The winner creates a marker record (also derived from the legacy id), atomically: only a request that creates
 *    it keeps its session. This closes the gap after the claim is gone, where a request that read the legacy session
 *    earlier (and ran slowly) could make a claim again, win it, and bring back a session signed out meanwhile.
 * 4. The winner retires the legacy record, and keeps its session only when that removed it.
 * A failure at any step leaves the legacy session in place and withdraws what this request wrote, so the next
 * request migrates again. Markers expire with the idle timeout.
 *
 * Cookie mode: the session is sealed into a new cookie and the legacy record retired; only the request whose
 * retirement removed it sets the cookie (one process takes turns per legacy id; across processes the legacy
 * store's read and delete are two steps, so two requests at the same instant can both get a cookie).
 *
 * @example
 * const migrator = createMigrator(host);
 * await migrator?.load(state, facts, now);
 */
export function createMigrator(host: MigrationHost): Migrator | undefined {
  const migrations = checkMigrations(host.migrations);
  if (migrations.length === 0) return undefined;
  const { emit } = host;
  const requests = new WeakMap<SessionState, RequestMigration>();

  const guarded = <T>(operation: string, now: number, fn: (options: MigrationCallOptions) => Promise<T>): Promise<T> =>
    guard(operation, host.storeTimeoutMs, (io: StoreCallOptions) => fn(Object.assign(Object.create(io) as StoreCallOptions, { now }))).catch(
      (error: unknown) => {
        if (isStoreUnavailable(error)) emit({ type: "store_error", operation, code: error.code });
        throw error;
      },
    );

  const retireLegacy = (pending: Pending, now: number): Promise<boolean> =>
    guarded(`${pending.migration.name}.retire`, now, (options) => pending.migration.retire(pending.legacy, options));

  const skip = (info: RequestMigration, migration: Migration, reason: MigrationRejection | MigrationSkip): void => {
    emit({ type: "migration_rejected", from: migration.name, reason });
    if (!deadReasons.has(reason)) info.clear = info.clear.filter((m) => m !== migration);
  };

  /** The legacy session as a tessera record, or the reason it cannot be one. */
  const toRecord = async (legacy: LegacySession, state: SessionState, now: number): Promise<SessionRecord | MigrationRejection> => {
    const data: Record<string, JsonValue> = {};
    if (legacy.data === null || typeof legacy.data !== "object") return "bad_data";
    try {
      // The same rules as `session.set`: plain JSON, no "__proto__"/"constructor" keys at any depth, bounded nesting.
      for (const key of Object.keys(legacy.data)) data[key] = checkEntry(key, legacy.data[key]);
    } catch (error) {
      if (error instanceof TesseraError && error.code === "ERR_INVALID_SESSION_DATA") return "bad_data";
      throw error;
    }
    const meta: SessionMeta = { createdAt: now, lastSeenAt: now };
    const userId = legacy.userId;
    if (userId !== undefined) {
      if (typeof userId !== "string" || userId.length === 0 || userId.length > 256) return "bad_data";
      meta.userId = userId;
      if (state.userAgent) meta.userAgent = state.userAgent.slice(0, 256);
    }
    const record: SessionRecord = { data, flash: {}, meta };
    try {
      await host.checkSize(record, state, now);
    } catch (error) {
      if (error instanceof TesseraError && (error.code === "ERR_SESSION_TOO_LARGE" || error.code === "ERR_COOKIE_TOO_LARGE")) return "too_large";
      throw error;
    }
    return record;
  };

  const withCleared = (changes: ResponseChanges, info: RequestMigration, state: SessionState): ResponseChanges => {
    if (info.clear.length === 0) return changes;
    const clearing = info.clear.flatMap((migration) => migration.clearCookies(state.secure));
    return { setCookie: [...changes.setCookie, ...clearing], vary: true, noStore: true };
  };

  const nothing: ResponseChanges = Object.freeze({ setCookie: [], vary: true, noStore: true }) as ResponseChanges;

  /** Store mode: claim record, move to a new token, marker record, retire the legacy record; see `createMigrator`. */
  const commitToStore = async (state: SessionState, pending: Pending, info: RequestMigration, now: number): Promise<ResponseChanges> => {
    const claimId = await hashToken(pending.claim);
    // Taken already means another request is migrating the same legacy session: both go on to the one race below.
    const claimed = await host.createRecord(claimId, pending.record);
    state.version = 1;
    state.rotate = true;
    const changes = await host.commit(state, now);
    const token = state.token;
    if (token === undefined || token === pending.claim) {
      // Lost the race for the claim (or it was revoked meanwhile): the winner's response carries the session and
      // deletes the legacy cookie, and this one must not overwrite either. A claim this request made and never
      // raced for (an earlier writer of this process had already moved it) goes.
      if (claimed) await host.deleteRecord(claimId).catch(() => undefined);
      state.token = undefined;
      emit({ type: "migration_rejected", from: pending.migration.name, reason: "already_migrated" });
      return changes;
    }
    const markerId = await hashToken(markerOf(pending));
    let marked = false;
    let retired = false;
    try {
      marked = await host.createRecord(markerId, emptyRecord(now));
      retired = marked && (await retireLegacy(pending, now));
    } catch (error) {
      // The legacy session stays, so the new one goes (and the marker with it): the next request migrates again,
      // and no session is left twice.
      await host.deleteRecord(await hashToken(token)).catch(() => undefined);
      if (marked) await host.deleteRecord(markerId).catch(() => undefined);
      state.token = undefined;
      throw error;
    }
    if (retired) {
      emit({ type: "session_migrated", from: pending.migration.name });
      return withCleared(changes, info, state);
    }
    // Marked already: a request migrated this legacy session earlier (this one had read it before), and may still be
    // retiring it, so its cookie is left alone. Marked now but the legacy record gone: it ended meanwhile (signed out).
    await host.deleteRecord(await hashToken(token));
    state.token = undefined;
    if (!marked) info.clear = info.clear.filter((m) => m !== pending.migration);
    skip(info, pending.migration, "already_migrated");
    return withCleared(nothing, info, state);
  };

  const commitToCookie = async (state: SessionState, pending: Pending, info: RequestMigration, now: number): Promise<ResponseChanges> => {
    state.token = undefined;
    const changes = await host.commit(state, now);
    if (!(await retireLegacy(pending, now))) {
      skip(info, pending.migration, "already_migrated");
      return withCleared(nothing, info, state);
    }
    emit({ type: "session_migrated", from: pending.migration.name });
    return withCleared(changes, info, state);
  };

  return {
    async load(state, facts, now) {
      const header = facts.cookie;
      if (!header) return;
      const present = migrations.filter((m) => m.cookieNames.some((name) => readCookieValues(header, name, 1).length > 0));
      if (present.length === 0) return;
      const info: RequestMigration = { clear: present, pending: undefined };
      requests.set(state, info);
      if (state.token !== undefined) {
        // A valid tessera session wins over any legacy cookie, which may have been planted beside it (cookie tossing
        // from a sibling subdomain): the legacy store is not read, nothing is merged, and the legacy cookie goes.
        for (const migration of present) skip(info, migration, "tessera_session");
        return;
      }
      for (const migration of present) {
        const lookup = await guarded(`${migration.name}.get`, now, (options) => migration.load(header, options));
        if (lookup.status === "none") {
          info.clear = info.clear.filter((m) => m !== migration);
          continue;
        }
        if (lookup.status === "rejected") {
          skip(info, migration, lookup.reason);
          continue;
        }
        const record = await toRecord(lookup.session, state, now);
        if (typeof record === "string") {
          skip(info, migration, record);
          continue;
        }
        state.base = record;
        state.data = { ...record.data };
        // A name for the claim, not a cookie value: it never leaves this process but as its SHA-256.
        state.token = `tessera.migrate.v1\u0000${migration.name}\u0000${lookup.session.id}`;
        info.pending = { migration, legacy: lookup.session, record, claim: state.token };
        return;
      }
    },

    async commit(state, now) {
      const info = requests.get(state);
      if (info === undefined) return host.commit(state, now);
      const pending = info.pending;
      info.pending = undefined;
      if (pending === undefined) return withCleared(await host.commit(state, now), info, state);
      if (state.destroyed) {
        // Signed out while migrating: the marker goes first (store mode), so a request migrating the same legacy
        // session meanwhile loses its race; the mode deletes the claim (`retiring`) and starts anew any data set
        // after the destroy; the legacy session ends. A failed request's destroy comes here too: it stays done.
        if (host.storeMode) await host.createRecord(await hashToken(markerOf(pending)), emptyRecord(now));
        const changes = await host.commit(state, now);
        await retireLegacy(pending, now);
        return withCleared(changes, info, state);
      }
      if (isEmptyRecord(currentRecord(state))) {
        // The request emptied the session: nothing to carry, but the legacy session ends all the same.
        state.token = undefined;
        const changes = await host.commit(state, now);
        await retireLegacy(pending, now);
        return withCleared(changes, info, state);
      }
      return host.storeMode ? commitToStore(state, pending, info, now) : commitToCookie(state, pending, info, now);
    },
  };
}

/** The `migrateFrom` option, checked at start-up. */
function checkMigrations(migrations: unknown): readonly Migration[] {
  if (!Array.isArray(migrations)) throw new TesseraError("ERR_INVALID_OPTION", "`migrateFrom` must be a list of migrations");
  migrations.forEach((migration: Partial<Migration> | null, index) => {
    const valid =
      migration !== null &&
      typeof migration === "object" &&
      typeof migration.name === "string" &&
      Array.isArray(migration.cookieNames) &&
      typeof migration.load === "function" &&
      typeof migration.retire === "function" &&
      typeof migration.clearCookies === "function";
    if (!valid) {
      throw new TesseraError("ERR_INVALID_OPTION", `\`migrateFrom[${index}]\` must be a migration, such as expressSessionMigration(...) from tessera/migrate`);
    }
  });
  return migrations as readonly Migration[];
}
