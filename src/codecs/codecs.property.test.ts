// Properties every cookie codec (sealed, signed) keeps for any record, key, cookie name and single-bit change.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { asJson, cookieNameArb, recordArb, secretArb } from "../../test/fuzz/arbitraries.js";
import type { SyncCodec as Codec, CodecContext } from "../core/codec.js";
import { CodecError } from "../core/errors.js";
import { createKeyRing, type KeyRing } from "../crypto/keyring.js";
import { createSealedCodec } from "./sealed.js";
import { createSignedCodec } from "./signed.js";

/** Fixed, so a failure replays; fast-check prints the seed and the shrunk counterexample. */
const seed = 0x7e55e7a;

const codecs: [string, (ring: KeyRing) => Codec][] = [
  // On Node the codecs run on node:crypto, which answers synchronously.
  ["sealed", (ring) => createSealedCodec(ring) as Codec],
  ["signed", (ring) => createSignedCodec(ring) as Codec],
];

/** Runs `fn`, which must throw a CodecError: returns it, and fails the property for a return or any other error. */
function rejection(fn: () => unknown): CodecError {
  let result: unknown;
  try {
    result = fn();
  } catch (error) {
    if (error instanceof CodecError) return error;
    throw new Error(`threw ${String(error)} instead of a CodecError`);
  }
  throw new Error(`accepted a value it must reject: ${JSON.stringify(result).slice(0, 200)}`);
}

/** `value` with bit `bit` of character `index` flipped (the value is ASCII, so each character is one byte). */
function flipCharacterBit(value: string, index: number, bit: number): string {
  return value.slice(0, index) + String.fromCharCode(value.charCodeAt(index) ^ (1 << bit)) + value.slice(index + 1);
}

/**
 * A position counted from the start or from the end of whatever it indexes, so that a failure near either end
 * survives fast-check shrinking the record (and the value's length) around it.
 */
const offsetArb = fc.record({ fromEnd: fc.boolean(), offset: fc.oneof(fc.nat({ max: 7 }), fc.nat({ max: 1 << 16 })) }).map(({ fromEnd, offset }) => ({
  at: (length: number) => (fromEnd ? length - 1 - (offset % length) : offset % length),
  toString: () => `${fromEnd ? "end - " : ""}${offset}`,
}));

/** `value` with one bit flipped in the bytes its base64url segments carry, written back as canonical base64url. */
function flipDecodedBit(value: string, offset: { at(length: number): number }): string {
  const segments = value.split(".");
  const sizes = segments.map((segment) => Buffer.from(segment, "base64url").length * 8);
  let at = offset.at(sizes.reduce((a, b) => a + b, 0));
  const which = sizes.findIndex((size) => (at < size ? true : ((at -= size), false)));
  const bytes = Buffer.from(segments[which]!, "base64url");
  bytes[at >> 3]! ^= 1 << (at & 7);
  segments[which] = bytes.toString("base64url");
  return segments.join(".");
}

describe.each(codecs)("%s codec properties", (_name, make) => {
  const ring = createKeyRing(["codec-property-secret-of-32-bytes-at-least"]);
  const codec = make(ring);
  const sid: CodecContext = { cookieName: "sid" };

  it("decodes what it encodes: any record the library accepts comes back equal, under any cookie name", () => {
    fc.assert(
      fc.property(recordArb, cookieNameArb, (record, cookieName) => {
        const context = { cookieName };
        const value = codec.encode(record, context);
        expect(value).toMatch(/^[A-Za-z0-9_.-]+$/);
        const decoded = codec.decode(value, context);
        expect(decoded.keyIndex).toBe(0);
        expect(decoded.record).toEqual(asJson(record));
      }),
      { seed, numRuns: 300 },
    );
  });

  it("rejects every single-bit change of an encoded value's characters with a CodecError", () => {
    fc.assert(
      fc.property(recordArb, offsetArb, fc.integer({ min: 0, max: 7 }), (record, offset, bit) => {
        const value = codec.encode(record, sid);
        rejection(() => codec.decode(flipCharacterBit(value, offset.at(value.length), bit), sid));
      }),
      { seed, numRuns: 1000 },
    );
  });

  it("rejects every single-bit change of the bytes an encoded value carries with a CodecError", () => {
    fc.assert(
      fc.property(recordArb, offsetArb, (record, offset) => {
        const value = codec.encode(record, sid);
        const changed = flipDecodedBit(value, offset);
        expect(changed).not.toBe(value);
        rejection(() => codec.decode(changed, sid));
      }),
      { seed, numRuns: 1000 },
    );
  });

  it("rejects a value made under another secret, and opens it once that secret is listed second", () => {
    fc.assert(
      fc.property(recordArb, secretArb, secretArb, (record, mine, theirs) => {
        fc.pre(mine !== theirs);
        const value = make(createKeyRing([theirs])).encode(record, sid);
        const error = rejection(() => make(createKeyRing([mine])).decode(value, sid));
        // A 4-byte key id collides once in 2^32 secret pairs; then the MAC still refuses it.
        expect(["unknown_key", "bad_signature"]).toContain(error.reason);
        const rotated = make(createKeyRing([mine, theirs])).decode(value, sid);
        expect(rotated.keyIndex).toBe(1);
        expect(rotated.record).toEqual(asJson(record));
      }),
      { seed, numRuns: 100 },
    );
  });

  it("rejects a value read under any cookie name other than the one it was issued for", () => {
    fc.assert(
      fc.property(recordArb, cookieNameArb, cookieNameArb, (record, issued, read) => {
        fc.pre(issued !== read);
        const value = codec.encode(record, { cookieName: issued });
        expect(rejection(() => codec.decode(value, { cookieName: read })).reason).toBe("bad_signature");
      }),
      { seed, numRuns: 300 },
    );
  });

  it("throws only a CodecError for any string at all", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: "binary", maxLength: 600 }), fc.base64String({ maxLength: 600 }), fc.stringMatching(/^[A-Za-z0-9_-]{0,400}(\.[A-Za-z0-9_-]{0,80})?$/)), (value) => {
        rejection(() => codec.decode(value, sid));
      }),
      { seed, numRuns: 2000 },
    );
  });
});
