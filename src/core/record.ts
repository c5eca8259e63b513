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
   * Store mode with `renewAfter`: when the session's current token was issued (epoch ms); the token is replaced
   * once it is `renewAfter` old. Absent on records written without renewal, where `createdAt` stands in.
   */
  issuedAt?: number;
  /**
   * Cookie mode with `revocation`: the random id (128 bits, base64url) of a signed-in session, given at sign-in and
   * kept by every cookie re-issued from it, so one sign-in can be ended on every browser holding a copy.
   */
  sessionId?: string;
  /**
   * The `dataVersion` the data was written under (wire key `n`); absent means 1. A record older than the app's
   * `dataVersion` goes through its `migrate` when read.
   */
  dataVersion?: number;
}

/**
 * What is left of a renewed token for `renewalGrace`: it names its successor so requests still in flight with the
 * old token reach the session, and it holds no data of its own.
 */
export interface RenewalForward {
  /** The successor's at-rest id (SHA-256 of its token, base64url). */
  to: string;
  /** When the forwarder stops forwarding (epoch ms). */
  until: number;
  /** The successor's cookie value, sealed (AES-256-GCM) under the forwarder's own id: never a token in clear. */
  sealed: string;
}

/** A whole session at rest. */
export interface SessionRecord {
  data: Record<string, JsonValue>;
  /** Flash messages waiting to be read on a later request. */
  flash: Record<string, JsonValue>;
  meta: SessionMeta;
  /** Set on a renewed token's forwarder only (store mode): this record is no session, only a pointer to one. */
  forward?: RenewalForward;
}
