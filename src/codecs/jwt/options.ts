// The jwt codec's options, the algorithms it can be pinned to, and the profile it writes and accepts.

import type { JsonWebKey, KeyObject, webcrypto } from "node:crypto";

/** JWS algorithms (RFC 7518 §3, RFC 8037 §3.1) a jwt codec signs with. */
export type JwsAlgorithm = "HS256" | "EdDSA" | "ES256";

/**
 * The algorithm a jwt codec is pinned to: a JWS signature, or JWE direct encryption (`dir`, RFC 7518 §4.5) with
 * A256GCM content encryption. A token is only ever checked under this algorithm, whatever its header says.
 */
export type JwtAlgorithm = JwsAlgorithm | "dir";

/**
 * A key as an application holds it. HS256: a secret string (UTF-8) or bytes, 32 bytes or more. `dir`: exactly 32
 * random bytes. EdDSA (Ed25519) and ES256 (P-256): a PEM string (PKCS #8 private or SPKI public). Any algorithm: a
 * `KeyObject`, a `CryptoKey` (what jose's `importPKCS8`, `importJWK` and `generateKeyPair` return) or a JWK.
 */
export type JwtKey = string | Uint8Array | KeyObject | webcrypto.CryptoKey | JsonWebKey;

/** Options of `jwtCodec`. */
export interface JwtCodecOptions {
  /**
   * The key, or keys for rotation: the first signs (or encrypts), every one verifies (or decrypts), and a token
   * verified by a later one is re-issued under the first. For EdDSA and ES256 a public key verifies only: a codec
   * whose first key is public decodes tokens but cannot encode them.
   */
  key: JwtKey | readonly JwtKey[];
  /** The algorithm, pinned: `"HS256"`, `"EdDSA"`, `"ES256"` (JWS) or `"dir"` (JWE with A256GCM). */
  alg: JwtAlgorithm;
  /** Written as `iss` and required on every token read. @default none: no `iss`, and a token carrying one is refused */
  issuer?: string;
  /** Written as `aud` and required on every token read. @default none: no `aud`, and a token carrying one is refused */
  audience?: string;
}

/** The profile every tessera JWT follows. */
export const defaults = Object.freeze({
  /** The `typ` header (explicit typing, RFC 8725 §3.11), so a session token is never taken for another kind. @default "session+jwt" */
  typ: "session+jwt",
  /** The content encryption of `dir` tokens (RFC 7518 §5.3). @default "A256GCM" */
  enc: "A256GCM",
  /** A longer value is refused before any decoding: no cookie carries more (RFC 6265 §6.1). @default 4096 */
  maxTokenChars: 4096,
  /** A protected header longer than this (decoded) is not one tessera wrote. @default 512 */
  maxHeaderBytes: 512,
  /**
   * How far in the future `nbf` and `iat` may be, for servers whose clocks differ a little; the same allowance the
   * timeout policy gives `createdAt`. `exp` gets none. @default 300
   */
  clockToleranceSeconds: 300,
  /** The format of the `tessera` claim. @default 1 */
  claimsVersion: 1,
} as const);
