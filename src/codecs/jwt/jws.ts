// JWS signatures (RFC 7515 §5) for HS256, EdDSA and ES256 with node:crypto, synchronously, on bytes.

import { createHmac, sign as signAsymmetric, timingSafeEqual, verify as verifyAsymmetric, type KeyObject } from "node:crypto";
import type { JwsAlgorithm } from "./options.js";

/** Signature sizes: HMAC-SHA256, Ed25519 (RFC 8032), and ES256 as R || S of 32 bytes each (RFC 7518 §3.4). */
export const signatureBytes: Readonly<Record<JwsAlgorithm, number>> = Object.freeze({ HS256: 32, EdDSA: 64, ES256: 64 });

/**
 * The signature of a JWS signing input (`header.payload`, ASCII) under `alg`.
 *
 * @example
 * const signature = signJws("EdDSA", privateKey, Buffer.from(`${header}.${payload}`));
 */
export function signJws(alg: JwsAlgorithm, key: KeyObject, input: Uint8Array): Buffer {
  if (alg === "HS256") return createHmac("sha256", key).update(input).digest();
  if (alg === "EdDSA") return signAsymmetric(null, input, key);
  // RFC 7518 §3.4: ECDSA signatures are the fixed-width R || S, not DER.
  return signAsymmetric("sha256", input, { key, dsaEncoding: "ieee-p1363" });
}

/**
 * Whether `signature` is `alg`'s signature of `input` under `key` (for HS256, compared in constant time). Never
 * throws for a signature of the wrong size or one that is not a valid point or scalar: that is `false`.
 *
 * @example
 * if (!verifyJws("ES256", publicKey, input, signature)) throw new CodecError("bad_signature");
 */
export function verifyJws(alg: JwsAlgorithm, key: KeyObject, input: Uint8Array, signature: Uint8Array): boolean {
  if (signature.length !== signatureBytes[alg]) return false;
  if (alg === "HS256") return timingSafeEqual(createHmac("sha256", key).update(input).digest(), signature);
  try {
    return alg === "EdDSA"
      ? verifyAsymmetric(null, input, key, signature)
      : verifyAsymmetric("sha256", input, { key, dsaEncoding: "ieee-p1363" }, signature);
  } catch {
    return false;
  }
}
