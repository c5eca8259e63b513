// itsdangerous's TimestampSigner as Flask configures it: HMAC-SHA1 under a key derived with the "cookie-session" salt.

import { fromBase64url } from "../../core/bytes.js";
import { createHmac, timingSafeEqual } from "node:crypto";
import { CodecError, TesseraError } from "../../core/errors.js";

/** Flask's `SecureCookieSessionInterface.salt`. */
const salt = "cookie-session";

/**
 * `payload.timestamp.signature`, each base64url without padding: the payload may be led by "." (compressed), the
 * timestamp is 1 to 8 bytes (at most 11 characters) and the signature a 20-byte HMAC-SHA1 (27 characters).
 * Cut at the last two dots, as itsdangerous does (`rsplit`).
 */
const signedValueRegExp = /^(\.?[A-Za-z0-9_-]+)\.([A-Za-z0-9_-]{1,11})\.([A-Za-z0-9_-]{27})$/;

/** What a verified value holds. */
export interface Unsigned {
  /** The payload segment, its leading "." included. */
  payload: string;
  /** The signing time, epoch seconds. */
  timestamp: number;
  /** The key that verified it: 0 for the secret key, 1 and up for the fallbacks in order. */
  keyIndex: number;
}

/** Signs with the first key, verifies with every key. */
export interface TimestampSigner {
  sign(payload: string, timestamp: number): string;
  /** Throws `CodecError`: `malformed` before any HMAC is computed, `bad_signature` when no key verifies. */
  unsign(value: string): Unsigned;
}

/**
 * The signer for these secret keys (raw bytes, the first signs): `Signer.derive_key` with `key_derivation="hmac"`
 * (HMAC-SHA1 of the salt under the secret, not itsdangerous's default "django-concat"), then HMAC-SHA1 of
 * `payload.timestamp` under the derived key. A signature is accepted only in its one canonical spelling, compared in
 * constant time: none of the spellings Python's lenient base64 decoder also reads (a changed last character, `=`
 * padding, `+` and `/`, stray characters) and no timestamp with leading zero bytes.
 *
 * @example
 * const signer = createTimestampSigner([Buffer.from(secretKey)]);
 * signer.sign("eyJ1c2VybmFtZSI6ImFsaWNlIn0", 1700000000); // "eyJ1c2VybmFtZSI6ImFsaWNlIn0.ZVPxAA.9Al9aNpOuMtMjQkzFpa3vCJyTcU"
 */
export function createTimestampSigner(secrets: readonly Buffer[]): TimestampSigner {
  const keys = secrets.map((secret) => createHmac("sha1", secret).update(salt).digest());
  const signature = (key: Buffer, signed: string): Buffer => Buffer.from(createHmac("sha1", key).update(signed, "latin1").digest("base64url"), "latin1");
  return {
    sign(payload, timestamp) {
      const signed = `${payload}.${timestampText(timestamp)}`;
      return `${signed}.${signature(keys[0]!, signed).toString("latin1")}`;
    },
    unsign(value) {
      const match = signedValueRegExp.exec(value);
      if (match === null) throw new CodecError("malformed");
      const [, payload, timestampSegment, signatureText] = match as unknown as [string, string, string, string];
      const timestamp = timestampFrom(timestampSegment);
      const given = Buffer.from(signatureText, "latin1");
      const signed = `${payload}.${timestampSegment}`;
      for (let keyIndex = 0; keyIndex < keys.length; keyIndex++) {
        // Both are 27 base64url characters: comparing the text compares the canonical spelling, in constant time.
        if (timingSafeEqual(signature(keys[keyIndex]!, signed), given)) return { payload, timestamp, keyIndex };
      }
      throw new CodecError("bad_signature");
    },
  };
}

/** itsdangerous's `int_to_bytes`: big-endian with leading zero bytes stripped, then base64url. */
function timestampText(timestamp: number): string {
  if (!Number.isSafeInteger(timestamp) || timestamp <= 0) {
    throw new TesseraError("ERR_INVALID_SESSION_DATA", "a Flask cookie's timestamp must be a positive whole number of seconds (check `meta.lastSeenAt` and the clock)");
  }
  let hex = timestamp.toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  return Buffer.from(hex, "hex").toString("base64url");
}

/** The timestamp of a segment written as `int_to_bytes` writes it (1 to 8 bytes, no leading zero byte). */
function timestampFrom(segment: string): number {
  const bytes = fromBase64url(segment);
  if (bytes === undefined || bytes.length === 0 || bytes.length > 8 || bytes[0] === 0) throw new CodecError("malformed");
  // Beyond 2^53 a timestamp is millions of years ahead: approximate is exact enough to refuse it as not yet valid.
  return Number(BigInt(`0x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex")}`));
}
