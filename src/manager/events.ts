// Events the manager reports through `onEvent`; none carries a token, a cookie value or a secret.

import type { CodecFailure } from "../core/errors.js";
import type { MigrationRejection } from "../core/migration.js";

/** Why a session cookie sent by the client did not give its session back. */
export type RejectionReason =
  | CodecFailure
  | "malformed_token"
  | "unknown_session"
  | "idle_timeout"
  | "absolute_timeout"
  | "not_yet_valid"
  /** `cookie.chunks`: a chunk its count calls for was not sent, or chunks came without chunk 0. */
  | "missing_chunk";

/**
 * Something worth logging or counting. `session_gone`: a request's session was destroyed, revoked or expired by
 * another request while it ran, so nothing was written back. `record_rejected`: a stored record could not be
 * decoded and was treated as no session. `session_migrated`: a session from another library (the `migrate` option)
 * became a tessera session; `migration_rejected`: a legacy cookie gave none, with the reason. Events are synchronous and must not throw; one that throws is ignored.
 *
 * @example
 * createSessions({ secrets, onEvent: (e) => { if (e.type === "cookie_rejected") metrics.inc(e.reason); } });
 */
export type SessionEvent =
  | { type: "cookie_rejected"; reason: RejectionReason }
  | { type: "session_created"; store: string }
  | { type: "session_regenerated" }
  | { type: "session_destroyed" }
  | { type: "cookie_reissued"; reason: "key_rotation" }
  | { type: "write_conflict"; attempt: number }
  | { type: "session_gone" }
  | { type: "record_rejected"; reason: CodecFailure }
  | { type: "store_error"; operation: string; code: string }
  | { type: "session_migrated"; from: string }
  | { type: "migration_rejected"; from: string; reason: MigrationRejection | MigrationSkip };

/** Why a legacy cookie (see `migrate`) was left unused, beyond the migration's own reasons. */
export type MigrationSkip =
  /** The request carried a valid tessera session, which wins; the legacy cookie is deleted, its store not read. */
  | "tessera_session"
  /** Another request migrated the same legacy session first; this one ends without a session cookie. */
  | "already_migrated";
