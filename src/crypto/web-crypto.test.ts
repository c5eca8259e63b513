import { createHash, createHmac, hkdfSync, randomBytes } from "node:crypto";
import { describe, expect, it, vi } from "vitest";
import { checks, runScenario } from "../../test/runtimes/scenario.mjs";
import { decodeBase64url, encodeBase64url, utf8ByteLength } from "../core/bytes.js";
import type { SyncCodec } from "../core/codec.js";
import type { SessionRecord } from "../core/record.js";
import { createSealedCodec } from "../codecs/sealed.js";
import { createSignedCodec } from "../codecs/signed.js";
import { constantTimeEqual } from "./backend.js";
import { createKeyRing } from "./keyring.js";
import { nodeCryptoBackend } from "./node-crypto.js";
import { hkdfSha256, hmacSha256, sha256 } from "./sha256.js";
import { openTaggedToken, tagToken } from "./token-tag.js";
import { createToken } from "./tokens.js";
import { webCryptoBackend } from "./web-crypto.js";

const web = webCryptoBackend();
const node = nodeCryptoBackend()!;
const secrets = ["web-crypto-test-secret-of-32-bytes!", "web-crypto-test-old-secret-32-bytes"];
const sid = { cookieName: "sid" };
const record: SessionRecord = {
  data: { username: "alice", cart: ["book", "pen"], note: "é ✓ 𝄞" },
  flash: { notice: "Saved" },
  meta: { createdAt: Date.UTC(2026, 0, 1), lastSeenAt: Date.UTC(2026, 0, 1) + 60_000, userId: "u-42" },
};
const lengths = [0, 1, 2, 3, 31, 32, 55, 56, 57, 63, 64, 65, 119, 120, 128, 200, 1000];

describe("HKDF, HMAC and SHA-256 in JavaScript (key derivation where only Web Crypto is there)", () => {
  it("gives node:crypto's SHA-256 for inputs around every padding boundary", () => {
    for (const length of lengths) {
      const data = randomBytes(length);
      expect(Buffer.from(sha256(data)).toString("hex"), `length ${length}`).toBe(createHash("sha256").update(data).digest("hex"));
    }
  });

  it("gives node:crypto's HMAC-SHA256 for keys shorter and longer than a block", () => {
    for (const keyLength of [0, 16, 32, 64, 65, 200]) {
      const key = randomBytes(keyLength);
      const data = randomBytes(100);
      expect(Buffer.from(hmacSha256(key, data)).toString("hex"), `key ${keyLength}`).toBe(createHmac("sha256", key).update(data).digest("hex"));
    }
  });

  it("gives node:crypto's HKDF-SHA256 for every length the key ring derives and more", () => {
    for (const length of [4, 32, 33, 64, 100]) {
      const secret = randomBytes(40);
      const salt = Buffer.from("tessera.keyring.v1");
      const expected = Buffer.from(hkdfSync("sha256", secret, salt, "tessera/seal/aes-256-gcm", length));
      expect(Buffer.from(hkdfSha256(secret, salt, Buffer.from("tessera/seal/aes-256-gcm"), length)).equals(expected), `length ${length}`).toBe(true);
    }
  });

  it("derives the same key ids on both backends", () => {
    const onNode = createKeyRing(secrets, node);
    const onWeb = createKeyRing(secrets, web);
    expect(onWeb.keys.map((keys) => keys.idNumber)).toEqual(onNode.keys.map((keys) => keys.idNumber));
    expect(onWeb.crypto.name).toBe("web-crypto");
  });
});

describe("the same wire format on node:crypto and on Web Crypto", () => {
  const onNode = createKeyRing(secrets, node);
  const onWeb = createKeyRing(secrets, web);

  for (const [name, make] of [["sealed", createSealedCodec], ["signed", createSignedCodec]] as const) {
    it(`opens on Web Crypto a ${name} value made on node:crypto, and the other way round`, async () => {
      const nodeCodec = make(onNode) as SyncCodec;
      const webCodec = make(onWeb);
      const fromNode = nodeCodec.encode(record, sid);
      const fromWeb = webCodec.encode(record, sid);
      expect(fromWeb).toBeInstanceOf(Promise);
      expect((await webCodec.decode(fromNode, sid)).record).toEqual(record);
      expect(nodeCodec.decode(await fromWeb, sid).record).toEqual(record);
    });
  }

  it("makes the signed codec's known-answer value byte for byte on Web Crypto", async () => {
    const ring = createKeyRing(["tessera known-answer secret #0001"], web);
    const fixed: SessionRecord = {
      data: { username: "alice", cart: ["book", "pen"] },
      flash: { notice: "Saved" },
      meta: { createdAt: 1767225600000, lastSeenAt: 1767227400000, userId: "u-42" },
    };
    const vector = (createSignedCodec(createKeyRing(["tessera known-answer secret #0001"], node)) as SyncCodec).encode(fixed, sid);
    expect(await createSignedCodec(ring).encode(fixed, sid)).toBe(vector);
  });

  it("tags a store token identically, and opens the other backend's tags under the right secret", async () => {
    const token = createToken();
    const tagged = tagToken(onNode, "sid", token) as string;
    expect(await tagToken(onWeb, "sid", token)).toBe(tagged);
    expect(await openTaggedToken(onWeb, "sid", tagged)).toBe(0);
    const old = tagToken(createKeyRing([secrets[1]!], node), "sid", token) as string;
    expect(await openTaggedToken(onWeb, "sid", old)).toBe(1);
    expect(await openTaggedToken(onWeb, "other", tagged)).toBeUndefined();
    const changed = tagged.slice(0, -1) + (tagged.endsWith("A") ? "B" : "A");
    expect(await openTaggedToken(onWeb, "sid", changed)).toBeUndefined();
  });

  it("hashes a string as node:crypto does", async () => {
    for (const text of ["", "abc", createToken(), "é ✓ 𝄞"]) {
      expect(await web.sha256Base64url(text)).toBe(createHash("sha256").update(text).digest("base64url"));
    }
  });
});

describe("bytes without Buffer", () => {
  it("encodes and decodes base64url as Buffer does, for every length up to 100", () => {
    for (let length = 0; length <= 100; length++) {
      const bytes = randomBytes(length);
      const text = bytes.toString("base64url");
      expect(encodeBase64url(bytes), `length ${length}`).toBe(text);
      expect(Buffer.from(decodeBase64url(text)).equals(bytes), `length ${length}`).toBe(true);
    }
  });

  it("counts UTF-8 bytes as Buffer.byteLength does, lone surrogates included", () => {
    for (const text of ["", "ascii", "é", "✓", "𝄞", "a𝄞b", "\ud800", "\udc00x", "\ud800\ud800\udc00", "€".repeat(50)]) {
      expect(utf8ByteLength(text), JSON.stringify(text)).toBe(Buffer.byteLength(text));
    }
  });
});

describe("the runtime conformance scenario where the runtime gives no node:crypto", () => {
  it("passes every check with the root entry and the memory store on Web Crypto and without Buffer", async () => {
    const original = process.getBuiltinModule;
    // As on Workers: no process.getBuiltinModule, so tessera loads its Web Crypto backend and JavaScript base64url.
    (process as { getBuiltinModule?: unknown }).getBuiltinModule = undefined;
    vi.resetModules();
    try {
      const tessera = await import("../index.js");
      const memory = await import("../stores/memory/index.js");
      const { backend, results } = await runScenario({ tessera, memory });
      expect(backend).toBe("web-crypto");
      for (const check of checks) expect(results[check], check).toEqual({ ok: true });
    } finally {
      process.getBuiltinModule = original;
      vi.resetModules();
    }
  });
});

describe("constantTimeEqual", () => {
  it("is true for equal strings only, whatever their length", () => {
    const tag = "AbCdEfGhIjKlMnOpQrStUv";
    expect(constantTimeEqual(tag, `${tag}`)).toBe(true);
    expect(constantTimeEqual("", "")).toBe(true);
    for (let i = 0; i < tag.length; i++) {
      expect(constantTimeEqual(tag, tag.slice(0, i) + (tag[i] === "A" ? "B" : "A") + tag.slice(i + 1)), `char ${i}`).toBe(false);
    }
    expect(constantTimeEqual(tag, tag.slice(0, -1))).toBe(false);
    expect(constantTimeEqual(tag, `${tag}A`)).toBe(false);
    expect(constantTimeEqual("", "A")).toBe(false);
  });
});
