import { describe, it, expect } from "vitest";
import { ivBytes, tagBytes, type CryptoBackend } from "./backend.js";
import { createKeyRing } from "./keyring.js";
import { nodeCryptoBackend } from "./node-crypto.js";
import { randomBytes as randomUint8Array } from "./tokens.js";
import { webCryptoBackend } from "./web-crypto.js";

const aad = Buffer.from("tessera.sealed\0sid");
const plaintext = Buffer.from('{"v":1,"d":{"user":"alice"}}');
const randomBytes = (length: number): Buffer => Buffer.from(randomUint8Array(length));
const backends: [string, CryptoBackend][] = [
  ["node:crypto", nodeCryptoBackend()!],
  ["Web Crypto", webCryptoBackend()],
];

describe.each(backends)("seal and open on %s", (_, backend) => {
  const { sealKey: key } = createKeyRing(["seal-test-secret-of-32-bytes-ok!"], backend).current;
  const { sealKey: otherKey } = createKeyRing(["another-seal-secret-of-32-bytes!"], backend).current;
  const seal = backend.seal.bind(backend);
  const open = async (...args: Parameters<CryptoBackend["open"]>): Promise<Buffer | null> => {
    const opened = await backend.open(...args);
    return opened === null ? null : Buffer.from(opened);
  };
  async function sealed(iv: Buffer, offset = 0): Promise<Buffer> {
    const out = Buffer.alloc(offset + plaintext.length + tagBytes);
    await seal(key, iv, aad, plaintext, out, offset);
    return out.subarray(offset);
  }

  it("opens what it sealed", async () => {
    const iv = randomBytes(ivBytes);
    const box = await sealed(iv);
    expect(box.length).toBe(plaintext.length + tagBytes);
    expect((await open(key, iv, aad, box))?.toString()).toBe(plaintext.toString());
  });

  it("writes ciphertext and tag at the offset it is given, leaving the bytes before it alone", async () => {
    const iv = randomBytes(ivBytes);
    const out = Buffer.alloc(7 + plaintext.length + tagBytes, 0xaa);
    await seal(key, iv, aad, plaintext, out, 7);
    expect(out.subarray(0, 7).every((byte) => byte === 0xaa)).toBe(true);
    expect((await open(key, iv, aad, out.subarray(7)))?.equals(plaintext)).toBe(true);
  });

  it("does not leave the plaintext readable in the output", async () => {
    const box = await sealed(randomBytes(ivBytes));
    expect(box.includes(Buffer.from("alice"))).toBe(false);
  });

  it("gives different ciphertexts for different ivs", async () => {
    expect((await sealed(randomBytes(ivBytes))).equals(await sealed(randomBytes(ivBytes)))).toBe(false);
  });

  it("refuses a box with any single byte of ciphertext or tag flipped", async () => {
    const iv = randomBytes(ivBytes);
    const box = await sealed(iv);
    for (let i = 0; i < box.length; i++) {
      const changed = Buffer.from(box);
      changed[i]! ^= 0x01;
      expect(await open(key, iv, aad, changed), `byte ${i}`).toBeNull();
    }
  });

  it("refuses a box opened with any single byte of the iv flipped", async () => {
    const iv = randomBytes(ivBytes);
    const box = await sealed(iv);
    for (let i = 0; i < iv.length; i++) {
      const changed = Buffer.from(iv);
      changed[i]! ^= 0x01;
      expect(await open(key, changed, aad, box), `byte ${i}`).toBeNull();
    }
  });

  it("refuses a box opened with any single byte of the aad flipped", async () => {
    const iv = randomBytes(ivBytes);
    const box = await sealed(iv);
    for (let i = 0; i < aad.length; i++) {
      const changed = Buffer.from(aad);
      changed[i]! ^= 0x01;
      expect(await open(key, iv, changed, box), `byte ${i}`).toBeNull();
    }
    expect(await open(key, iv, Buffer.from("tessera.sealed\0other"), box)).toBeNull();
  });

  it("refuses a box opened with another key", async () => {
    const iv = randomBytes(ivBytes);
    expect(await open(otherKey, iv, aad, await sealed(iv))).toBeNull();
  });

  it("refuses a truncated box, down to nothing, without throwing", async () => {
    const iv = randomBytes(ivBytes);
    const box = await sealed(iv);
    for (let length = box.length - 1; length >= 0; length--) {
      expect(await open(key, iv, aad, box.subarray(0, length)), `length ${length}`).toBeNull();
    }
  });

  it("refuses a box with a byte appended", async () => {
    const iv = randomBytes(ivBytes);
    expect(await open(key, iv, aad, Buffer.concat([await sealed(iv), Buffer.from([0])]))).toBeNull();
  });
});
