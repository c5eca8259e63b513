// The timeout policy: idle (sliding) and absolute timeouts, and when a sliding renewal is due.

import type { SessionMeta } from "./record.js";

/** Timeouts in milliseconds. */
export interface TimeoutPolicy {
  idleMs: number;
  absoluteMs: number;
  /** A renewal of `lastSeenAt` is written at most once per this interval. */
  touchAfterMs: number;
}

/** Why a session is no longer valid, or `"valid"`. */
export type TimeoutVerdict = "valid" | "idle_timeout" | "absolute_timeout" | "not_yet_valid";

/** A session created this far in the future is refused (a clock gone wrong, or a forged record). */
const clockSkewMs = 5 * 60_000;

/**
 * Judges a session's metadata at `now`.
 *
 * @example
 * checkTimeouts(meta, Date.now(), policy) === "valid";
 */
export function checkTimeouts(meta: SessionMeta, now: number, policy: TimeoutPolicy): TimeoutVerdict {
  if (meta.createdAt > now + clockSkewMs) return "not_yet_valid";
  if (now >= meta.createdAt + policy.absoluteMs) return "absolute_timeout";
  if (now >= meta.lastSeenAt + policy.idleMs) return "idle_timeout";
  return "valid";
}

/**
 * Whether this request should renew `lastSeenAt` (sliding expiry), which it does at most once per `touchAfterMs`.
 *
 * @example
 * if (isTouchDue(meta, now, policy)) meta.lastSeenAt = now;
 */
export function isTouchDue(meta: SessionMeta, now: number, policy: TimeoutPolicy): boolean {
  return now - meta.lastSeenAt >= policy.touchAfterMs;
}

/**
 * The moment the session stops being valid if no request renews it: the idle deadline, never past the absolute one.
 *
 * @example
 * const maxAgeSeconds = Math.floor((expiresAt(meta, policy) - now) / 1000);
 */
export function expiresAt(meta: SessionMeta, policy: TimeoutPolicy): number {
  return Math.min(meta.lastSeenAt + policy.idleMs, meta.createdAt + policy.absoluteMs);
}
