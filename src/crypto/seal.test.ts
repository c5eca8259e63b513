import { describe, it, expect } from "vitest";
import { createKeyRing } from "./keyring.js";
import { ivBytes, open, seal, tagBytes } from "./seal.js";
import { randomBytes } from "./tokens.js";

const { sealKey: key } = createKeyRing(["seal-test-secret-of-32-bytes-ok!"]).current;
const { sealKey: otherKey } = createKeyRing(["another-seal-secret-of-32-bytes!"]).current;
const aad = Buffer.from("tessera.sealed\0sid");
const plaintext = Buffer.from('{"v":1,"d":{"user":"alice"}}');

function sealed(iv: Buffer, offset = 0): Buffer {
  const out = Buffer.alloc(offset + plaintext.length + tagBytes);
  seal(key, iv, aad, plaintext, out, offset);
  return out.subarray(offset);
}

describe("seal and open", () => {
  it("opens what it sealed", () => {
    const iv = randomBytes(ivBytes);
    const box = sealed(iv);
    expect(box.length).toBe(plaintext.length + tagBytes);
    expect(open(key, iv, aad, box)?.toString()).toBe(plaintext.toString());
  });

  it("writes ciphertext and tag at the offset it is given, leaving the bytes before it alone", () => {
    const iv = randomBytes(ivBytes);
    const out = Buffer.alloc(7 + plaintext.length + tagBytes, 0xaa);
    seal(key, iv, aad, plaintext, out, 7);
    expect(out.subarray(0, 7).every((byte) => byte === 0xaa)).toBe(true);
    expect(open(key, iv, aad, out.subarray(7))?.equals(plaintext)).toBe(true);
  });

  it("does not leave the plaintext readable in the output", () => {
    const box = sealed(randomBytes(ivBytes));
    expect(box.includes(Buffer.from("alice"))).toBe(false);
  });

  it("gives different ciphertexts for different ivs", () => {
    expect(sealed(randomBytes(ivBytes)).equals(sealed(randomBytes(ivBytes)))).toBe(false);
  });

  it("refuses a box with any single byte of ciphertext or tag flipped", () => {
    const iv = randomBytes(ivBytes);
    const box = sealed(iv);
    for (let i = 0; i < box.length; i++) {
      const changed = Buffer.from(box);
      changed[i]! ^= 0x01;
      expect(open(key, iv, aad, changed), `byte ${i}`).toBeNull();
    }
  });

  it("refuses a box opened with any single byte of the iv flipped", () => {
    const iv = randomBytes(ivBytes);
    const box = sealed(iv);
    for (let i = 0; i < iv.length; i++) {
      const changed = Buffer.from(iv);
      changed[i]! ^= 0x01;
      expect(open(key, changed, aad, box), `byte ${i}`).toBeNull();
    }
  });

  it("refuses a box opened with any single byte of the aad flipped", () => {
    const iv = randomBytes(ivBytes);
    const box = sealed(iv);
    for (let i = 0; i < aad.length; i++) {
      const changed = Buffer.from(aad);
      changed[i]! ^= 0x01;
      expect(open(key, iv, changed, box), `byte ${i}`).toBeNull();
    }
    expect(open(key, iv, Buffer.from("tessera.sealed\0other"), box)).toBeNull();
  });

  it("refuses a box opened with another key", () => {
    const iv = randomBytes(ivBytes);
    expect(open(otherKey, iv, aad, sealed(iv))).toBeNull();
  });

  it("refuses a truncated box, down to nothing, without throwing", () => {
    const iv = randomBytes(ivBytes);
    const box = sealed(iv);
    for (let length = box.length - 1; length >= 0; length--) {
      expect(open(key, iv, aad, box.subarray(0, length)), `length ${length}`).toBeNull();
    }
  });

  it("refuses a box with a byte appended", () => {
    const iv = randomBytes(ivBytes);
    expect(open(key, iv, aad, Buffer.concat([sealed(iv), Buffer.from([0])]))).toBeNull();
  });
});
