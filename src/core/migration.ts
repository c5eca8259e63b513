// The Migration contract: how another library's session (express-session, Flask-Session) is read once and retired.

import type { StoreCallOptions } from "./store.js";

/** A session another library kept, as a migration read it. */
export interface LegacySession {
  /**
   * The other library's id for it (its store key, after the cookie's signature was checked). Concurrent requests
   * carrying the same legacy cookie are told apart by it; it is hashed before any tessera store sees it.
   */
  readonly id: string;
  /** Its data, without the other library's own bookkeeping (express-session's `cookie`). Checked again by the manager. */
  readonly data: Readonly<Record<string, unknown>>;
  /** The user it is signed in to, if the migration can tell: the tessera session is bound to it (user index). */
  readonly userId?: string;
}

/** Why a legacy cookie did not give a session to migrate. */
export type MigrationRejection =
  /** The cookie is not this library's shape (express-session's `s:` prefix, a signature separator). */
  | "malformed"
  /** The signature matches none of the legacy secrets; the legacy store was not read. */
  | "bad_signature"
  /** The legacy store has no such session (never existed, expired there, or already migrated). */
  | "unknown_session"
  /** The legacy record says it has expired (express-session's `cookie.expires` in the past). */
  | "expired"
  /** The legacy record is larger than this app's sessions may be (`maxRecordBytes`, or the cookie limit). */
  | "too_large"
  /** The legacy record cannot be carried: not plain JSON, `__proto__` keys, too deep, or not decodable. */
  | "bad_data"
  /** The legacy record is in a format tessera refuses to read (Python pickle, which runs code when loaded). */
  | "unsupported_format";

/** What a migration found for one request. */
export type LegacyLookup =
  | { readonly status: "none" }
  | { readonly status: "rejected"; readonly reason: MigrationRejection }
  | { readonly status: "found"; readonly session: LegacySession };

/** What every migration call gets: the store call options (deadline, cancellation) and the manager's time. */
export interface MigrationCallOptions extends StoreCallOptions {
  /** The manager's clock (epoch ms), for legacy expiry checks. */
  now: number;
}

/**
 * Reads another library's session from a request once, so that a user moving to tessera stays signed in. The manager
 * calls `load` only for a request without a valid tessera session, turns what it finds into a tessera session, and
 * calls `retire` once that session is written; only the request whose `retire` ended the legacy session keeps it.
 * A migration throws (or rejects) when its backend fails; the manager turns that into `ERR_STORE_UNAVAILABLE`.
 *
 * @example
 * createSessions({ secrets, store, migrateFrom: [expressSessionMigration({ store: legacyStore, secrets: ["keyboard cat"] })] });
 */
export interface Migration {
  /** A short name for events, such as `"express-session"`. */
  readonly name: string;
  /** The cookies this library set; a request carrying none of them costs nothing. */
  readonly cookieNames: readonly string[];
  /** The legacy session a `Cookie` header carries. Checks the cookie's signature before any legacy store read. */
  load(cookieHeader: string, options: MigrationCallOptions): Promise<LegacyLookup>;
  /**
   * Ends the legacy session: `true` when this call removed it, `false` when it was already gone (another request
   * migrated it, or it ended meanwhile). Rejects when the legacy store fails.
   */
  retire(session: LegacySession, options: MigrationCallOptions): Promise<boolean>;
  /** `Set-Cookie` values deleting this library's cookies, with the Path and Domain it set them with. */
  clearCookies(secure: boolean): string[];
}

/**
 * A function that makes a migration from its options; implementations say so:
 * `export const expressSessionMigration: MigrationFactory<ExpressSessionMigrationOptions> = (options) => ...`.
 */
export type MigrationFactory<Options> = (options: Options) => Migration;
