import { deflateRawSync } from "node:zlib";
import { describe, it, expect } from "vitest";
import { reasonFor as reasonOf } from "../../test/codec-conformance.js";
import type { CodecContext, SyncCodec } from "../core/codec.js";
import { CodecError, type CodecFailure } from "../core/errors.js";
import type { SessionRecord } from "../core/record.js";
import { encodeRecord } from "../core/wire.js";
import { createKeyRing } from "../crypto/keyring.js";
import { ivBytes, tagBytes } from "../crypto/backend.js";
import { createSealedCodec } from "./sealed.js";

const secret = "sealed-codec-test-secret-32bytes";
const otherSecret = "sealed-codec-other-secret-32byte";
const ring = createKeyRing([secret]);
// On Node the codecs run on node:crypto, which answers synchronously; test/codecs.test.ts runs the shared cases on Web Crypto.
const codec = createSealedCodec(ring) as SyncCodec;
const sid: CodecContext = { cookieName: "sid" };
const headerBytes = 1 + 4 + ivBytes;

const t0 = Date.UTC(2026, 0, 1);
const record: SessionRecord = {
  data: { username: "alice", cart: ["book", "pen"], visits: 3 },
  flash: { notice: "Saved" },
  meta: { createdAt: t0, lastSeenAt: t0 + 60_000, userId: "u-42", userAgent: "Mozilla/5.0" },
};

/** The CodecError reason `decode` throws (see test/codec-conformance.ts); fails the test for any other outcome. */
const reasonFor = (value: string, context: CodecContext = sid, using = codec): CodecFailure => reasonOf(using, value, context);

describe("sealed codec", () => {
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
    it("rejects a value whose tag was cut off as malformed or bad_signature", () => {
      const bytes = Buffer.from(codec.encode(record, sid), "base64url");
      expect(reasonFor(bytes.subarray(0, bytes.length - tagBytes).toString("base64url"))).toMatch(/^(malformed|bad_signature)$/);
      expect(reasonFor(bytes.subarray(0, headerBytes + tagBytes - 1).toString("base64url"))).toBe("malformed");
    });
  });

  it("rejects a value carrying a known key id but sealed with another key as bad_signature", () => {
    const other = createSealedCodec(createKeyRing([otherSecret])) as SyncCodec;
    const bytes = Buffer.from(other.encode(record, sid), "base64url");
    bytes.set(ring.current.id, 1);
    expect(reasonFor(bytes.toString("base64url"))).toBe("bad_signature");
  });

  it("rejects an unsupported version byte as unsupported_version", () => {
    const bytes = Buffer.from(codec.encode(record, sid), "base64url");
    for (const version of [0, 5, 255]) {
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
      out.set(ring.current.id, 1);
      const aad = Buffer.concat([out.subarray(0, 5), Buffer.from("tessera.sealed\0sid")]);
      ring.crypto.seal(ring.current.sealKey, out.subarray(5, headerBytes), aad, body, out, headerBytes);
      return out.toString("base64url");
    };
    expect(codec.decode(sealRaw(encodeRecord(record)), sid).record).toEqual(record);
    expect(reasonFor(sealRaw("not json"))).toBe("bad_payload");
    expect(reasonFor(sealRaw('{"v":1,"c":1,"s":1,"d":{"__proto__":{"admin":true}}}'))).toBe("bad_payload");
    expect(reasonFor(sealRaw('{"v":2,"c":1,"s":1,"d":{}}'))).toBe("unsupported_version");
  });
});

describe("sealed codec with XChaCha20-Poly1305", () => {
  const xchacha = createSealedCodec(ring, { cipher: "xchacha20-poly1305" }) as SyncCodec;

  it("lays out version 3, key id, a 24-byte nonce, then ciphertext and a 16-byte tag", () => {
    const bytes = Buffer.from(xchacha.encode(record, sid), "base64url");
    expect(bytes[0]).toBe(3);
    expect(bytes.subarray(1, 5).equals(ring.current.id)).toBe(true);
    expect(bytes.length).toBe(1 + 4 + 24 + Buffer.byteLength(encodeRecord(record)) + tagBytes);
    expect(bytes.includes(Buffer.from("alice"))).toBe(false);
  });

  it("opens values of either cipher, so switching rolls out without logging anyone out", () => {
    expect(xchacha.decode(codec.encode(record, sid), sid).record).toEqual(record);
    expect(codec.decode(xchacha.encode(record, sid), sid).record).toEqual(record);
  });

  it("binds the version byte: an XChaCha20 value relabelled as AES-256-GCM (or back) does not open", () => {
    const bytes = Buffer.from(xchacha.encode(record, sid), "base64url");
    bytes[0] = 1;
    expect(reasonFor(bytes.toString("base64url"))).toBe("bad_signature");
    const aes = Buffer.from(codec.encode(record, sid), "base64url");
    aes[0] = 3;
    expect(reasonFor(aes.toString("base64url"))).toBe("bad_signature");
  });

  it("refuses a value it cannot open where no XChaCha20 exists (Web Crypto alone) as an unsupported version", () => {
    const webOnly = createSealedCodec(ring, { xchacha: null }) as SyncCodec;
    expect(reasonFor(xchacha.encode(record, sid), sid, webOnly)).toBe("unsupported_version");
    expect(webOnly.decode(codec.encode(record, sid), sid).record).toEqual(record);
    expect(() => createSealedCodec(ring, { cipher: "xchacha20-poly1305", xchacha: null })).toThrow(
      expect.objectContaining({ code: "ERR_INVALID_OPTION" }),
    );
    expect(() => createSealedCodec(ring, { cipher: "chacha" as never })).toThrow(expect.objectContaining({ code: "ERR_INVALID_OPTION" }));
  });

  it("compresses too: version 4, opened by a codec without compress, and refused relabelled as version 3", () => {
    const both = createSealedCodec(ring, { cipher: "xchacha20-poly1305", compress: true }) as SyncCodec;
    const cart: SessionRecord = { ...record, data: { cart: Array.from({ length: 400 }, (_, i) => `book-${i % 10}`) } };
    const bytes = Buffer.from(both.encode(cart, sid), "base64url");
    expect(bytes[0]).toBe(4);
    expect(bytes.length).toBeLessThan(Buffer.byteLength(encodeRecord(cart)) / 4);
    expect(codec.decode(bytes.toString("base64url"), sid).record).toEqual(cart);
    bytes[0] = 3;
    expect(reasonFor(bytes.toString("base64url"))).toBe("bad_signature");
  });
});

describe("sealed codec with compress", () => {
  const compressing = createSealedCodec(ring, undefined, { compress: true }) as SyncCodec;
  const cart: SessionRecord = { ...record, data: { cart: Array.from({ length: 400 }, (_, i) => `book-${i % 10}`) } };

  it("seals a record that compresses as version 2, smaller, and opens it", () => {
    const value = compressing.encode(cart, sid);
    const bytes = Buffer.from(value, "base64url");
    expect(bytes[0]).toBe(2);
    expect(value.length).toBeLessThan(codec.encode(cart, sid).length / 4);
    expect(compressing.decode(value, sid).record).toEqual(cart);
  });

  it("seals a record compression does not shrink as version 1, unchanged", () => {
    // 28 bytes of JSON with nothing repeated: DEFLATE's block header makes them longer.
    const tiny: SessionRecord = { data: {}, flash: {}, meta: { createdAt: 17, lastSeenAt: 23 } };
    expect(deflateRawSync(encodeRecord(tiny)).length).toBeGreaterThanOrEqual(Buffer.byteLength(encodeRecord(tiny)));
    const bytes = Buffer.from(compressing.encode(tiny, sid), "base64url");
    expect(bytes[0]).toBe(1);
    expect(bytes.length).toBe(headerBytes + Buffer.byteLength(encodeRecord(tiny)) + tagBytes);
  });

  it("opens compressed values without compress, and plain values with it (turning it on or off logs no one out)", () => {
    expect(codec.decode(compressing.encode(cart, sid), sid).record).toEqual(cart);
    expect(compressing.decode(codec.encode(cart, sid), sid).record).toEqual(cart);
  });

  it("binds the version into the AAD: a compressed value relabelled as plain fails the tag, and the reverse too", () => {
    const compressed = Buffer.from(compressing.encode(cart, sid), "base64url");
    compressed[0] = 1;
    expect(reasonFor(compressed.toString("base64url"))).toBe("bad_signature");
    const plain = Buffer.from(codec.encode(cart, sid), "base64url");
    plain[0] = 2;
    expect(reasonFor(plain.toString("base64url"))).toBe("bad_signature");
  });

  it("refuses a sealed bomb as bad_payload without inflating it past the cap", () => {
    const plaintext = deflateRawSync(Buffer.from(`{"v":1,"c":1,"s":1,"d":{"x":"${"a".repeat(1 << 20)}"}}`));
    const out = Buffer.alloc(headerBytes + plaintext.length + tagBytes);
    out[0] = 2;
    out.set(ring.current.id, 1);
    const aad = Buffer.concat([out.subarray(0, 5), Buffer.from("tessera.sealed\0sid")]);
    ring.crypto.seal(ring.current.sealKey, out.subarray(5, headerBytes), aad, plaintext, out, headerBytes);
    expect(out.length).toBeLessThan(4096);
    expect(reasonFor(out.toString("base64url"))).toBe("bad_payload");
    const generous = createSealedCodec(ring, undefined, { maxInflatedBytes: 2 << 20 }) as SyncCodec;
    expect(generous.decode(out.toString("base64url"), sid).record.data.x).toHaveLength(1 << 20);
  });

  it("writes a record over maxInflatedBytes uncompressed, so no reader is handed a value it cannot inflate", () => {
    const capped = createSealedCodec(ring, undefined, { compress: true, maxInflatedBytes: 1024 }) as SyncCodec;
    expect(Buffer.from(capped.encode(cart, sid), "base64url")[0]).toBe(1);
  });
});
