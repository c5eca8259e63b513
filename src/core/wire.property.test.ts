// Properties of the record's JSON form: any record the library accepts comes back equal; any other text is a CodecError.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { asJson, recordArb } from "../../test/fuzz/arbitraries.js";
import { CodecError } from "./errors.js";
import { decodeRecord, encodeRecord } from "./wire.js";

const seed = 0x3ec04d;

/** Every key of a JSON value, at any depth. */
function keysOf(value: unknown, into: string[] = []): string[] {
  if (value === null || typeof value !== "object") return into;
  for (const key of Object.keys(value)) {
    into.push(key);
    keysOf((value as Record<string, unknown>)[key], into);
  }
  return into;
}

/** Text that is nearly a record: a real one with a field replaced by any JSON value, or a hostile shape. */
const nearRecordArb = fc.oneof(
  fc.tuple(recordArb, fc.constantFrom("v", "c", "s", "u", "a", "d", "f"), fc.jsonValue({ maxDepth: 3 })).map(([record, field, value]) => {
    const wire = JSON.parse(encodeRecord(record)) as Record<string, unknown>;
    wire[field] = value;
    return JSON.stringify(wire);
  }),
  fc.tuple(fc.nat({ max: 200 }), fc.constantFrom("[", "{\"a\":")).map(([depth, open]) => `{"v":1,"c":1,"s":1,"d":{"x":${open.repeat(depth)}1${(open === "[" ? "]" : "}").repeat(depth)}}}`),
  fc.constantFrom('{"v":1,"c":1,"s":1,"d":{"__proto__":{"admin":true}}}', '{"v":1,"c":1,"s":1,"d":{"a":{"constructor":{"prototype":{"admin":true}}}}}', '{"v":1,"c":1,"s":1,"d":[],"f":[]}', '{"v":1,"c":1e300,"s":1,"d":{}}', '{"v":1,"c":1.5,"s":1,"d":{}}', "null", "[]", '"x"', "1"),
);

describe("record wire format properties", () => {
  it("decodes what it encodes: any record the library accepts comes back equal", () => {
    fc.assert(
      fc.property(recordArb, (record) => {
        expect(decodeRecord(encodeRecord(record))).toEqual(asJson(record));
      }),
      { seed, numRuns: 400 },
    );
  });

  it("throws only a CodecError for text that is not a record, and what it accepts holds no forbidden key", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: "binary", maxLength: 200 }), fc.json({ maxDepth: 4 }), nearRecordArb), (text) => {
        let decoded: ReturnType<typeof decodeRecord>;
        try {
          decoded = decodeRecord(text);
        } catch (error) {
          if (!(error instanceof CodecError)) throw new Error(`threw ${String(error)} instead of a CodecError`);
          return;
        }
        for (const key of [...keysOf(decoded.data), ...keysOf(decoded.flash)]) expect(["__proto__", "constructor", "prototype"]).not.toContain(key);
        expect(Number.isSafeInteger(decoded.meta.createdAt) && Number.isSafeInteger(decoded.meta.lastSeenAt)).toBe(true);
        expect(decodeRecord(encodeRecord(decoded))).toEqual(decoded);
        expect(({} as Record<string, unknown>).admin).toBeUndefined();
      }),
      { seed, numRuns: 3000 },
    );
  });
});
