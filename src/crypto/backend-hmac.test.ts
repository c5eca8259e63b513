import { describe, it, expect } from "vitest";
import { createHmac, type KeyObject } from "node:crypto";
import { macBytes, type CryptoBackend, type SecretKey } from "./backend.js";
import { createKeyRing } from "./keyring.js";
import { nodeCryptoBackend } from "./node-crypto.js";
import { webCryptoBackend } from "./web-crypto.js";

const header = Buffer.from([1, 0xde, 0xad, 0xbe, 0xef]);
const payload = Buffer.from("eyJ2IjoxfQ");
const backends: [string, CryptoBackend][] = [
  ["node:crypto", nodeCryptoBackend()!],
  ["Web Crypto", webCryptoBackend()],
];
/** The HMAC key bytes, derived as the key ring derives them, for checking against node:crypto's createHmac. */
const rawKey = createKeyRing(["sign-test-secret-of-32-bytes-ok!"]).current.signKey;

describe.each(backends)("hmac and verifyHmac on %s", (_, backend) => {
  const { signKey: key } = createKeyRing(["sign-test-secret-of-32-bytes-ok!"], backend).current;
  const { signKey: otherKey } = createKeyRing(["another-sign-secret-of-32-bytes!"], backend).current;
  const sign = async (k: SecretKey, ...parts: Uint8Array[]): Promise<Buffer> => Buffer.from(await backend.hmac(k, parts));
  const verify = (k: SecretKey, mac: Uint8Array, ...parts: Uint8Array[]) => backend.verifyHmac(k, mac, parts);

  it("verifies what it signed", async () => {
    const mac = await sign(key, header, payload);
    expect(mac.length).toBe(macBytes);
    expect(await verify(key, mac, header, payload)).toBe(true);
  });

  it("computes HMAC-SHA256 over the concatenated parts", async () => {
    const expected = createHmac("sha256", rawKey as unknown as KeyObject).update(Buffer.concat([header, payload])).digest();
    expect((await sign(key, header, payload)).equals(expected)).toBe(true);
    expect(await verify(key, expected, Buffer.concat([header, payload]))).toBe(true);
  });

  it("rejects a MAC with any single byte flipped", async () => {
    const mac = await sign(key, header, payload);
    for (let i = 0; i < mac.length; i++) {
      const changed = Buffer.from(mac);
      changed[i]! ^= 0x01;
      expect(await verify(key, changed, header, payload), `byte ${i}`).toBe(false);
    }
  });

  it("rejects a message with any single byte flipped", async () => {
    const mac = await sign(key, header, payload);
    const message = Buffer.concat([header, payload]);
    for (let i = 0; i < message.length; i++) {
      const changed = Buffer.from(message);
      changed[i]! ^= 0x80;
      expect(await verify(key, mac, changed), `byte ${i}`).toBe(false);
    }
  });

  it("rejects a MAC made with another key", async () => {
    expect(await verify(otherKey, await sign(key, header, payload), header, payload)).toBe(false);
  });

  it("rejects a truncated or extended MAC without throwing", async () => {
    const mac = await sign(key, header, payload);
    expect(await verify(key, mac.subarray(0, macBytes - 1), header, payload)).toBe(false);
    expect(await verify(key, mac.subarray(0, 16), header, payload)).toBe(false);
    expect(await verify(key, new Uint8Array(0), header, payload)).toBe(false);
    expect(await verify(key, Buffer.concat([mac, Buffer.from([0])]), header, payload)).toBe(false);
  });

  it("rejects a truncated message", async () => {
    const mac = await sign(key, header, payload);
    expect(await verify(key, mac, header, payload.subarray(0, payload.length - 1))).toBe(false);
    expect(await verify(key, mac, header)).toBe(false);
  });
});
