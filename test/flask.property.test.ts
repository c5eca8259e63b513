// Properties of the Flask codec for any session tessera can hold: encode then decode is the identity, real Flask
// loads every sampled cookie as written, no changed character verifies, and a signed but broken payload is only
// ever a CodecError.

import fc from "fast-check";
import { deflateSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { flaskBytes, flaskCodec, flaskDatetime, flaskFlashes, flaskFloat, flaskInt, flaskMarkup, flaskTuple, flaskUuid } from "../src/codecs/flask/index.js";
import { dumps } from "../src/codecs/flask/dumps.js";
import { decodePayload } from "../src/codecs/flask/payload.js";
import { createTimestampSigner } from "../src/codecs/flask/signer.js";
import { markerNames } from "../src/codecs/flask/values.js";
import type { JsonValue } from "../src/core/data.js";
import { CodecError } from "../src/core/errors.js";
import type { SessionRecord } from "../src/core/record.js";
import { startRealFlask, type RealFlask } from "./flask-interop.js";
import { anyStringArb, pyValueArb } from "./fuzz/python-values.js";

/** Fixed, so a failure replays; fast-check prints the seed and the shrunk counterexample. */
const seed = 0xf1a5;
const secret = "flask-property-secret-key-0123456789";
const context = { cookieName: "session" };
const maxAgeSeconds = 2_678_400;

/** Keys of a session's data: any string but those tessera or JS refuse (see session.ts and core/data.ts). */
const dataKeyArb = fc
  .oneof(anyStringArb, fc.constantFrom(" t", " di", " b", "$tuple", "$dict", "_permanent", "_fresh", "csrf_token"))
  .filter((key) => !["__proto__", "constructor", "prototype", "_flashes", "_tessera", "_user_id"].includes(key));

/** An object from entries: a dict whose only key would read as a marker is written as `$dict`, as decode gives it. */
function objectOf(entries: [string, JsonValue][]): JsonValue {
  const object: Record<string, JsonValue> = {};
  for (const [key, value] of entries) object[key] = value;
  const keys = Object.keys(object);
  return keys.length === 1 && markerNames.has(keys[0]!) ? { $dict: object } : object;
}

/** Any value the Flask codec writes: plain JSON (every finite double) and every marker, as the helpers build them. */
const flaskValueArb: fc.Arbitrary<JsonValue> = fc.letrec<{ value: JsonValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", maxDepth: 4 },
    fc.constant(null),
    fc.boolean(),
    anyStringArb,
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.integer(),
    fc.array(tie("value"), { maxLength: 3 }).map(flaskTuple),
    fc.uint8Array({ maxLength: 12 }).map(flaskBytes),
    anyStringArb.map(flaskMarkup),
    fc.uuid().map(flaskUuid),
    fc.date({ min: new Date("0100-01-01T00:00:00Z"), max: new Date("9999-12-31T23:59:59Z"), noInvalidDate: true }).map(flaskDatetime),
    fc.bigInt({ min: -(2n ** 100n), max: 2n ** 100n }).map(flaskInt),
    fc.double().map(flaskFloat),
    fc.array(tie("value"), { maxLength: 3 }),
    fc.array(fc.tuple(dataKeyArb, tie("value")), { maxLength: 3 }).map(objectOf),
  ),
})).value;

/** A second within the years a cookie can carry, in epoch milliseconds. */
const momentArb = fc.integer({ min: Date.UTC(2001, 0, 1), max: Date.UTC(2200, 0, 1) });

/** A whole session the Flask codec writes, and the clock it is written and read at. */
const sessionArb = fc
  .record({
    data: fc.array(fc.tuple(dataKeyArb, flaskValueArb), { maxLength: 5 }),
    flash: fc.array(fc.tuple(anyStringArb.filter((key) => key !== "" && !["__proto__", "constructor", "prototype"].includes(key)), fc.oneof(flaskValueArb, fc.array(flaskValueArb, { minLength: 2, maxLength: 3 }).map(flaskFlashes))), { maxLength: 3 }),
    userId: fc.option(fc.string({ unit: "binary", minLength: 1, maxLength: 64 }), { nil: undefined }),
    lastSeenAt: momentArb,
    age: fc.integer({ min: 0, max: 10 * 365 * 86_400_000 }),
    later: fc.integer({ min: 0, max: 86_400_000 }),
  })
  .map(({ data, flash, userId, lastSeenAt, age, later }) => {
    const record: SessionRecord = {
      data: Object.fromEntries(data),
      flash: Object.fromEntries(flash),
      meta: { createdAt: lastSeenAt - age, lastSeenAt, ...(userId === undefined ? {} : { userId }) },
    };
    return { record, now: lastSeenAt + later };
  });

/** What a record comes back as: the signing time to the second (a second back at most), the creation time no later. */
function expectedBack(record: SessionRecord, now: number): SessionRecord {
  const timestamp = Math.min(Math.floor(record.meta.lastSeenAt / 1000), Math.floor(now / 1000) - 1);
  const meta: SessionRecord["meta"] = { createdAt: Math.min(Math.floor(record.meta.createdAt / 1000), timestamp) * 1000, lastSeenAt: timestamp * 1000 };
  if (record.meta.userId !== undefined) meta.userId = record.meta.userId;
  return { data: record.data, flash: record.flash, meta };
}

const codecAt = (now: number) => flaskCodec({ secretKey: secret, clock: () => now });
const payloadJson = (cookie: string): string => decodePayload(cookie.slice(0, cookie.lastIndexOf(".", cookie.lastIndexOf(".") - 1)));

describe("Flask codec properties", () => {
  it("decode(encode(session)) is the session, for any data, flash, user and time", { timeout: 120_000 }, () => {
    fc.assert(
      fc.property(sessionArb, ({ record, now }) => {
        const codec = codecAt(now);
        expect(codec.decode(codec.encode(record, context), context)).toEqual({ record: expectedBack(record, now), keyIndex: 0, expiresAt: expect.any(Number) });
      }),
      { numRuns: 500, seed },
    );
  });

  it("no changed character verifies: every one-character change is a CodecError", { timeout: 120_000 }, () => {
    fc.assert(
      fc.property(sessionArb, fc.nat(), fc.constantFrom(..."AZaz09-_.=+/!~ "), ({ record, now }, at, char) => {
        const codec = codecAt(now);
        const value = codec.encode(record, context);
        const i = at % value.length;
        fc.pre(value[i] !== char);
        expect(() => codec.decode(value.slice(0, i) + char + value.slice(i + 1), context)).toThrow(CodecError);
      }),
      { numRuns: 500, seed },
    );
  });

  it("a correctly signed payload that is not a Flask session is a CodecError, never anything else (Flask would answer 500)", { timeout: 120_000 }, () => {
    const signer = createTimestampSigner([Buffer.from(secret)]);
    const codec = codecAt(Date.UTC(2024, 0, 1));
    const timestamp = Date.UTC(2024, 0, 1) / 1000 - 60;
    const textArb = fc.oneof(
      pyValueArb.map(dumps),
      fc.string({ unit: "binary", maxLength: 40 }),
      fc.constantFrom('{" t":1}', '{" di":{"x":1}}', '{" di":5}', '{" u":"xyz"}', '{" d":"yesterday"}', '{" b":"!!"}', '{"_flashes":5}', '{"_tessera":{"created":"x"}}', '{"a":{"__proto__":1}}', "[]", '{" t":[]}'),
    );
    fc.assert(
      fc.property(textArb, fc.boolean(), (text, compress) => {
        const bytes = Buffer.from(text, "utf8");
        const payload = compress ? `.${deflateSync(bytes).toString("base64url")}` : bytes.toString("base64url");
        fc.pre(payload.length > 0 && payload !== ".");
        try {
          const { record } = codec.decode(signer.sign(payload, timestamp), context);
          // Accepted: then it is a session tessera writes back to the same JSON Flask reads (key order aside).
          expect(codec.decode(codec.encode(record, context), context).record).toEqual(record);
        } catch (error) {
          if (!(error instanceof CodecError)) throw error;
        }
      }),
      { numRuns: 1500, seed },
    );
  });

  describe("with the real Flask", () => {
    let flask: RealFlask;
    beforeAll(async () => {
      flask = startRealFlask();
      await flask.ready();
    });
    afterAll(() => flask.close());

    it("loads a sample of 60 sessions exactly as tessera wrote them", { timeout: 120_000 }, async () => {
      const sample = fc.sample(sessionArb, { numRuns: 60, seed });
      const results = await Promise.all(
        sample.map(async ({ record, now }) => {
          const cookie = codecAt(now).encode(record, context);
          const loaded = await flask.load(cookie, { secret, now: Math.floor(now / 1000), maxAge: maxAgeSeconds });
          return { valid: loaded.valid, same: loaded.session_tagged_json === payloadJson(cookie), reason: loaded.reason };
        }),
      );
      expect(results.filter((result) => !result.valid || !result.same)).toEqual([]);
    });
  });
});
