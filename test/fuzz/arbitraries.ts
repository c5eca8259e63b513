// fast-check arbitraries for what tessera accepts (session data, records, cookie names, secrets), for the property tests and the fuzz corpus.

import { createHash } from "node:crypto";
import fc from "fast-check";
import { checkEntry, type JsonValue } from "../../src/core/data.js";
import type { SessionMeta, SessionRecord } from "../../src/core/record.js";

/**
 * A secret of 64 hex characters derived from a generated seed: strong, and different for different seeds.
 *
 * @example
 * fc.assert(fc.property(secretArb, (secret) => void createKeyRing([secret])));
 */
export const secretArb: fc.Arbitrary<string> = fc
  .string({ minLength: 1, maxLength: 16 })
  .map((text) => createHash("sha256").update(text).digest("hex"));

/**
 * Cookie names the grammar allows (RFC 6265 §4.1.1: an RFC 7230 token), without the reserved `__Host-` / `__Secure-` prefixes.
 *
 * @example
 * fc.property(cookieNameArb, (cookieName) => codec.decode(codec.encode(record, { cookieName }), { cookieName }));
 */
export const cookieNameArb: fc.Arbitrary<string> = fc
  .stringMatching(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,24}$/)
  .filter((name) => !/^__(?:secure|host)-/i.test(name));

/**
 * Session data as the library takes it: every entry a generated JSON value (any Unicode, -0, nesting, keys like
 * "__proto__"), kept only when `checkEntry` (what `session.set` runs) accepts it, in the form it stores.
 *
 * @example
 * fc.property(acceptedDataArb, (data) => Object.keys(data).every((key) => key !== "__proto__"));
 */
export const acceptedDataArb: fc.Arbitrary<Record<string, JsonValue>> = fc
  .dictionary(fc.string({ unit: "binary", maxLength: 12 }), fc.jsonValue({ stringUnit: "binary", maxDepth: 5 }), { maxKeys: 6 })
  .map((entries) => {
    const data: Record<string, JsonValue> = {};
    for (const key of Object.keys(entries)) {
      try {
        data[key] = checkEntry(key, entries[key]);
      } catch {
        // Refused by the library: not data a session can hold.
      }
    }
    return data;
  });

/**
 * Metadata: any safe-integer times, and a user id and user agent of any Unicode, each present or not.
 *
 * @example
 * fc.property(metaArb, (meta) => Number.isSafeInteger(meta.createdAt));
 */
export const metaArb: fc.Arbitrary<SessionMeta> = fc
  .record(
    {
      createdAt: fc.maxSafeInteger(),
      lastSeenAt: fc.maxSafeInteger(),
      userId: fc.string({ unit: "binary", minLength: 1, maxLength: 64 }),
      userAgent: fc.string({ unit: "binary", maxLength: 64 }),
    },
    { requiredKeys: ["createdAt", "lastSeenAt"] },
  )
  .map((meta) => ({ ...meta }));

/**
 * A whole record the library could hold: data and flash it accepts, any metadata.
 *
 * @example
 * fc.property(recordArb, (record) => expect(decodeRecord(encodeRecord(record))).toEqual(asJson(record)));
 */
export const recordArb: fc.Arbitrary<SessionRecord> = fc.record({ data: acceptedDataArb, flash: acceptedDataArb, meta: metaArb });

/**
 * What JSON carries of a value: the form a record has after any encode and decode. It differs from the value only
 * where JSON cannot say it (-0 is written as 0).
 *
 * @example
 * expect(decodeRecord(encodeRecord(record))).toEqual(asJson(record));
 */
export function asJson<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
