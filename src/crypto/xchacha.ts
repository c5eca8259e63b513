// XChaCha20-Poly1305, the sealed codec's second cipher: libsodium's (sodium-native, an optional peer) where it is
// installed, node:crypto's ChaCha20-Poly1305 with HChaCha20 below it otherwise, and none on Web Crypto alone.

import { builtinModule } from "../core/runtime.js";
import type * as NodeCrypto from "node:crypto";
import type * as NodeModule from "node:module";

/** XChaCha20's nonce: 192 random bits, so random nonces never repeat in practice, whatever the volume. */
export const xchachaNonceBytes = 24;

/** XChaCha20-Poly1305 under one key; the key's bytes are held in the closure, reachable from nothing printed. */
export interface XChaChaKey {
  /** Writes `ciphertext || tag(16)` into `out` at `offset`. */
  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array, out: Uint8Array, offset: number): void;
  /** The plaintext of `ciphertext || tag`, or `null` when the key, the AAD or any byte is wrong. */
  open(nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Uint8Array | null;
}

/** An implementation of XChaCha20-Poly1305: keys from 32 bytes. */
export interface XChaCha {
  /** `"sodium-native"` or `"node:crypto"`. */
  readonly name: string;
  key(bytes: Uint8Array): XChaChaKey;
}

/** The part of sodium-native this module calls. */
interface Sodium {
  crypto_aead_xchacha20poly1305_ietf_encrypt(out: Uint8Array, message: Uint8Array, aad: Uint8Array | null, nsec: null, nonce: Uint8Array, key: Uint8Array): number;
  crypto_aead_xchacha20poly1305_ietf_decrypt(out: Uint8Array, nsec: null, sealed: Uint8Array, aad: Uint8Array | null, nonce: Uint8Array, key: Uint8Array): number;
}

const tagLength = 16;

/**
 * The fastest XChaCha20-Poly1305 this runtime has: sodium-native (about 4× cheaper per call than node:crypto's
 * AES-256-GCM, whose cost is mostly the cipher context made for every value), else node:crypto's ChaCha20-Poly1305
 * under an HChaCha20 subkey (the same bytes, slower), else `undefined` (Web Crypto has no ChaCha20).
 *
 * @example
 * const aead = findXChaCha();
 * if (aead) aead.key(keyBytes).seal(nonce, aad, plaintext, out, 0);
 */
export function findXChaCha(): XChaCha | undefined {
  return sodiumXChaCha() ?? nodeXChaCha();
}

/** XChaCha20-Poly1305 from sodium-native, when the app installed it; `undefined` otherwise. */
export function sodiumXChaCha(): XChaCha | undefined {
  const sodium = loadSodium();
  if (sodium === undefined) return undefined;
  return {
    name: "sodium-native",
    key(bytes) {
      const key = new Uint8Array(bytes);
      return {
        seal(nonce, aad, plaintext, out, offset) {
          sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(out.subarray(offset, offset + plaintext.length + tagLength), plaintext, aad, null, nonce, key);
        },
        open(nonce, aad, sealed) {
          if (sealed.length < tagLength) return null;
          const plaintext = new Uint8Array(sealed.length - tagLength);
          try {
            sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(plaintext, null, sealed, aad, nonce, key);
          } catch {
            // sodium-native throws on a tag that does not verify.
            return null;
          }
          return plaintext;
        },
      };
    },
  };
}

/** XChaCha20-Poly1305 on node:crypto: HChaCha20 here, ChaCha20-Poly1305 (RFC 8439) there; `undefined` without it. */
export function nodeXChaCha(): XChaCha | undefined {
  const crypto = builtinModule<typeof NodeCrypto>("node:crypto");
  if (crypto === undefined || !crypto.getCiphers().includes("chacha20-poly1305")) return undefined;
  const { createCipheriv, createDecipheriv } = crypto;
  /** The RFC 8439 key and nonce an XChaCha20 nonce stands for: HChaCha20(key, nonce[0..16]) and 0⁴ || nonce[16..24]. */
  const expand = (key: Uint8Array, nonce: Uint8Array): [Uint8Array, Uint8Array] => {
    const inner = new Uint8Array(12);
    inner.set(nonce.subarray(16, 24), 4);
    return [hchacha20(key, nonce.subarray(0, 16)), inner];
  };
  return {
    name: "node:crypto",
    key(bytes) {
      const key = new Uint8Array(bytes);
      return {
        seal(nonce, aad, plaintext, out, offset) {
          const [subkey, inner] = expand(key, nonce);
          const cipher = createCipheriv("chacha20-poly1305", subkey, inner, { authTagLength: tagLength });
          cipher.setAAD(aad, { plaintextLength: plaintext.length });
          const ciphertext = cipher.update(plaintext);
          out.set(ciphertext, offset);
          cipher.final();
          out.set(cipher.getAuthTag(), offset + ciphertext.length);
        },
        open(nonce, aad, sealed) {
          if (sealed.length < tagLength) return null;
          const [subkey, inner] = expand(key, nonce);
          const decipher = createDecipheriv("chacha20-poly1305", subkey, inner, { authTagLength: tagLength });
          decipher.setAAD(aad, { plaintextLength: sealed.length - tagLength });
          decipher.setAuthTag(sealed.subarray(sealed.length - tagLength));
          const plaintext = decipher.update(sealed.subarray(0, sealed.length - tagLength));
          try {
            decipher.final();
          } catch {
            return null;
          }
          return plaintext;
        },
      };
    },
  };
}

/**
 * HChaCha20 (draft-irtf-cfrg-xchacha §2.2): ChaCha20's 20 rounds over the key and a 16-byte nonce, without the final
 * addition, keeping words 0-3 and 12-15 as a 32-byte subkey.
 *
 * @example
 * const subkey = hchacha20(key, nonce.subarray(0, 16));
 */
export function hchacha20(key: Uint8Array, nonce: Uint8Array): Uint8Array {
  const s = new Uint32Array(16);
  s[0] = 0x61707865;
  s[1] = 0x3320646e;
  s[2] = 0x79622d32;
  s[3] = 0x6b206574;
  for (let i = 0; i < 8; i++) s[4 + i] = readUint32LE(key, i * 4);
  for (let i = 0; i < 4; i++) s[12 + i] = readUint32LE(nonce, i * 4);
  for (let round = 0; round < 10; round++) {
    quarterRound(s, 0, 4, 8, 12);
    quarterRound(s, 1, 5, 9, 13);
    quarterRound(s, 2, 6, 10, 14);
    quarterRound(s, 3, 7, 11, 15);
    quarterRound(s, 0, 5, 10, 15);
    quarterRound(s, 1, 6, 11, 12);
    quarterRound(s, 2, 7, 8, 13);
    quarterRound(s, 3, 4, 9, 14);
  }
  const out = new Uint8Array(32);
  const view = new DataView(out.buffer);
  for (let i = 0; i < 4; i++) {
    view.setUint32(i * 4, s[i]!, true);
    view.setUint32(16 + i * 4, s[12 + i]!, true);
  }
  return out;
}

function quarterRound(s: Uint32Array, a: number, b: number, c: number, d: number): void {
  s[a] = s[a]! + s[b]!;
  s[d] = rotl(s[d]! ^ s[a]!, 16);
  s[c] = s[c]! + s[d]!;
  s[b] = rotl(s[b]! ^ s[c]!, 12);
  s[a] = s[a]! + s[b]!;
  s[d] = rotl(s[d]! ^ s[a]!, 8);
  s[c] = s[c]! + s[d]!;
  s[b] = rotl(s[b]! ^ s[c]!, 7);
}

function rotl(x: number, n: number): number {
  return (x << n) | (x >>> (32 - n));
}

function readUint32LE(bytes: Uint8Array, offset: number): number {
  // readUint32 reads big-endian; ChaCha's words are little-endian.
  return (bytes[offset]! | (bytes[offset + 1]! << 8) | (bytes[offset + 2]! << 16) | (bytes[offset + 3]! << 24)) >>> 0;
}

/** sodium-native, when the app installed it (an optional peer dependency); loaded once, synchronously. */
function loadSodium(): Sodium | undefined {
  if (sodiumModule !== null) return sodiumModule;
  const module = builtinModule<typeof NodeModule>("node:module");
  let found: Sodium | undefined;
  try {
    const loaded = module?.createRequire(import.meta.url)("sodium-native") as Partial<Sodium> | undefined;
    if (typeof loaded?.crypto_aead_xchacha20poly1305_ietf_encrypt === "function") found = loaded as Sodium;
  } catch {
    // Not installed, or no prebuilt binary for this platform: node:crypto serves.
  }
  sodiumModule = found;
  return found;
}

let sodiumModule: Sodium | undefined | null = null;
