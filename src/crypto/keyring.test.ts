import { describe, it, expect } from "vitest";
import { TesseraError } from "../core/errors.js";
import type { KeyObject } from "node:crypto";
import type { SecretKey } from "./backend.js";
import { createKeyRing, minimumSecretBytes, type Secret } from "./keyring.js";

/** A key's bytes: on node:crypto (the backend under Node) a key is a KeyObject. */
const material = (key: SecretKey): Buffer => (key as unknown as KeyObject).export();

const secretA = "a-secret-of-exactly-thirty-two-b";
const secretB = "another-secret-thirty-two-bytes!";

/** The error `fn` throws; fails the test when it throws nothing. */
function thrown(fn: () => unknown): TesseraError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(TesseraError);
    return err as TesseraError;
  }
  throw new Error("expected a TesseraError, nothing was thrown");
}

describe("createKeyRing", () => {
  it("refuses a missing secrets option with ERR_SECRET_MISSING", () => {
    expect(thrown(() => createKeyRing(undefined)).code).toBe("ERR_SECRET_MISSING");
  });

  it("refuses an empty secrets array with ERR_SECRET_MISSING", () => {
    expect(thrown(() => createKeyRing([])).code).toBe("ERR_SECRET_MISSING");
  });

  it("refuses a secret that is neither a string nor bytes with ERR_SECRET_MISSING naming its position", () => {
    const err = thrown(() => createKeyRing([secretA, 42 as unknown as Secret]));
    expect(err.code).toBe("ERR_SECRET_MISSING");
    expect(err.message).toContain("secrets[1]");
  });

  it("refuses a secret shorter than 32 bytes, naming its position and length but not the secret", () => {
    const short = "tooShortSecret";
    const err = thrown(() => createKeyRing([secretA, short]));
    expect(err.code).toBe("ERR_SECRET_TOO_SHORT");
    expect(err.name).toBe("TesseraError");
    expect(err.message).toContain("`secrets[1]`");
    expect(err.message).toContain(`got ${short.length}`);
    expect(err.message).not.toContain(short);
  });

  it("counts a secret's UTF-8 bytes, not its characters", () => {
    const sixteenChars = "éèêëàâäôöûüùçîïœ"; // 32 bytes
    expect(createKeyRing([sixteenChars]).keys).toHaveLength(1);
    const thirtyOneBytes = "éèêëàâäôöûüùçîï" + "a";
    const err = thrown(() => createKeyRing([thirtyOneBytes]));
    expect(err.code).toBe("ERR_SECRET_TOO_SHORT");
    expect(err.message).toContain("got 31");
    expect(err.message).not.toContain(thirtyOneBytes);
  });

  it("accepts a secret of exactly 32 bytes and refuses one of 31", () => {
    expect(minimumSecretBytes).toBe(32);
    const varied = "0123456789abcdef".repeat(2);
    expect(() => createKeyRing([varied])).not.toThrow();
    expect(thrown(() => createKeyRing([varied.slice(1)])).code).toBe("ERR_SECRET_TOO_SHORT");
    expect(() => createKeyRing([Uint8Array.from({ length: 32 }, (_, i) => i)])).not.toThrow();
    expect(thrown(() => createKeyRing([Uint8Array.from({ length: 31 }, (_, i) => i)])).code).toBe("ERR_SECRET_TOO_SHORT");
  });

  it("refuses the same secret listed twice with ERR_SECRET_DUPLICATE, naming both positions but not the secret", () => {
    const err = thrown(() => createKeyRing([secretA, secretB, secretA]));
    expect(err.code).toBe("ERR_SECRET_DUPLICATE");
    expect(err.message).toContain("secrets[2]");
    expect(err.message).toContain("secrets[0]");
    expect(err.message).not.toContain(secretA);
  });

  it("treats a string and the same bytes as a Uint8Array as one secret", () => {
    const err = thrown(() => createKeyRing([secretA, new TextEncoder().encode(secretA)]));
    expect(err.code).toBe("ERR_SECRET_DUPLICATE");
  });

  it("derives the same key id and key material from the same secret in two rings", () => {
    const one = createKeyRing([secretA]);
    const two = createKeyRing([secretB, secretA]);
    expect(one.current.id.length).toBe(4);
    expect(two.keys[1]!.id).toEqual(one.current.id);
    expect(two.keys[1]!.idNumber).toBe(one.current.idNumber);
    expect(material(two.keys[1]!.sealKey).equals(material(one.current.sealKey))).toBe(true);
    expect(material(two.keys[1]!.signKey).equals(material(one.current.signKey))).toBe(true);
  });

  it("derives different ids and keys from different secrets", () => {
    const ring = createKeyRing([secretA, secretB]);
    const [a, b] = ring.keys;
    expect(a!.id).not.toEqual(b!.id);
    expect(material(a!.sealKey).equals(material(b!.sealKey))).toBe(false);
    expect(material(a!.signKey).equals(material(b!.signKey))).toBe(false);
  });

  it("derives different key material for sealing and for signing", () => {
    const { current } = createKeyRing([secretA]);
    const sealKey = material(current.sealKey);
    const signKey = material(current.signKey);
    expect(sealKey.length).toBe(32);
    expect(signKey.length).toBe(32);
    expect(sealKey.equals(signKey)).toBe(false);
    expect(sealKey.equals(Buffer.from(secretA))).toBe(false);
    expect(signKey.equals(Buffer.from(secretA))).toBe(false);
  });

  it("makes the first secret current and finds every secret by id with its position", () => {
    const ring = createKeyRing([secretA, secretB]);
    expect(ring.current).toBe(ring.keys[0]);
    expect(ring.find(ring.keys[0]!.idNumber)?.index).toBe(0);
    expect(ring.find(ring.keys[1]!.idNumber)).toEqual({ keys: ring.keys[1], index: 1 });
    expect(ring.find(Buffer.from(ring.keys[0]!.id).readUInt32BE(0))?.keys).toBe(ring.keys[0]);
  });

  it("finds nothing for an id no secret derived", () => {
    const ring = createKeyRing([secretA]);
    const other = createKeyRing([secretB]);
    expect(ring.find(other.current.idNumber)).toBeUndefined();
  });
});

describe("createKeyRing, weak secrets", () => {
  it("refuses a secret of one repeated byte, all zero bytes or a short repeated pattern, with ERR_SECRET_WEAK and without echoing it", () => {
    for (const weak of ["x".repeat(32), "ab".repeat(20), new Uint8Array(32), new Uint8Array(48).fill(255)]) {
      const err = thrown(() => createKeyRing([weak]));
      expect(err.code).toBe("ERR_SECRET_WEAK");
      if (typeof weak === "string") expect(err.message).not.toContain(weak);
    }
  });
});
