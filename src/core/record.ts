// What a session is at rest, in a cookie or a store: data, pending flash messages and metadata.

import type { JsonValue } from "./data.js";

/** Metadata the server keeps beside the data; timeouts are enforced from it, never from a cookie's expiry. */
export interface SessionMeta {
  /** When the session was created (epoch ms); the absolute timeout counts from here. */
  createdAt: number;
  /** When a request last renewed the session (epoch ms); the idle timeout counts from here. */
  lastSeenAt: number;
  /** The user the session was signed in to, if any. */
  userId?: string;
  /** The User-Agent header at sign-in, for lists of a user's sessions. */
  userAgent?: string;
  /**
   * This session's own choice of cookie lifetime ("remember me"): `true` a cookie that lasts as long as the session,
   * `false` one that ends when the browser closes. Absent, the `cookie.persistent` option decides.
   */
  persistent?: boolean;
  /**
   * The `dataVersion` the data was written under (wire key `n`); absent means 1. A record older than the app's
   * `dataVersion` goes through its `migrate` when read.
   */
  dataVersion?: number;
}

/** A whole session at rest. */
export interface SessionRecord {
  data: Record<string, JsonValue>;
  /** Flash messages waiting to be read on a later request. */
  flash: Record<string, JsonValue>;
  meta: SessionMeta;
}
