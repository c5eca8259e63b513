// The shape cookie mode and store mode share: how a request's cookie values become a session, and how it is saved.

import type { SessionRecord } from "../core/record.js";
import type { SessionState } from "../core/session.js";
import type { RejectionReason } from "./events.js";
import type { ResponseChanges } from "./changes.js";

/** A session found in one of the request's cookie values. */
export interface Loaded {
  record: SessionRecord;
  /** The cookie value it came from (store mode: the tagged token). */
  token: string;
  /** The stored version (store mode). */
  version: number | undefined;
  /** Verified by an older secret: re-issue it under the first at commit. */
  staleKey: boolean;
}

/**
 * Where sessions live: in the cookie (`cookieMode`) or in a store (`storeMode`). The manager reads the cookie
 * values and builds the request's state; the mode decides what they hold and how the state is saved.
 *
 * @example
 * const mode: SessionMode = store ? storeMode(resolved, cookies) : cookieMode(resolved, cookies);
 */
export interface SessionMode {
  /** `"cookie"` or the store's name. */
  readonly name: string;
  /** The largest a single value may be as JSON text, checked at `set`; undefined for no check there. */
  readonly maxValueBytes: number | undefined;
  /**
   * The first of `values` (sent under the cookie's name, in order) that holds a live session, or undefined.
   * Each value refused is reported to `reject` with the reason.
   */
  load(values: readonly string[], state: SessionState, now: number, reject: (reason: RejectionReason) => void): Promise<Loaded | undefined>;
  /** Saves what the request did to its session and says what the response needs. */
  commit(state: SessionState, now: number): Promise<ResponseChanges>;
}
