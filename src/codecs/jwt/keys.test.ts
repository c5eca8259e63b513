import { createPublicKey, createSecretKey, generateKeyPairSync, randomBytes } from "node:crypto";
import * as jose from "jose";
import { describe, expect, it } from "vitest";
import { TesseraError } from "../../core/errors.js";
import { jwtCodec } from "./codec.js";
import { importKeys } from "./keys.js";
import type { JwtCodecOptions } from "./options.js";

const secret = "jwt-keys-test-secret-0123456789abcdef";
const ed = generateKeyPairSync("ed25519");
const p256 = generateKeyPairSync("ec", { namedCurve: "P-256" });
const pem = {
  edPrivate: ed.privateKey.export({ format: "pem", type: "pkcs8" }).toString(),
  edPublic: ed.publicKey.export({ format: "pem", type: "spki" }).toString(),
  p256Public: p256.publicKey.export({ format: "pem", type: "spki" }).toString(),
};

/** The TesseraError `fn` throws; fails the test for a return or any other error. */
function errorOf(fn: () => unknown): TesseraError {
  try {
    fn();
  } catch (error) {
    if (error instanceof TesseraError) return error;
    throw error;
  }
  throw new Error("expected a TesseraError");
}

const refusal = (options: JwtCodecOptions): TesseraError => errorOf(() => jwtCodec(options));

describe("jwt codec keys", () => {
  describe("HS256", () => {
    it("refuses a secret shorter than 32 bytes, naming the option and its length, never the secret", () => {
      const short = "31-byte-secret-0123456789abcdef";
      expect(short.length).toBe(31);
      const error = refusal({ alg: "HS256", key: short });
      expect(error.code).toBe("ERR_SECRET_TOO_SHORT");
      expect(error.message).toContain("`key`");
      expect(error.message).toContain("got 31");
      expect(error.message).not.toContain(short);
      const listed = refusal({ alg: "HS256", key: [secret, short] });
      expect(listed.message).toContain("`key[1]`");
      expect(listed.message).not.toContain(short);
    });

    it("refuses a long secret of one repeated byte as weak", () => {
      expect(refusal({ alg: "HS256", key: "a".repeat(64) }).code).toBe("ERR_SECRET_WEAK");
      expect(refusal({ alg: "HS256", key: new Uint8Array(32) }).code).toBe("ERR_SECRET_WEAK");
    });

    it("refuses a public key as the HMAC secret, as a PEM string, a KeyObject or a JWK (algorithm confusion)", () => {
      for (const key of [pem.edPublic, pem.p256Public, ed.publicKey, p256.privateKey, ed.publicKey.export({ format: "jwk" })]) {
        const error = refusal({ alg: "HS256", key });
        expect(error.code).toBe("ERR_INVALID_OPTION");
        expect(error.message).not.toContain("BEGIN");
      }
    });

    it("takes the secret as a string, bytes, a KeyObject, a CryptoKey or an oct JWK, all named alike", async () => {
      const bytes = Buffer.from(secret);
      const kids = [
        importKeys("HS256", secret).current.kid,
        importKeys("HS256", new Uint8Array(bytes)).current.kid,
        importKeys("HS256", createSecretKey(bytes)).current.kid,
        importKeys("HS256", await jose.importJWK({ kty: "oct", k: bytes.toString("base64url") }, "HS256")).current.kid,
        importKeys("HS256", { kty: "oct", k: bytes.toString("base64url"), alg: "HS256" }).current.kid,
      ];
      expect(new Set(kids).size).toBe(1);
      expect(kids[0]).toBe(await jose.calculateJwkThumbprint({ kty: "oct", k: bytes.toString("base64url") }));
    });
  });

  describe("dir (A256GCM)", () => {
    it("takes exactly 32 bytes and refuses a string, a shorter or a longer key", () => {
      expect(jwtCodec({ alg: "dir", key: randomBytes(32) }).name).toBe("jwt");
      expect(refusal({ alg: "dir", key: randomBytes(31) }).code).toBe("ERR_SECRET_TOO_SHORT");
      expect(refusal({ alg: "dir", key: randomBytes(64) }).code).toBe("ERR_INVALID_OPTION");
      const text = randomBytes(16).toString("hex");
      const error = refusal({ alg: "dir", key: text });
      expect(error.code).toBe("ERR_INVALID_OPTION");
      expect(error.message).not.toContain(text);
    });

    it("accepts an oct JWK marked for A256GCM and refuses one marked for another algorithm", () => {
      const k = randomBytes(32).toString("base64url");
      expect(jwtCodec({ alg: "dir", key: { kty: "oct", k, alg: "A256GCM" } }).name).toBe("jwt");
      expect(refusal({ alg: "dir", key: { kty: "oct", k, alg: "HS256" } }).code).toBe("ERR_INVALID_OPTION");
    });
  });

  describe("EdDSA and ES256", () => {
    it("takes PEM, a KeyObject, a CryptoKey from jose or a JWK, private or public, all named by the RFC 7638 thumbprint of the public key", async () => {
      const expected = await jose.calculateJwkThumbprint(ed.publicKey.export({ format: "jwk" }) as jose.JWK);
      const forms = [
        pem.edPrivate,
        pem.edPublic,
        ed.privateKey,
        ed.publicKey,
        await jose.importPKCS8(pem.edPrivate, "EdDSA"),
        await jose.importSPKI(pem.edPublic, "EdDSA"),
        ed.privateKey.export({ format: "jwk" }),
        ed.publicKey.export({ format: "jwk" }),
      ];
      for (const [index, key] of forms.entries()) expect(importKeys("EdDSA", key).current.kid, `form ${index}`).toBe(expected);
    });

    it("names RFC 8037's example key by the thumbprint RFC 8037 A.3 gives", () => {
      const jwk = { kty: "OKP", crv: "Ed25519", x: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo" };
      expect(importKeys("EdDSA", jwk).current.kid).toBe("kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
    });

    it("keeps a signing key for a private key and none for a public key", () => {
      expect(importKeys("ES256", p256.privateKey).current.signKey).toBeDefined();
      expect(importKeys("ES256", p256.publicKey).current.signKey).toBeUndefined();
      expect(importKeys("ES256", p256.privateKey).current.verifyKey.type).toBe("public");
    });

    it("refuses a key of the wrong type or curve, and a secret", () => {
      const p384 = generateKeyPairSync("ec", { namedCurve: "P-384" });
      const ed448 = generateKeyPairSync("ed448");
      for (const [alg, key] of [
        ["EdDSA", p256.privateKey],
        ["EdDSA", ed448.privateKey],
        ["ES256", ed.privateKey],
        ["ES256", p384.publicKey],
        ["EdDSA", createSecretKey(Buffer.from(secret))],
        ["ES256", secret],
        ["EdDSA", new Uint8Array(32)],
        ["EdDSA", { ...p256.publicKey.export({ format: "jwk" }), alg: "EdDSA" }],
        ["ES256", { ...p256.publicKey.export({ format: "jwk" }), alg: "ES384" }],
      ] as const) {
        expect(refusal({ alg, key }).code, `${alg} with ${String(key).slice(0, 12)}`).toBe("ERR_INVALID_OPTION");
      }
    });

    it("refuses PEM text node:crypto cannot read without echoing it", () => {
      const broken = pem.edPrivate.replace(/[A-Za-z]{8}/, "AAAAAAAA").slice(0, 80) + "\n-----END PRIVATE KEY-----";
      const error = refusal({ alg: "EdDSA", key: broken });
      expect(error.code).toBe("ERR_INVALID_OPTION");
      expect(error.message).not.toContain("BEGIN");
      expect(error.cause).toBeUndefined();
    });
  });

  it("refuses a key listed twice, naming both places", () => {
    const error = refusal({ alg: "EdDSA", key: [ed.privateKey, createPublicKey(ed.privateKey)] });
    expect(error.code).toBe("ERR_SECRET_DUPLICATE");
    expect(error.message).toContain("`key[1]` repeats `key[0]`");
  });

  it("refuses no key, an empty list and values that are no key", () => {
    expect(refusal({ alg: "HS256", key: [] }).code).toBe("ERR_SECRET_MISSING");
    expect(refusal({ alg: "HS256" } as unknown as JwtCodecOptions).code).toBe("ERR_SECRET_MISSING");
    expect(refusal({ alg: "HS256", key: 42 } as unknown as JwtCodecOptions).code).toBe("ERR_SECRET_MISSING");
  });

  it("refuses an algorithm it does not pin to, `none` included, and malformed issuer or audience", () => {
    for (const alg of ["none", "RS256", "HS512", "A256GCM", "", undefined]) {
      const error = refusal({ alg, key: secret } as unknown as JwtCodecOptions);
      expect(error.code).toBe("ERR_INVALID_OPTION");
      expect(error.message).toContain("`alg`");
    }
    expect(refusal({ alg: "HS256", key: secret, issuer: "" }).message).toContain("`issuer`");
    expect(refusal({ alg: "HS256", key: secret, audience: 7 } as unknown as JwtCodecOptions).message).toContain("`audience`");
  });
});
