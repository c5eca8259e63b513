// The Codec contract: how a whole session becomes a cookie value and back (cookie mode).

import type { SessionRecord } from "./record.js";
import type { Awaitable } from "./store.js";

/** What binds a cookie value to its place: a value made for one cookie name is refused under another. */
export interface CodecContext {
  cookieName: string;
  /**
   * The manager's time for this request (epoch ms), for codecs whose values carry their own validity (a JWT's
   * `iat`, `nbf`, `exp`); a codec falls back to `Date.now()` without it. Codecs without such claims ignore it.
   */
  now?: number;
  /**
   * When encoding: the moment the session ends if no request renews it (epoch ms), the idle deadline capped by the
   * absolute one, for codecs that write an expiry into the value (a JWT's `exp`). The manager passes it.
   */
  expiresAt?: number;
}

/** A decoded cookie value. */
export interface Decoded {
  record: SessionRecord;
  /** Index of the secret that verified it; above 0 means the cookie should be re-issued under the first. */
  keyIndex: number;
  /**
   * For a value whose validity the codec judges by its own clock (a JWT's `exp`, Flask's `max_age`): the moment
   * (epoch ms) from which `decode` refuses it as `expired`. The manager's decode cache does not answer for the value
   * from then on, so a remembered value dies when the codec says, not only by the manager's timeouts.
   */
  expiresAt?: number;
}

/**
 * Encodes a session record into a cookie value and back. `decode` throws (or rejects with) a `CodecError` with a
 * reason for any value it cannot trust; it never throws anything else. Either may answer with a Promise: the
 * built-in codecs do where only Web Crypto is there (Workers, edge runtimes), and answer synchronously on
 * node:crypto. Callers `await` the result.
 *
 * @example
 * const value = await codec.encode(record, { cookieName: "sid" });
 * const { record: back } = await codec.decode(value, { cookieName: "sid" });
 */
export interface Codec {
  readonly name: string;
  encode(record: SessionRecord, context: CodecContext): Awaitable<string>;
  decode(value: string, context: CodecContext): Awaitable<Decoded>;
}

/**
 * A codec that always answers synchronously: one built on node:crypto alone (the jwt and flask codecs, which are
 * for Node, Bun and Deno).
 *
 * @example
 * const { record } = flaskCodec({ secretKey }).decode(value, { cookieName: "session" });
 */
export interface SyncCodec extends Codec {
  encode(record: SessionRecord, context: CodecContext): string;
  decode(value: string, context: CodecContext): Decoded;
}
