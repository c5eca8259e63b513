// JWE direct encryption with A256GCM (RFC 7516 §5, RFC 7518 §4.5 and §5.3) with node:crypto, synchronously, on bytes.

import type { KeyObject } from "node:crypto";
import { ivBytes, open, seal, tagBytes } from "../../crypto/seal.js";
import { randomBytes } from "../../crypto/tokens.js";

/** The parts of a compact JWE with `alg: "dir"`, whose encrypted key is empty. */
export interface JweParts {
  iv: Uint8Array;
  ciphertext: Uint8Array;
  tag: Uint8Array;
}

/**
 * Encrypts `plaintext` under a fresh random 96-bit IV, authenticating the protected header segment as the AAD
 * (RFC 7516 §5.1 step 14: the ASCII of its base64url). A random IV is safe for about 2^32 tokens per key
 * (NIST SP 800-38D §8.3): rotate the key well before that.
 *
 * @example
 * const { iv, ciphertext, tag } = encryptJwe(key, header, Buffer.from(claims));
 */
export function encryptJwe(key: KeyObject, header: string, plaintext: Uint8Array): JweParts {
  const iv = randomBytes(ivBytes);
  const sealed = Buffer.allocUnsafe(plaintext.length + tagBytes);
  seal(key, iv, Buffer.from(header, "latin1"), plaintext, sealed, 0);
  return { iv, ciphertext: sealed.subarray(0, plaintext.length), tag: sealed.subarray(plaintext.length) };
}

/**
 * The plaintext, or `null` when the key, the header, the IV or any byte of ciphertext or tag is wrong (a tag or IV
 * of another size included).
 *
 * @example
 * const plaintext = decryptJwe(key, header, parts); // Buffer or null
 */
export function decryptJwe(key: KeyObject, header: string, parts: JweParts): Buffer | null {
  if (parts.iv.length !== ivBytes || parts.tag.length !== tagBytes) return null;
  return open(key, parts.iv, Buffer.from(header, "latin1"), Buffer.concat([parts.ciphertext, parts.tag]));
}
