// Events the manager reports through `onEvent`; none carries a token, a cookie value or a secret.

import type { CodecFailure } from "../core/errors.js";
import type { MigrationRejection } from "../core/migration.js";
import type { DataRejection } from "./data-schema.js";

/** Why a session cookie sent by the client did not give its session back. */
export type RejectionReason =
  | CodecFailure
  | "malformed_token"
  | "unknown_session"
  | "idle_timeout"
  | "absolute_timeout"
  | "not_yet_valid"
  /** Cookie mode with `revocation`: the session was signed out (`destroy`, `revokeSession`) or its user's sessions revoked. */
  | "revoked"
  /** `cookie.chunks`: a chunk its count calls for was not sent, or chunks came without chunk 0. */
  | "missing_chunk";

/**
 * Something worth logging or counting. `session_gone`: a request's session was destroyed, revoked or expired by
 * another request while it ran, so nothing was written back. `record_rejected`: a stored record could not be
 * decoded and was treated as no session. `session_migrated`: a session from another library (the `migrateFrom` option)
 * became a tessera session; `migration_rejected`: a legacy cookie gave none, with the reason. `sessions_revoked`:
 * `revokeUserSessions` (scope `user`), or `revokeSession` or, in cookie mode with `revocation`, a sign-out (scope
 * `session`), ended sessions on every browser. `data_rejected`: a session's data failed `schema`, `migrate` or its
 * `dataVersion` on read, and the request went on with a fresh anonymous session (the reason is a code, never the
 * data or a path). Events are synchronous and must not throw; one that throws is ignored.
 *
 * @example
 * createSessions({ secrets, onEvent: (e) => { if (e.type === "cookie_rejected") metrics.inc(e.reason); } });
 */
export type SessionEvent =
  | { type: "cookie_rejected"; reason: RejectionReason }
  | { type: "session_created"; store: string }
  | { type: "session_regenerated" }
  /** Store mode's `renewAfter`: the session moved to a new token; the old one forwards to it for `renewalGrace`. */
  | { type: "session_renewed" }
  | { type: "session_destroyed" }
  | { type: "cookie_reissued"; reason: "key_rotation" }
  | { type: "write_conflict"; attempt: number }
  | { type: "session_gone" }
  | { type: "record_rejected"; reason: CodecFailure }
  | { type: "store_error"; operation: string; code: string }
  | { type: "sessions_revoked"; scope: "user" | "session" }
  | { type: "session_migrated"; from: string }
  | { type: "migration_rejected"; from: string; reason: MigrationRejection | MigrationSkip }
  | { type: "data_rejected"; reason: DataRejection };

/** Why a legacy cookie (see `migrateFrom`) was left unused, beyond the migration's own reasons. */
export type MigrationSkip =
  /** The request carried a valid tessera session, which wins; the legacy cookie is deleted, its store not read. */
  | "tessera_session"
  /** Another request migrated the same legacy session first; this one ends without a session cookie. */
  | "already_migrated";
