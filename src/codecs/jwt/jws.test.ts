import { createPrivateKey, createPublicKey, createSecretKey } from "node:crypto";
import { describe, expect, it } from "vitest";
import { signJws, verifyJws } from "./jws.js";

/** A signing input as the RFCs give it. */
const ascii = (text: string): Buffer => Buffer.from(text, "latin1");
const bytes = (base64url: string): Buffer => Buffer.from(base64url, "base64url");

// RFC 7515 Appendix A.1: HS256.
const a1Key = createSecretKey(bytes("AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"));
const a1Input = ascii(
  "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ",
);
const a1Signature = bytes("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");

// RFC 8037 Appendix A.1 and A.4: Ed25519.
const ed25519Jwk = { kty: "OKP", crv: "Ed25519", d: "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A", x: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo" };
const a4Input = ascii("eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc");
const a4Signature = bytes("hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg");

// RFC 7515 Appendix A.3: ES256 (randomized, so the RFC's signature is verified, and ours checked by verifying).
const p256Jwk = {
  kty: "EC",
  crv: "P-256",
  x: "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
  y: "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
  d: "jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI",
};
const a3Input = ascii(
  "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ",
);
const a3Signature = bytes("DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q");

/** `signature` with bit 0 of byte `index` flipped. */
function flipped(signature: Buffer, index: number): Buffer {
  const copy = Buffer.from(signature);
  copy[index]! ^= 1;
  return copy;
}

describe("JWS signatures", () => {
  it("matches RFC 7515 A.1 for HS256, and refuses every byte flipped", () => {
    expect(signJws("HS256", a1Key, a1Input).equals(a1Signature)).toBe(true);
    expect(verifyJws("HS256", a1Key, a1Input, a1Signature)).toBe(true);
    for (let i = 0; i < a1Signature.length; i++) expect(verifyJws("HS256", a1Key, a1Input, flipped(a1Signature, i)), `byte ${i}`).toBe(false);
  });

  it("matches RFC 8037 A.4 for EdDSA (Ed25519 is deterministic), and refuses every byte flipped", () => {
    const privateKey = createPrivateKey({ key: ed25519Jwk, format: "jwk" });
    const publicKey = createPublicKey(privateKey);
    expect(signJws("EdDSA", privateKey, a4Input).equals(a4Signature)).toBe(true);
    expect(verifyJws("EdDSA", publicKey, a4Input, a4Signature)).toBe(true);
    for (let i = 0; i < a4Signature.length; i++) expect(verifyJws("EdDSA", publicKey, a4Input, flipped(a4Signature, i)), `byte ${i}`).toBe(false);
  });

  it("verifies RFC 7515 A.3's ES256 signature (R || S, not DER), and its own", () => {
    const privateKey = createPrivateKey({ key: p256Jwk, format: "jwk" });
    const publicKey = createPublicKey(privateKey);
    expect(verifyJws("ES256", publicKey, a3Input, a3Signature)).toBe(true);
    for (let i = 0; i < a3Signature.length; i++) expect(verifyJws("ES256", publicKey, a3Input, flipped(a3Signature, i)), `byte ${i}`).toBe(false);
    const ours = signJws("ES256", privateKey, a3Input);
    expect(ours.length).toBe(64);
    expect(verifyJws("ES256", publicKey, a3Input, ours)).toBe(true);
    expect(verifyJws("ES256", publicKey, ascii("eyJhbGciOiJFUzI1NiJ9.e30"), ours)).toBe(false);
  });

  it("answers false, never throws, for signatures of the wrong size or of no valid point", () => {
    const ed = createPublicKey(createPrivateKey({ key: ed25519Jwk, format: "jwk" }));
    const ec = createPublicKey(createPrivateKey({ key: p256Jwk, format: "jwk" }));
    for (const signature of [Buffer.alloc(0), Buffer.alloc(63), Buffer.alloc(65), Buffer.alloc(64), Buffer.alloc(64, 0xff), Buffer.alloc(72)]) {
      expect(verifyJws("EdDSA", ed, a4Input, signature)).toBe(false);
      expect(verifyJws("ES256", ec, a3Input, signature)).toBe(false);
    }
    expect(verifyJws("HS256", a1Key, a1Input, a1Signature.subarray(0, 31))).toBe(false);
  });
});
