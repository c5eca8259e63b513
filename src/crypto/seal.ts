// AES-256-GCM on bytes: seal and open, knowing nothing of sessions or JSON.

import { createCipheriv, createDecipheriv, type KeyObject } from "node:crypto";

/** GCM's recommended nonce size (NIST SP 800-38D §8.2): 96 bits, random per message. */
export const ivBytes = 12;
/** Full-length GCM tag; truncated tags weaken the forgery bound. */
export const tagBytes = 16;

/**
 * Encrypts and authenticates `plaintext` and `aad`, writing `ciphertext || tag` into `out` at `offset`.
 * `out` must have `plaintext.length + tagBytes` bytes free there. `iv` must never repeat under one key.
 *
 * @example
 * seal(key, iv, aad, plaintext, out, 17);
 */
export function seal(key: KeyObject, iv: Uint8Array, aad: Uint8Array, plaintext: Uint8Array, out: Buffer, offset: number): void {
  const cipher = createCipheriv("aes-256-gcm", key, iv, { authTagLength: tagBytes });
  cipher.setAAD(aad);
  const written = cipher.update(plaintext).copy(out, offset);
  cipher.final();
  cipher.getAuthTag().copy(out, offset + written);
}

/**
 * Decrypts `sealed` (`ciphertext || tag`), or returns `null` when the key, the AAD or any byte is wrong.
 *
 * @example
 * const plaintext = open(key, iv, aad, sealed); // Buffer or null
 */
export function open(key: KeyObject, iv: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Buffer | null {
  if (sealed.length < tagBytes) return null;
  const decipher = createDecipheriv("aes-256-gcm", key, iv, { authTagLength: tagBytes });
  decipher.setAAD(aad);
  decipher.setAuthTag(sealed.subarray(sealed.length - tagBytes));
  const plaintext = decipher.update(sealed.subarray(0, sealed.length - tagBytes));
  try {
    decipher.final();
  } catch {
    return null;
  }
  return plaintext;
}
