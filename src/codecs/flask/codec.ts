// The Flask codec: tessera sessions in the cookie Flask's default session interface reads and writes.

import type { SyncCodec } from "../../core/codec.js";
import { toMilliseconds, type Duration } from "../../core/duration.js";
import { CodecError, TesseraError } from "../../core/errors.js";
import type { Secret } from "../../crypto/keyring.js";
import { dumps } from "./dumps.js";
import { flaskSecretKeys } from "./keys.js";
import { loads } from "./loads.js";
import { decodePayload, encodePayload } from "./payload.js";
import { fromRecord, toRecord } from "./session.js";
import { createTimestampSigner } from "./signer.js";
import { tagSession } from "./tag.js";
import { untagSession } from "./untag.js";

/** Options of `flaskCodec`, named after the Flask settings they mirror. */
export interface FlaskCodecOptions {
  /** The Flask app's `SECRET_KEY`: it signs every cookie, and verifies first. Required. */
  secretKey: Secret;
  /** `SECRET_KEY_FALLBACKS`: older keys that still verify, never sign. A cookie one of them verifies is re-issued. @default [] */
  fallbacks?: readonly Secret[];
  /**
   * `PERMANENT_SESSION_LIFETIME`: a cookie signed longer ago is refused. Flask checks it for every session, permanent
   * or not; keep it at least as long as `idleTimeout`. @default "31d"
   */
  maxAge?: Duration;
  /** The time (epoch ms), for the age check and the signing time. @default Date.now */
  clock?: () => number;
}

/** Defaults of `flaskCodec`. */
export const defaults = Object.freeze({
  /** Flask's default `PERMANENT_SESSION_LIFETIME`, 31 days. @default "31d" */
  maxAge: "31d",
  /**
   * A cookie is signed at least this many seconds in the past. itsdangerous refuses a timestamp even one second
   * ahead of its clock, so a Flask server whose clock is a little behind ours would drop a cookie we just wrote.
   * @default 1
   */
  backdateSeconds: 1,
} as const);

/**
 * A codec for Flask's session cookie (`SecureCookieSessionInterface`, itsdangerous's URL-safe timed signature):
 * cookies tessera writes are Flask's sessions and Flask's cookies are tessera's, so a Python and a TypeScript app
 * share one login. Pass it as `createSessions({ codec })`; the cookie's name must be the Flask app's
 * `SESSION_COOKIE_NAME`, and its path and domain the same. The codec ignores the cookie name it is given: Flask
 * binds a cookie to no name.
 *
 * What the two sides see (all of it in `src/codecs/README.md`):
 * - Session data is the Flask session dict. Strings, numbers, booleans, null, lists and dicts are themselves; what
 *   JSON cannot say is a one-key marker object: `{ $tuple: [...] }`, `{ $bytes: "<base64>" }`,
 *   `{ $markup: "<html>" }`, `{ $uuid: "<8-4-4-4-12>" }`, `{ $datetime: "YYYY-MM-DDTHH:MM:SSZ" }`,
 *   `{ $int: "<digits>" }` (beyond ±(2^53 - 1)), `{ $float: "1.0" | "NaN" | ... }` (a whole float or not finite),
 *   and `{ $dict: {...} }` for a dict that would read as a marker. `flaskTuple`, `flaskDatetime` and the other
 *   helpers build them; `fromFlask` reads one. A JS number is a Python int when it is a safe integer, else a float.
 * - Flash messages are Flask's `_flashes`: `session.flash("success", "Saved")` is `flash("Saved", "success")`, and
 *   a category Flask flashed twice reads as `{ $flashes: [...] }` (see `flashMessages`).
 * - `session.userId` is Flask-Login's `_user_id`. The cookie's signing time is `lastSeenAt`, and the creation time
 *   rides in a `_tessera` key Flask leaves alone.
 * A cookie that does not verify, is older than `maxAge` or signed in the future, or whose payload Flask would fail
 * on, throws `CodecError` (`malformed`, `bad_signature`, `expired`, `not_yet_valid`, `bad_payload`). Only the
 * canonical spelling of a signature and timestamp is accepted. Data Flask could not read back as written makes
 * `encode` throw `ERR_INVALID_SESSION_DATA`, naming the session key, so such a cookie is never issued.
 *
 * @example
 * const sessions = createSessions({
 *   secrets: [process.env.SECRET_KEY!],
 *   codec: flaskCodec({ secretKey: process.env.FLASK_SECRET_KEY!, fallbacks: [], maxAge: "31d" }),
 *   cookie: { name: "session" },
 * });
 */
export function flaskCodec(options: FlaskCodecOptions): SyncCodec {
  if (options === null || typeof options !== "object") {
    throw new TesseraError("ERR_SECRET_MISSING", "`flaskCodec` needs an options object with the Flask app's `secretKey`");
  }
  const signer = createTimestampSigner(flaskSecretKeys(options.secretKey, options.fallbacks ?? []));
  // Flask's max_age is int(PERMANENT_SESSION_LIFETIME.total_seconds()).
  const maxAgeSeconds = Math.floor(toMilliseconds(options.maxAge ?? defaults.maxAge, "maxAge") / 1000);
  if (maxAgeSeconds < 1) throw new TesseraError("ERR_INVALID_OPTION", "`maxAge` must be at least one second");
  const clock = options.clock ?? Date.now;
  if (typeof clock !== "function") throw new TesseraError("ERR_INVALID_OPTION", "`clock` must be a function returning epoch milliseconds");
  // itsdangerous reads the time as int(time.time()).
  const nowSeconds = (): number => Math.floor(clock() / 1000);

  return {
    name: "flask",
    encode(record) {
      const timestamp = Math.min(Math.floor(record.meta.lastSeenAt / 1000), nowSeconds() - defaults.backdateSeconds);
      const json = dumps(tagSession(fromRecord(record, timestamp)));
      return signer.sign(encodePayload(json), timestamp);
    },
    decode(value) {
      const { payload, timestamp, keyIndex } = signer.unsign(value);
      // itsdangerous's TimestampSigner.unsign: age > max_age is expired, age < 0 is refused too.
      const age = nowSeconds() - timestamp;
      if (age > maxAgeSeconds) throw new CodecError("expired");
      if (age < 0) throw new CodecError("not_yet_valid");
      const record = toRecord(untagSession(loads(decodePayload(payload))), timestamp);
      // Expired once int(now) - timestamp > max_age, that is from the start of second timestamp + max_age + 1.
      return { record, keyIndex, expiresAt: (timestamp + maxAgeSeconds + 1) * 1000 };
    },
  };
}
