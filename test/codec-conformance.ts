// The cases every cookie codec must pass: round trip, the five (tamper, truncation, wrong key, expiry, rotation),
// the cookie name bound into the value (where the format binds one), and garbage that only ever gives a CodecError.

import { describe, expect, it } from "vitest";
import type { Codec, CodecContext, SyncCodec } from "../src/core/codec.js";
import { CodecError, type CodecFailure } from "../src/core/errors.js";
import { checkTimeouts, type TimeoutPolicy } from "../src/core/policy.js";
import type { SessionRecord } from "../src/core/record.js";

const secret = "codec-conformance-secret-32bytes";
const oldSecret = "codec-conformance-old-secret-32b";
const otherSecret = "codec-conformance-other-secret-3";
const sid: CodecContext = { cookieName: "sid" };
const t0 = Date.UTC(2026, 0, 1);
const record: SessionRecord = {
  data: { username: "alice", cart: ["book", "pen"], visits: 3 },
  flash: { notice: "Saved" },
  meta: { createdAt: t0, lastSeenAt: t0 + 60_000, userId: "u-42", userAgent: "Mozilla/5.0" },
};

/** The CodecError reason a synchronous codec's `decode` throws; fails the test for any other outcome. */
export function reasonFor(codec: SyncCodec, value: string, context: CodecContext = sid): CodecFailure {
  try {
    codec.decode(value, context);
  } catch (err) {
    expect(err).toBeInstanceOf(CodecError);
    return (err as CodecError).reason;
  }
  throw new Error("expected decode to throw a CodecError");
}

/**
 * The CodecError reason `decode` throws or rejects with, for any codec (one on Web Crypto answers with a Promise);
 * fails the test for any other outcome.
 */
export async function rejectionOf(codec: Codec, value: string, context: CodecContext = sid): Promise<CodecFailure> {
  try {
    await codec.decode(value, context);
  } catch (err) {
    expect(err).toBeInstanceOf(CodecError);
    return (err as CodecError).reason;
  }
  throw new Error("expected decode to throw a CodecError");
}

/** What a codec's format can carry, for a codec made to another library's format (Flask's cookie). */
export interface CodecTraits {
  /** Values name the key that made them, so a foreign key is `unknown_key`; without ids it is `bad_signature`. @default true */
  keyIds?: boolean;
  /** The cookie name is bound into the value. @default true */
  bindsCookieName?: boolean;
  /** What a record comes back as after encode and decode, for a format that keeps less of it. @default the record itself */
  roundTrip?: (record: SessionRecord) => SessionRecord;
}

/**
 * Registers the shared codec cases. `make` builds the codec over a key ring of `secrets` (first signs/seals).
 *
 * @example
 * describeCodec("sealed", (secrets) => createSealedCodec(createKeyRing(secrets)));
 */
export function describeCodec(name: string, make: (secrets: string[]) => Codec, traits: CodecTraits = {}): void {
  const foreignKey: CodecFailure = traits.keyIds === false ? "bad_signature" : "unknown_key";
  const back = traits.roundTrip ?? ((r: SessionRecord) => r);
  describe(`${name} codec conformance`, () => {
    const codec = make([secret]);

    it("round-trips a record, metadata and flash included", async () => {
      const decoded = await codec.decode(await codec.encode(record, sid), sid);
      expect(decoded.record).toEqual(back(record));
      expect(decoded.keyIndex).toBe(0);
    });

    describe("tamper", () => {
      it("rejects a value with any one character changed", async () => {
        const value = await codec.encode(record, sid);
        for (let i = 0; i < value.length; i++) {
          if (value[i] === ".") continue;
          const replacement = value[i] === "A" ? "B" : "A";
          expect(["bad_signature", "malformed", "unknown_key", "unsupported_version"], `char ${i}`).toContain(
            await rejectionOf(codec, value.slice(0, i) + replacement + value.slice(i + 1)),
          );
        }
      });

      it("rejects a value whose last character was changed to any other base64url character", async () => {
        const value = await codec.encode(record, sid);
        // Includes the spellings that differ only in pad bits, which a lax base64url decoder reads as the same bytes.
        for (const replacement of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") {
          if (replacement === value.at(-1)) continue;
          expect(["bad_signature", "malformed"]).toContain(await rejectionOf(codec, value.slice(0, -1) + replacement));
        }
      });
    });

    describe("truncation", () => {
      it("rejects every proper prefix of a value", async () => {
        const value = await codec.encode(record, sid);
        for (let length = 0; length < value.length; length++) {
          expect(["malformed", "bad_signature", "unknown_key", "unsupported_version"], `length ${length}`).toContain(
            await rejectionOf(codec, value.slice(0, length)),
          );
        }
      });

      it("rejects a value with leading characters removed", async () => {
        const value = await codec.encode(record, sid);
        for (const cut of [1, 2, 4, 8]) expect(await rejectionOf(codec, value.slice(cut)), `cut ${cut}`).toBeTypeOf("string");
      });
    });

    describe("wrong key", () => {
      it(`rejects a value made under another secret as ${foreignKey}`, async () => {
        expect(await rejectionOf(codec, await make([otherSecret]).encode(record, sid))).toBe(foreignKey);
      });
    });

    describe("expiry", () => {
      const policy: TimeoutPolicy = { idleMs: 30 * 60_000, absoluteMs: 12 * 3_600_000, touchAfterMs: 60_000 };

      it("carries createdAt and lastSeenAt through unchanged for the manager's policy to judge", async () => {
        const { record: decoded } = await codec.decode(await codec.encode(record, sid), sid);
        expect(decoded.meta).toEqual(back(record).meta);
        expect(checkTimeouts(decoded.meta, t0 + 61_000, policy)).toBe("valid");
      });

      it("decodes an old session whose metadata the policy then refuses", async () => {
        const { record: back } = await codec.decode(await codec.encode({ ...record, meta: { createdAt: t0, lastSeenAt: t0 } }, sid), sid);
        expect(checkTimeouts(back.meta, t0 + policy.idleMs, policy)).toBe("idle_timeout");
        expect(checkTimeouts(back.meta, t0 + policy.absoluteMs, policy)).toBe("absolute_timeout");
      });
    });

    describe("rotation", () => {
      const old = make([oldSecret]);

      it("opens a value made under an old secret with keyIndex 1 when the old secret is listed second", async () => {
        const decoded = await make([secret, oldSecret]).decode(await old.encode(record, sid), sid);
        expect(decoded.keyIndex).toBe(1);
        expect(decoded.record).toEqual(back(record));
      });

      it("makes new values under the first secret of the ring", async () => {
        const value = await make([secret, oldSecret]).encode(record, sid);
        expect((await codec.decode(value, sid)).keyIndex).toBe(0);
        expect(await rejectionOf(old, value)).toBe(foreignKey);
      });

      it("refuses a value made under an old secret once that secret is dropped", async () => {
        expect(await rejectionOf(codec, await old.encode(record, sid))).toBe(foreignKey);
      });
    });

    if (traits.bindsCookieName !== false) {
      it("rejects a value issued under cookie name a when read under cookie name b", async () => {
        const value = await codec.encode(record, { cookieName: "a" });
        expect((await codec.decode(value, { cookieName: "a" })).record).toEqual(record);
        expect(await rejectionOf(codec, value, { cookieName: "b" })).toBe("bad_signature");
        expect(await rejectionOf(codec, await codec.encode(record, sid), { cookieName: "si" })).toBe("bad_signature");
      });
    }

    it("throws only CodecError for garbage", async () => {
      const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ ;\"%é\0";
      const random = (length: number, chars: string): string =>
        Array.from({ length }, () => chars[Math.floor(Math.random() * chars.length)]).join("");
      const garbage = ["", ".", "..", "!!!", "a.", ".a", "e30.e30", "AAAA", random(5000, alphabet), random(5000, alphabet.slice(0, 64))];
      for (const value of garbage) expect(await rejectionOf(codec, value), JSON.stringify(value.slice(0, 20))).toBeTypeOf("string");
    });
  });
}
