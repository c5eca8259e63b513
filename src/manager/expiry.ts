// When a session stops being valid under a timeout policy, from its metadata alone: for tools and account pages.

import { toMilliseconds, type Duration } from "../core/duration.js";
import { checkTimeouts, expiresAt, type TimeoutVerdict } from "../core/policy.js";
import type { SessionMeta } from "../core/record.js";
import { defaults } from "./options.js";

/** Options of `sessionExpiry`: the timeouts the application gives `createSessions`. */
export interface SessionExpiryOptions {
  /** @default "24h", as `createSessions` */
  idleTimeout?: Duration;
  /** @default "30d", as `createSessions` */
  absoluteTimeout?: Duration;
  /** The time to judge at (epoch ms). @default Date.now() */
  now?: number;
}

/** A session's deadlines (epoch ms) and whether it is still valid. */
export interface SessionExpiry {
  /** `"valid"`, or why `createSessions` would refuse the session now. */
  verdict: TimeoutVerdict;
  /** When the idle timeout ends it unless a request renews it: last seen plus `idleTimeout`. */
  idleExpiresAt: number;
  /** When the absolute timeout ends it, however active: created plus `absoluteTimeout`. */
  absoluteExpiresAt: number;
  /** The earlier of the two: when it ends if nobody uses it again. */
  expiresAt: number;
}

/**
 * Judges a session's metadata as `createSessions` does with the same timeouts: its idle and absolute deadlines,
 * and `"valid"` or the reason it has ended (`"idle_timeout"`, `"absolute_timeout"`, or `"not_yet_valid"` for
 * one created in the future). Throws `ERR_INVALID_OPTION` for a timeout that is not a duration.
 *
 * @example
 * const { verdict, expiresAt } = sessionExpiry({ createdAt, lastSeenAt }, { idleTimeout: "30m", absoluteTimeout: "12h" });
 * if (verdict === "valid") console.log(`signed in until ${new Date(expiresAt).toISOString()}`);
 */
export function sessionExpiry(meta: Pick<SessionMeta, "createdAt" | "lastSeenAt">, options: SessionExpiryOptions = {}): SessionExpiry {
  const idleMs = toMilliseconds(options.idleTimeout ?? defaults.idleTimeout, "idleTimeout");
  const absoluteMs = toMilliseconds(options.absoluteTimeout ?? defaults.absoluteTimeout, "absoluteTimeout");
  // touchAfterMs plays no part in either judgement.
  const policy = { idleMs, absoluteMs, touchAfterMs: 0 };
  return {
    verdict: checkTimeouts(meta, options.now ?? Date.now(), policy),
    idleExpiresAt: meta.lastSeenAt + idleMs,
    absoluteExpiresAt: meta.createdAt + absoluteMs,
    expiresAt: expiresAt(meta, policy),
  };
}
