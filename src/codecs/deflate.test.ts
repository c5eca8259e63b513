import { deflateRawSync } from "node:zlib";
import { describe, expect, it, vi } from "vitest";
import type { SessionRecord } from "../core/record.js";
import { deflateRaw, inflateRaw, resolveCompression, webDeflateRaw, webInflateRaw } from "./deflate.js";

const text = new TextEncoder().encode(JSON.stringify({ cart: Array.from({ length: 200 }, (_, i) => `item-${i % 7}`) }));
// 1 MiB of zeros, deflated to about 1 KiB: a bomb.
const bomb = new Uint8Array(deflateRawSync(Buffer.alloc(1 << 20)));

describe.each([
  ["node:zlib", deflateRaw, inflateRaw],
  ["Compression Streams", webDeflateRaw, webInflateRaw],
] as const)("raw DEFLATE on %s", (_, deflate, inflate) => {
  it("gives back what it compressed, smaller", async () => {
    const deflated = await deflate(text);
    expect(deflated.length).toBeLessThan(text.length / 4);
    expect(Buffer.from((await inflate(deflated, 65536))!).equals(Buffer.from(text))).toBe(true);
  });

  it("stops a bomb at the cap instead of inflating it", async () => {
    expect(bomb.length).toBeLessThan(2048);
    expect(await inflate(bomb, 65536)).toBeUndefined();
    expect((await inflate(bomb, 1 << 20))?.length).toBe(1 << 20);
  });

  it("refuses a broken stream and a cut one", async () => {
    const deflated = await deflate(text);
    expect(await inflate(new Uint8Array([0xff, 0xff, 0xff, 0xff]), 65536)).toBeUndefined();
    expect(await inflate(deflated.subarray(0, deflated.length - 4), 65536)).toBeUndefined();
  });

  it("reads what the other one wrote", async () => {
    const other = deflate === deflateRaw ? await webDeflateRaw(text) : deflateRawSync(text);
    expect(Buffer.from((await inflate(other, 65536))!).equals(Buffer.from(text))).toBe(true);
  });
});

it("refuses bytes after the end of the stream on node:zlib, which would otherwise skip them", () => {
  const deflated = deflateRawSync(text);
  expect(inflateRaw(Uint8Array.of(...deflated, 0, 1, 2), 65536)).toBeUndefined();
  expect(inflateRaw(deflated, 65536)).toBeInstanceOf(Uint8Array);
});

describe("compression options", () => {
  it("are checked, naming the option", () => {
    expect(() => resolveCompression({ compress: "yes" as never })).toThrow(/`compress`/);
    expect(() => resolveCompression({ maxInflatedBytes: 10 })).toThrow(/`maxInflatedBytes`/);
    expect(() => resolveCompression({ maxInflatedBytes: 1.5e3 + 0.5 })).toThrow(/`maxInflatedBytes`/);
    expect(resolveCompression(undefined)).toEqual({ compress: false, maxInflatedBytes: 65536 });
  });
});

describe("on a runtime without node: modules (Workers, edge)", () => {
  it("seals and signs compressed on Web Crypto and Compression Streams, and opens what node:zlib wrote", async () => {
    const record: SessionRecord = { data: { cart: Array.from({ length: 300 }, () => "book") }, flash: {}, meta: { createdAt: 1, lastSeenAt: 2 } };
    const { createSealedCodec: nodeSealed } = await import("./sealed.js");
    const { createKeyRing: nodeRing } = await import("../crypto/keyring.js");
    const secret = "deflate-test-secret-of-32-bytes-or-more";
    const fromNode = await nodeSealed(nodeRing([secret]), undefined, { compress: true }).encode(record, { cookieName: "sid" });
    const process = globalThis.process as { getBuiltinModule?: unknown };
    const getBuiltinModule = process.getBuiltinModule;
    vi.resetModules();
    process.getBuiltinModule = undefined;
    try {
      const { createSealedCodec } = await import("./sealed.js");
      const { createSignedCodec } = await import("./signed.js");
      const { createKeyRing } = await import("../crypto/keyring.js");
      const ring = createKeyRing([secret]);
      expect(ring.crypto.name).not.toBe("node:crypto");
      for (const codec of [createSealedCodec(ring, undefined, { compress: true }), createSignedCodec(ring, undefined, { compress: true })]) {
        const encoding = codec.encode(record, { cookieName: "sid" });
        expect(encoding).toBeInstanceOf(Promise);
        const value = await encoding;
        expect(value.length).toBeLessThan(400);
        expect((await codec.decode(value, { cookieName: "sid" })).record).toEqual(record);
      }
      expect((await createSealedCodec(ring).decode(fromNode, { cookieName: "sid" })).record).toEqual(record);
    } finally {
      process.getBuiltinModule = getBuiltinModule;
      vi.resetModules();
    }
  });
});
