// Events the manager reports through `onEvent`; none carries a token, a cookie value or a secret.

import type { CodecFailure } from "../core/errors.js";

/** Why a session cookie sent by the client did not give its session back. */
export type RejectionReason =
  | CodecFailure
  | "malformed_token"
  | "unknown_session"
  | "idle_timeout"
  | "absolute_timeout"
  | "not_yet_valid";

/**
 * Something worth logging or counting. `session_gone`: a request's session was destroyed, revoked or expired by
 * another request while it ran, so nothing was written back. `record_rejected`: a stored record could not be
 * decoded and was treated as no session. Events are synchronous and must not throw; one that throws is ignored.
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
  | { type: "store_error"; operation: string; code: string };
