import { describe, it, expect } from "vitest";
import type { CodecContext } from "../core/codec.js";
import { CodecError, type CodecFailure } from "../core/errors.js";
import { checkTimeouts, type TimeoutPolicy } from "../core/policy.js";
import type { SessionRecord } from "../core/record.js";
import { encodeRecord } from "../core/wire.js";
import { createKeyRing } from "../crypto/keyring.js";
import { ivBytes, seal, tagBytes } from "../crypto/seal.js";
import { createSealedCodec } from "./sealed.js";

const secret = "sealed-codec-test-secret-32bytes";
const oldSecret = "sealed-codec-old-secret-32-bytes";
const otherSecret = "sealed-codec-other-secret-32byte";
const ring = createKeyRing([secret]);
const codec = createSealedCodec(ring);
const sid: CodecContext = { cookieName: "sid" };
const headerBytes = 1 + 4 + ivBytes;

const t0 = Date.UTC(2026, 0, 1);
const record: SessionRecord = {
  data: { username: "alice", cart: ["book", "pen"], visits: 3 },
  flash: { notice: "Saved" },
  meta: { createdAt: t0, lastSeenAt: t0 + 60_000, userId: "u-42", userAgent: "Mozilla/5.0" },
};

/** The CodecError reason `decode` throws; fails the test for any other outcome. */
function reasonFor(value: string, context: CodecContext = sid, using = codec): CodecFailure {
  try {
    using.decode(value, context);
  } catch (err) {
    expect(err).toBeInstanceOf(CodecError);
    return (err as CodecError).reason;
  }
  throw new Error("expected decode to throw a CodecError");
}

describe("sealed codec", () => {
  it("round-trips a record, metadata and flash included", () => {
    const value = codec.encode(record, sid);
    expect(value).toMatch(/^[A-Za-z0-9_-]+$/);
    const decoded = codec.decode(value, sid);
    expect(decoded.record).toEqual(record);
    expect(decoded.keyIndex).toBe(0);
  });

  it("hides the record: no field or value is readable in the cookie", () => {
    const value = codec.encode(record, sid);
    const bytes = Buffer.from(value, "base64url");
    expect(bytes.includes(Buffer.from("alice"))).toBe(false);
    expect(bytes.includes(Buffer.from("username"))).toBe(false);
  });

  it("lays out version, key id, iv, then ciphertext and a 16-byte tag", () => {
    const bytes = Buffer.from(codec.encode(record, sid), "base64url");
    expect(bytes[0]).toBe(1);
    expect(bytes.subarray(1, 5).equals(ring.current.id)).toBe(true);
    expect(bytes.length).toBe(headerBytes + Buffer.byteLength(encodeRecord(record)) + tagBytes);
  });

  it("gives a different value each time the same record is sealed (random iv)", () => {
    expect(codec.encode(record, sid)).not.toBe(codec.encode(record, sid));
  });

  describe("tamper", () => {
    it("rejects a value whose last character was changed to any other base64url character", () => {
      // Three lengths, so the last character carries 0, 2 and 4 pad bits: spellings that differ only in pad bits
      // are read as the same bytes by a lax base64url decoder.
      for (const padding of ["", "x", "xx"]) {
        const value = codec.encode({ ...record, data: { ...record.data, padding } }, sid);
        const last = value.at(-1)!;
        for (const replacement of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") {
          if (replacement === last) continue;
          expect(["bad_signature", "malformed"], `${padding.length} ${replacement}`).toContain(reasonFor(value.slice(0, -1) + replacement));
        }
      }
    });

    it("rejects a value with any one character changed", () => {
      const value = codec.encode(record, sid);
      // Characters 0-6 carry the version and key id; every later one is covered by the tag.
      const firstBodyChar = Math.ceil((5 * 8) / 6);
      for (let i = 0; i < value.length; i++) {
        const replacement = value[i] === "A" ? "B" : "A";
        const reason = reasonFor(value.slice(0, i) + replacement + value.slice(i + 1));
        if (i >= firstBodyChar) expect(["bad_signature", "malformed"], `char ${i}`).toContain(reason);
        else expect(["unsupported_version", "unknown_key"], `char ${i}`).toContain(reason);
      }
    });

    it("rejects a value with any one byte flipped, for the reason that byte carries", () => {
      const bytes = Buffer.from(codec.encode(record, sid), "base64url");
      for (let i = 0; i < bytes.length; i++) {
        const changed = Buffer.from(bytes);
        changed[i]! ^= 0x01;
        const expected = i === 0 ? "unsupported_version" : i < 5 ? "unknown_key" : "bad_signature";
        expect(reasonFor(changed.toString("base64url")), `byte ${i}`).toBe(expected);
      }
    });

    it("rejects a value with a character outside base64url as malformed", () => {
      const value = codec.encode(record, sid);
      for (const bad of ["+", "/", "=", ".", " ", "%"]) {
        expect(reasonFor(value.slice(0, 10) + bad + value.slice(11))).toBe("malformed");
      }
      expect(reasonFor(value + "=")).toBe("malformed");
    });
  });

  describe("truncation", () => {
    it("rejects every proper prefix of a value", () => {
      const value = codec.encode(record, sid);
      for (let length = 0; length < value.length; length++) {
        expect(["malformed", "bad_signature"], `length ${length}`).toContain(reasonFor(value.slice(0, length)));
      }
    });

    it("rejects a value with leading characters removed", () => {
      const value = codec.encode(record, sid);
      for (const cut of [1, 4, 8, 24]) expect(() => codec.decode(value.slice(cut), sid), `cut ${cut}`).toThrow(CodecError);
    });

    it("rejects a value whose tag was cut off as malformed or bad_signature", () => {
      const bytes = Buffer.from(codec.encode(record, sid), "base64url");
      expect(reasonFor(bytes.subarray(0, bytes.length - tagBytes).toString("base64url"))).toMatch(/^(malformed|bad_signature)$/);
      expect(reasonFor(bytes.subarray(0, headerBytes + tagBytes - 1).toString("base64url"))).toBe("malformed");
    });
  });

  describe("wrong key", () => {
    it("rejects a value sealed under another secret as unknown_key", () => {
      const other = createSealedCodec(createKeyRing([otherSecret]));
      expect(reasonFor(other.encode(record, sid))).toBe("unknown_key");
    });

    it("rejects a value carrying a known key id but sealed with another key as bad_signature", () => {
      const other = createSealedCodec(createKeyRing([otherSecret]));
      const bytes = Buffer.from(other.encode(record, sid), "base64url");
      ring.current.id.copy(bytes, 1);
      expect(reasonFor(bytes.toString("base64url"))).toBe("bad_signature");
    });
  });

  describe("expiry", () => {
    const policy: TimeoutPolicy = { idleMs: 30 * 60_000, absoluteMs: 12 * 3_600_000, touchAfterMs: 60_000 };

    it("carries createdAt and lastSeenAt through unchanged for the manager's policy to judge", () => {
      const { record: back } = codec.decode(codec.encode(record, sid), sid);
      expect(back.meta.createdAt).toBe(record.meta.createdAt);
      expect(back.meta.lastSeenAt).toBe(record.meta.lastSeenAt);
      expect(checkTimeouts(back.meta, t0 + 61_000, policy)).toBe("valid");
    });

    it("decodes an old session whose metadata the policy then refuses", () => {
      const old = codec.encode({ ...record, meta: { createdAt: t0, lastSeenAt: t0 } }, sid);
      const { record: back } = codec.decode(old, sid);
      expect(checkTimeouts(back.meta, t0 + policy.idleMs, policy)).toBe("idle_timeout");
      expect(checkTimeouts(back.meta, t0 + policy.absoluteMs, policy)).toBe("absolute_timeout");
    });
  });

  describe("rotation", () => {
    const oldCodec = createSealedCodec(createKeyRing([oldSecret]));

    it("opens a value sealed under an old secret with keyIndex 1 when the old secret is listed second", () => {
      const value = oldCodec.encode(record, sid);
      const rotated = createSealedCodec(createKeyRing([secret, oldSecret]));
      const decoded = rotated.decode(value, sid);
      expect(decoded.keyIndex).toBe(1);
      expect(decoded.record).toEqual(record);
    });

    it("seals under the first secret of the ring", () => {
      const rotated = createSealedCodec(createKeyRing([secret, oldSecret]));
      expect(codec.decode(rotated.encode(record, sid), sid).keyIndex).toBe(0);
    });

    it("refuses a value sealed under an old secret once that secret is dropped", () => {
      const value = oldCodec.encode(record, sid);
      expect(reasonFor(value)).toBe("unknown_key");
    });
  });

  it("rejects a value issued under cookie name a when read under cookie name b", () => {
    const value = codec.encode(record, { cookieName: "a" });
    expect(codec.decode(value, { cookieName: "a" }).record).toEqual(record);
    expect(reasonFor(value, { cookieName: "b" })).toBe("bad_signature");
    expect(reasonFor(codec.encode(record, sid), { cookieName: "sid2" })).toBe("bad_signature");
  });

  it("rejects an unsupported version byte as unsupported_version", () => {
    const bytes = Buffer.from(codec.encode(record, sid), "base64url");
    for (const version of [0, 2, 255]) {
      bytes[0] = version;
      expect(reasonFor(bytes.toString("base64url")), `version ${version}`).toBe("unsupported_version");
    }
  });

  it("throws only CodecError for garbage", () => {
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ ;\"%é\0";
    const random = (length: number, chars: string): string =>
      Array.from({ length }, () => chars[Math.floor(Math.random() * chars.length)]).join("");
    const garbage = [
      "",
      ".",
      "!!!",
      "A",
      "AQ",
      "AAAA",
      "A".repeat(44),
      random(5000, alphabet),
      random(5000, alphabet.slice(0, 64)),
      // A real header, then noise: passes every check before the tag.
      Buffer.concat([Buffer.from([1]), ring.current.id, Buffer.alloc(3000, 7)]).toString("base64url"),
    ];
    for (const value of garbage) {
      expect(() => codec.decode(value, sid), JSON.stringify(value.slice(0, 20))).toThrow(CodecError);
    }
  });

  it("rejects a correctly sealed payload that is not a record as bad_payload", () => {
    const sealRaw = (plaintext: string): string => {
      const body = Buffer.from(plaintext);
      const out = Buffer.alloc(headerBytes + body.length + tagBytes);
      out[0] = 1;
      ring.current.id.copy(out, 1);
      const aad = Buffer.concat([out.subarray(0, 5), Buffer.from("tessera.sealed\0sid")]);
      seal(ring.current.sealKey, out.subarray(5, headerBytes), aad, body, out, headerBytes);
      return out.toString("base64url");
    };
    expect(codec.decode(sealRaw(encodeRecord(record)), sid).record).toEqual(record);
    expect(reasonFor(sealRaw("not json"))).toBe("bad_payload");
    expect(reasonFor(sealRaw('{"v":1,"c":1,"s":1,"d":{"__proto__":{"admin":true}}}'))).toBe("bad_payload");
    expect(reasonFor(sealRaw('{"v":2,"c":1,"s":1,"d":{}}'))).toBe("unsupported_version");
  });
});
