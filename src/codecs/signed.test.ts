import { describe, it, expect } from "vitest";
import { reasonFor as reasonOf } from "../../test/codec-conformance.js";
import { createHmac, hkdfSync } from "node:crypto";
import { deflateRawSync, inflateRawSync } from "node:zlib";
import type { CodecContext, SyncCodec } from "../core/codec.js";
import { CodecError, type CodecFailure } from "../core/errors.js";
import type { SessionRecord } from "../core/record.js";
import { encodeRecord } from "../core/wire.js";
import { createKeyRing } from "../crypto/keyring.js";
import { createSignedCodec } from "./signed.js";

const secret = "signed-codec-test-secret-32bytes";
const otherSecret = "signed-codec-other-secret-32byte";
const ring = createKeyRing([secret]);
// On Node the codecs run on node:crypto, which answers synchronously; test/codecs.test.ts runs the shared cases on Web Crypto.
const codec = createSignedCodec(ring) as SyncCodec;
const sid: CodecContext = { cookieName: "sid" };

const t0 = Date.UTC(2026, 0, 1);
const record: SessionRecord = {
  data: { username: "alice", cart: ["book", "pen"], visits: 3 },
  flash: { notice: "Saved" },
  meta: { createdAt: t0, lastSeenAt: t0 + 60_000, userId: "u-42", userAgent: "Mozilla/5.0" },
};

/** The CodecError reason `decode` throws (see test/codec-conformance.ts); fails the test for any other outcome. */
const reasonFor = (value: string, context: CodecContext = sid, using = codec): CodecFailure => reasonOf(using, value, context);

/** A value's payload text and signature bytes. */
function split(value: string): { payload: string; signature: Buffer } {
  const dot = value.lastIndexOf(".");
  return { payload: value.slice(0, dot), signature: Buffer.from(value.slice(dot + 1), "base64url") };
}

describe("signed codec", () => {
  it("gives the same value for the same record and secret", () => {
    expect(codec.encode(record, sid)).toBe((createSignedCodec(createKeyRing([secret])) as SyncCodec).encode(record, sid));
  });

  it("writes a readable payload: base64url of the record's JSON", () => {
    const value = codec.encode(record, sid);
    const { payload } = split(value);
    expect(payload).toMatch(/^[A-Za-z0-9_-]+$/);
    const json = Buffer.from(payload, "base64url").toString("utf8");
    expect(json).toBe(encodeRecord(record));
    expect(JSON.parse(json)).toEqual({
      v: 1,
      c: t0,
      s: t0 + 60_000,
      u: "u-42",
      a: "Mozilla/5.0",
      d: { username: "alice", cart: ["book", "pen"], visits: 3 },
      f: { notice: "Saved" },
    });
  });

  it("matches its known-answer vector", () => {
    const known = createSignedCodec(createKeyRing(["tessera known-answer secret #0001"])) as SyncCodec;
    const fixed: SessionRecord = {
      data: { username: "alice", cart: ["book", "pen"] },
      flash: { notice: "Saved" },
      meta: { createdAt: 1767225600000, lastSeenAt: 1767227400000, userId: "u-42" },
    };
    const vector =
      "eyJ2IjoxLCJjIjoxNzY3MjI1NjAwMDAwLCJzIjoxNzY3MjI3NDAwMDAwLCJkIjp7InVzZXJuYW1lIjoiYWxpY2UiLCJjYXJ0IjpbImJvb2siLCJwZW4iXX0sInUiOiJ1LTQyIiwiZiI6eyJub3RpY2UiOiJTYXZlZCJ9fQ" +
      ".ASVM_c3SzUBUiwqtvT3Dbki4pqXchD3DEt4JGfkpuOUL7ycpSg";
    expect(known.encode(fixed, sid)).toBe(vector);
    expect(known.decode(vector, sid).record).toEqual(fixed);
  });

  it("signs version, key id, cookie name and payload with HMAC-SHA256 under an HKDF-derived key", () => {
    const value = codec.encode(record, sid);
    const { payload, signature } = split(value);
    const key = Buffer.from(hkdfSync("sha256", Buffer.from(secret), Buffer.from("tessera.keyring.v1"), "tessera/sign/hmac-sha256", 32));
    const keyId = Buffer.from(hkdfSync("sha256", Buffer.from(secret), Buffer.from("tessera.keyring.v1"), "tessera/key-id", 4));
    const header = Buffer.concat([Buffer.from([1]), keyId]);
    const mac = createHmac("sha256", key).update(header).update("tessera.signed\0sid\0").update(payload).digest();
    expect(signature.equals(Buffer.concat([header, mac]))).toBe(true);
  });

  describe("tamper", () => {
    it("rejects a value with any one payload character changed", () => {
      const value = codec.encode(record, sid);
      const dot = value.lastIndexOf(".");
      for (let i = 0; i < dot; i++) {
        const replacement = value[i] === "A" ? "B" : "A";
        expect(["bad_signature", "malformed"], `char ${i}`).toContain(reasonFor(value.slice(0, i) + replacement + value.slice(i + 1)));
      }
    });

    it("rejects a value with any one signature byte flipped, for the reason that byte carries", () => {
      const value = codec.encode(record, sid);
      const { payload, signature } = split(value);
      for (let i = 0; i < signature.length; i++) {
        const changed = Buffer.from(signature);
        changed[i]! ^= 0x01;
        const expected = i === 0 ? "unsupported_version" : i < 5 ? "unknown_key" : "bad_signature";
        expect(reasonFor(`${payload}.${changed.toString("base64url")}`), `byte ${i}`).toBe(expected);
      }
    });

    it("rejects a payload re-encoded with a changed field as bad_signature", () => {
      const { payload, signature } = split(codec.encode(record, sid));
      const forged = Buffer.from(Buffer.from(payload, "base64url").toString().replace('"u-42"', '"u-43"')).toString("base64url");
      expect(forged).not.toBe(payload);
      expect(reasonFor(`${forged}.${signature.toString("base64url")}`)).toBe("bad_signature");
    });

    it("rejects characters outside base64url and extra dots as malformed", () => {
      const value = codec.encode(record, sid);
      for (const bad of ["+", "/", "=", " ", "%"]) expect(reasonFor(value.slice(0, 5) + bad + value.slice(6))).toBe("malformed");
      expect(reasonFor(value.replace(".", ".."))).toBe("malformed");
      expect(reasonFor(`x.${value}`)).toBe("malformed");
      expect(reasonFor(value + ".")).toBe("malformed");
    });
  });

  it("rejects a value carrying a known key id but signed with another key as bad_signature", () => {
    const other = createSignedCodec(createKeyRing([otherSecret])) as SyncCodec;
    const { payload, signature } = split(other.encode(record, sid));
    signature.set(ring.current.id, 1);
    expect(reasonFor(`${payload}.${signature.toString("base64url")}`)).toBe("bad_signature");
  });

  it("rejects an unsupported version byte as unsupported_version", () => {
    const { payload, signature } = split(codec.encode(record, sid));
    for (const version of [0, 3, 255]) {
      signature[0] = version;
      expect(reasonFor(`${payload}.${signature.toString("base64url")}`), `version ${version}`).toBe("unsupported_version");
    }
  });

  it("throws only CodecError for garbage", () => {
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ ;\"%é\0";
    const random = (length: number, chars: string): string =>
      Array.from({ length }, () => chars[Math.floor(Math.random() * chars.length)]).join("");
    const header = Buffer.concat([Buffer.from([1]), ring.current.id, Buffer.alloc(32)]).toString("base64url");
    const garbage = [
      "",
      ".",
      "..",
      "!!!",
      "a.",
      ".a",
      "e30.e30",
      random(5000, alphabet),
      random(5000, alphabet.slice(0, 64)),
      `${random(4000, alphabet.slice(0, 64))}.${random(50, alphabet.slice(0, 64))}`,
      // A real version and key id with a zero MAC over noise.
      `${random(3000, alphabet.slice(0, 64))}.${header}`,
    ];
    for (const value of garbage) {
      expect(() => codec.decode(value, sid), JSON.stringify(value.slice(0, 20))).toThrow(CodecError);
    }
  });

  it("rejects a correctly signed payload that is not a record as bad_payload", () => {
    const signRaw = (json: string): string => {
      const payload = Buffer.from(json).toString("base64url");
      const header = Buffer.concat([Buffer.from([1]), ring.current.id]);
      const mac = Buffer.from(ring.crypto.hmac(ring.current.signKey, [header, Buffer.from("tessera.signed\0sid\0"), Buffer.from(payload)]) as Uint8Array);
      return `${payload}.${Buffer.concat([header, mac]).toString("base64url")}`;
    };
    expect(codec.decode(signRaw(encodeRecord(record)), sid).record).toEqual(record);
    expect(reasonFor(signRaw("not json"))).toBe("bad_payload");
    expect(reasonFor(signRaw('{"v":1,"c":1,"s":1,"d":{"x":{"constructor":{"prototype":1}}}}'))).toBe("bad_payload");
    expect(reasonFor(signRaw(`{"v":1,"c":1,"s":1,"d":{"x":${"[".repeat(10_000)}${"]".repeat(10_000)}}}`))).toBe("bad_payload");
    expect(reasonFor(signRaw('{"v":2,"c":1,"s":1,"d":{}}'))).toBe("unsupported_version");
  });
});

describe("signed codec with compress", () => {
  const compressing = createSignedCodec(ring, undefined, { compress: true }) as SyncCodec;
  const cart: SessionRecord = { ...record, data: { cart: Array.from({ length: 400 }, (_, i) => `book-${i % 10}`) } };
  /** A value signed by hand: `payload` as it is, under `version`. */
  const signRaw = (payload: Uint8Array, version: number): string => {
    const text = Buffer.from(payload).toString("base64url");
    const header = Buffer.concat([Buffer.from([version]), ring.current.id]);
    const mac = Buffer.from(ring.crypto.hmac(ring.current.signKey, [header, Buffer.from("tessera.signed\0sid\0"), Buffer.from(text)]) as Uint8Array);
    return `${text}.${Buffer.concat([header, mac]).toString("base64url")}`;
  };

  it("signs a record that compresses as version 2: its payload is the record deflated, and it opens", () => {
    const value = compressing.encode(cart, sid);
    const { payload, signature } = split(value);
    expect(signature[0]).toBe(2);
    expect(inflateRawSync(Buffer.from(payload, "base64url")).toString()).toBe(encodeRecord(cart));
    expect(value.length).toBeLessThan(codec.encode(cart, sid).length / 4);
    expect(compressing.decode(value, sid).record).toEqual(cart);
  });

  it("signs a record compression does not shrink as version 1, the same value as without compress", () => {
    // 28 bytes of JSON with nothing repeated: DEFLATE's block header makes them longer.
    const tiny: SessionRecord = { data: {}, flash: {}, meta: { createdAt: 17, lastSeenAt: 23 } };
    expect(deflateRawSync(encodeRecord(tiny)).length).toBeGreaterThanOrEqual(Buffer.byteLength(encodeRecord(tiny)));
    expect(compressing.encode(tiny, sid)).toBe(codec.encode(tiny, sid));
  });

  it("opens compressed values without compress, and plain values with it", () => {
    expect(codec.decode(compressing.encode(cart, sid), sid).record).toEqual(cart);
    expect(compressing.decode(codec.encode(cart, sid), sid).record).toEqual(cart);
  });

  it("covers the version with the MAC: a compressed value relabelled as plain fails", () => {
    const { payload, signature } = split(compressing.encode(cart, sid));
    signature[0] = 1;
    expect(reasonFor(`${payload}.${signature.toString("base64url")}`)).toBe("bad_signature");
  });

  it("refuses a signed bomb as bad_payload, and a version 2 payload that is not DEFLATE", () => {
    const bomb = deflateRawSync(Buffer.from(`{"v":1,"c":1,"s":1,"d":{"x":"${"a".repeat(1 << 20)}"}}`));
    expect(reasonFor(signRaw(bomb, 2))).toBe("bad_payload");
    expect(reasonFor(signRaw(Buffer.from(encodeRecord(record)), 2))).toBe("bad_payload");
    expect(codec.decode(signRaw(deflateRawSync(Buffer.from(encodeRecord(record))), 2), sid).record).toEqual(record);
  });
});
