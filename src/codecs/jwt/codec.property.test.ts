// Properties the jwt codec keeps under every algorithm, for any record, cookie name, single-bit change and string.

import { createHash, generateKeyPairSync } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { asJson, cookieNameArb, recordArb } from "../../../test/fuzz/arbitraries.js";
import type { CodecContext } from "../../core/codec.js";
import { CodecError } from "../../core/errors.js";
import { jwtCodec } from "./codec.js";
import type { JwtAlgorithm, JwtKey } from "./options.js";

/**
 * Fixed, so a failure replays; fast-check prints the seed and the shrunk counterexample. Fewer runs than the sealed
 * and signed properties: four algorithms, and the conformance suite and codec.test.ts cover each by hand as well.
 */
const seed = 0x1a77;

const now = Date.UTC(2026, 0, 1);
const context = (cookieName: string): CodecContext => ({ cookieName, now, expiresAt: now + 3_600_000 });
const sid = context("sid");

const keys: [JwtAlgorithm, JwtKey][] = [
  ["HS256", "jwt-property-secret-0123456789abcdef"],
  ["EdDSA", generateKeyPairSync("ed25519").privateKey],
  ["ES256", generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey],
  ["dir", createHash("sha256").update("jwt-property").digest()],
];

/** Runs `fn`, which must throw a CodecError; fails the property for a return or any other error. */
function rejection(fn: () => unknown): CodecError {
  try {
    fn();
  } catch (error) {
    if (error instanceof CodecError) return error;
    throw new Error(`threw ${String(error)} instead of a CodecError`);
  }
  throw new Error("accepted a value it must reject");
}

describe.each(keys)("jwt codec (%s) properties", (alg, key) => {
  const codec = jwtCodec({ alg, key, issuer: "https://app.example" });

  it("decodes what it encodes: any record the library accepts comes back equal, under any cookie name", () => {
    fc.assert(
      fc.property(recordArb, cookieNameArb, (record, cookieName) => {
        const value = codec.encode(record, context(cookieName));
        expect(value).toMatch(/^[A-Za-z0-9_.-]+$/);
        expect(codec.decode(value, context(cookieName))).toEqual({ record: asJson(record), keyIndex: 0, expiresAt: expect.any(Number) });
      }),
      { seed, numRuns: 100 },
    );
  });

  it("rejects every single-bit change of an encoded value's characters with a CodecError", () => {
    fc.assert(
      fc.property(recordArb, fc.nat(), fc.integer({ min: 0, max: 6 }), (record, at, bit) => {
        const value = codec.encode(record, sid);
        const index = at % value.length;
        const changed = value.slice(0, index) + String.fromCharCode(value.charCodeAt(index) ^ (1 << bit)) + value.slice(index + 1);
        rejection(() => codec.decode(changed, sid));
      }),
      { seed, numRuns: 300 },
    );
  });

  it("rejects every single-bit change of the bytes any segment carries, written back as canonical base64url", () => {
    fc.assert(
      fc.property(recordArb, fc.nat(), fc.nat(), (record, which, at) => {
        const segments = codec.encode(record, sid).split(".");
        const candidates = segments.flatMap((segment, index) => (segment === "" ? [] : [index]));
        const index = candidates[which % candidates.length]!;
        const bytes = Buffer.from(segments[index]!, "base64url");
        const bit = at % (bytes.length * 8);
        bytes[bit >> 3]! ^= 1 << (bit & 7);
        segments[index] = bytes.toString("base64url");
        rejection(() => codec.decode(segments.join("."), sid));
      }),
      { seed, numRuns: 300 },
    );
  });

  it("rejects a value read under any cookie name other than the one it was issued for", () => {
    fc.assert(
      fc.property(recordArb, cookieNameArb, cookieNameArb, (record, issued, read) => {
        fc.pre(issued !== read);
        expect(rejection(() => codec.decode(codec.encode(record, context(issued)), context(read))).reason).toBe("bad_signature");
      }),
      { seed, numRuns: 100 },
    );
  });

  it("throws only a CodecError for any string at all", () => {
    const segment = "[A-Za-z0-9_-]{0,120}";
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: "binary", maxLength: 600 }),
          fc.stringMatching(new RegExp(`^${segment}(\\.${segment}){2}$`)),
          fc.stringMatching(new RegExp(`^${segment}(\\.${segment}){4}$`)),
          // A real header, then noise.
          fc.stringMatching(new RegExp(`^\\.${segment}(\\.${segment}){0,3}$`)).map((rest) => codec.encode({ data: {}, flash: {}, meta: { createdAt: now, lastSeenAt: now } }, sid).split(".")[0] + rest),
        ),
        (value) => {
          rejection(() => codec.decode(value, sid));
        },
      ),
      { seed, numRuns: 1000 },
    );
  });
});
