import { describe, it, expect } from "vitest";
import { createHmac } from "node:crypto";
import { createKeyRing } from "./keyring.js";
import { macBytes, sign, verify } from "./sign.js";

const { signKey: key } = createKeyRing(["sign-test-secret-of-32-bytes-ok!"]).current;
const { signKey: otherKey } = createKeyRing(["another-sign-secret-of-32-bytes!"]).current;
const header = Buffer.from([1, 0xde, 0xad, 0xbe, 0xef]);
const payload = Buffer.from("eyJ2IjoxfQ");

describe("sign and verify", () => {
  it("verifies what it signed", () => {
    const mac = sign(key, header, payload);
    expect(mac.length).toBe(macBytes);
    expect(verify(key, mac, header, payload)).toBe(true);
  });

  it("computes HMAC-SHA256 over the concatenated parts", () => {
    const expected = createHmac("sha256", key).update(Buffer.concat([header, payload])).digest();
    expect(sign(key, header, payload).equals(expected)).toBe(true);
    expect(verify(key, expected, Buffer.concat([header, payload]))).toBe(true);
  });

  it("rejects a MAC with any single byte flipped", () => {
    const mac = sign(key, header, payload);
    for (let i = 0; i < mac.length; i++) {
      const changed = Buffer.from(mac);
      changed[i]! ^= 0x01;
      expect(verify(key, changed, header, payload), `byte ${i}`).toBe(false);
    }
  });

  it("rejects a message with any single byte flipped", () => {
    const mac = sign(key, header, payload);
    const message = Buffer.concat([header, payload]);
    for (let i = 0; i < message.length; i++) {
      const changed = Buffer.from(message);
      changed[i]! ^= 0x80;
      expect(verify(key, mac, changed), `byte ${i}`).toBe(false);
    }
  });

  it("rejects a MAC made with another key", () => {
    expect(verify(otherKey, sign(key, header, payload), header, payload)).toBe(false);
  });

  it("rejects a truncated or extended MAC without throwing", () => {
    const mac = sign(key, header, payload);
    expect(verify(key, mac.subarray(0, macBytes - 1), header, payload)).toBe(false);
    expect(verify(key, mac.subarray(0, 16), header, payload)).toBe(false);
    expect(verify(key, new Uint8Array(0), header, payload)).toBe(false);
    expect(verify(key, Buffer.concat([mac, Buffer.from([0])]), header, payload)).toBe(false);
  });

  it("rejects a truncated message", () => {
    const mac = sign(key, header, payload);
    expect(verify(key, mac, header, payload.subarray(0, payload.length - 1))).toBe(false);
    expect(verify(key, mac, header)).toBe(false);
  });
});
