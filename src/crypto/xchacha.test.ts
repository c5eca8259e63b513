import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { hchacha20, nodeXChaCha, sodiumXChaCha, type XChaCha } from "./xchacha.js";

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");

describe("HChaCha20", () => {
  it("matches the test vector of draft-irtf-cfrg-xchacha §2.2.1", () => {
    const key = Uint8Array.from({ length: 32 }, (_, i) => i);
    const nonce = Uint8Array.from([0, 0, 0, 0x09, 0, 0, 0, 0x4a, 0, 0, 0, 0, 0x31, 0x41, 0x59, 0x27]);
    expect(hex(hchacha20(key, nonce))).toBe("82413b4227b27bfed30e42508a877d73a0f9e4d58a74a853c12ec41326d3ecdc");
  });
});

describe("XChaCha20-Poly1305", () => {
  const sodium = sodiumXChaCha();
  const node = nodeXChaCha();

  it("is found on Node: sodium-native (a dev dependency here) and node:crypto's ChaCha20-Poly1305", () => {
    expect(sodium?.name).toBe("sodium-native");
    expect(node?.name).toBe("node:crypto");
  });

  const seal = (aead: XChaCha, key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array => {
    const out = new Uint8Array(plaintext.length + 16);
    aead.key(key).seal(nonce, aad, plaintext, out, 0);
    return out;
  };

  it("gives the same bytes on both implementations, and each opens the other's", () => {
    for (const length of [0, 1, 63, 64, 65, 1000]) {
      const key = randomBytes(32);
      const nonce = randomBytes(24);
      const aad = randomBytes(length % 40);
      const plaintext = randomBytes(length);
      const bySodium = seal(sodium!, key, nonce, aad, plaintext);
      const byNode = seal(node!, key, nonce, aad, plaintext);
      expect(hex(byNode)).toBe(hex(bySodium));
      expect(hex(node!.key(key).open(nonce, aad, bySodium)!)).toBe(hex(plaintext));
      expect(hex(sodium!.key(key).open(nonce, aad, byNode)!)).toBe(hex(plaintext));
    }
  });

  it("refuses a flipped bit anywhere, a wrong AAD, a wrong nonce, a wrong key and a short value, on both", () => {
    const key = randomBytes(32);
    const nonce = randomBytes(24);
    const aad = Buffer.from("tessera.sealed\0sid");
    const sealed = seal(sodium!, key, nonce, aad, Buffer.from("the session"));
    for (const aead of [sodium!, node!]) {
      const opener = aead.key(key);
      for (let i = 0; i < sealed.length; i++) {
        const tampered = sealed.slice();
        tampered[i]! ^= 0x01;
        expect(opener.open(nonce, aad, tampered)).toBeNull();
      }
      expect(opener.open(nonce, Buffer.from("tessera.sealed\0other"), sealed)).toBeNull();
      const otherNonce = Uint8Array.from(nonce);
      otherNonce[23]! ^= 0x80;
      expect(opener.open(otherNonce, aad, sealed)).toBeNull();
      expect(aead.key(randomBytes(32)).open(nonce, aad, sealed)).toBeNull();
      expect(opener.open(nonce, aad, sealed.subarray(0, 15))).toBeNull();
      expect(hex(opener.open(nonce, aad, sealed)!)).toBe(hex(Buffer.from("the session")));
    }
  });

  it("keeps its own copy of the key: zeroing the caller's bytes afterwards changes nothing", () => {
    const key = randomBytes(32);
    const nonce = randomBytes(24);
    const aad = new Uint8Array(0);
    for (const aead of [sodium!, node!]) {
      const keyed = aead.key(key);
      const sealed = seal(aead, key, nonce, aad, Buffer.from("x"));
      const copy = Buffer.from(key);
      key.fill(0);
      expect(hex(keyed.open(nonce, aad, sealed)!)).toBe(hex(Buffer.from("x")));
      copy.copy(key);
    }
  });
});
