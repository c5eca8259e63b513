// JWE direct encryption with A256GCM (RFC 7516 §5, RFC 7518 §4.5 and §5.3) with node:crypto, synchronously, on bytes.

import { createCipheriv, createDecipheriv, type KeyObject } from "node:crypto";
import { ivBytes, tagBytes } from "../../crypto/backend.js";
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
  const cipher = createCipheriv("aes-256-gcm", key, iv, { authTagLength: tagBytes });
  cipher.setAAD(Buffer.from(header, "latin1"));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { iv, ciphertext, tag: cipher.getAuthTag() };
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
  const decipher = createDecipheriv("aes-256-gcm", key, parts.iv, { authTagLength: tagBytes });
  decipher.setAAD(Buffer.from(header, "latin1"));
  decipher.setAuthTag(parts.tag);
  const plaintext = decipher.update(parts.ciphertext);
  try {
    decipher.final();
  } catch {
    return null;
  }
  return plaintext;
}
