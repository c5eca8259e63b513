// The cryptographic primitives tessera needs, as one contract with two implementations: node:crypto and Web Crypto.

import type { Awaitable } from "../core/store.js";

/**
 * A key made by a backend for one algorithm. Opaque: its bytes are not reachable from it, so logging or serialising
 * a key ring shows none.
 */
export interface SecretKey {
  readonly type: "secret";
}

/** GCM's recommended nonce size (NIST SP 800-38D §8.2): 96 bits, random per message. */
export const ivBytes = 12;
/** Full-length GCM tag; truncated tags weaken the forgery bound. */
export const tagBytes = 16;
/** HMAC-SHA256 output size. */
export const macBytes = 32;

/** What a key is for; a key serves one algorithm only. */
export type KeyAlgorithm = "AES-256-GCM" | "HMAC-SHA256";

/**
 * The primitives, bytes in and bytes out. node:crypto answers synchronously; Web Crypto answers with a Promise,
 * so every operation is `Awaitable` and callers await only what is a Promise (the Node path stays synchronous).
 *
 * @example
 * const mac = await backend.hmac(key, [header, payload]);
 */
export interface CryptoBackend {
  /** `"node:crypto"` or `"web-crypto"`. */
  readonly name: string;
  /** HKDF-SHA256 (RFC 5869), synchronously: key rings are made at start-up, before any request. */
  hkdf(secret: Uint8Array, salt: Uint8Array, info: string, length: number): Uint8Array;
  /** A key for `algorithm` over `bytes` (copied). */
  secretKey(bytes: Uint8Array, algorithm: KeyAlgorithm): SecretKey;
  /** Fills `bytes` with cryptographically random bytes. */
  randomFill(bytes: Uint8Array): void;
  /** AES-256-GCM with a 16-byte tag: writes `ciphertext || tag` into `out` at `offset`. */
  seal(key: SecretKey, iv: Uint8Array, aad: Uint8Array, plaintext: Uint8Array, out: Uint8Array, offset: number): Awaitable<void>;
  /** The plaintext of `ciphertext || tag`, or `null` when the key, the AAD or any byte is wrong. */
  open(key: SecretKey, iv: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Awaitable<Uint8Array | null>;
  /** HMAC-SHA256 of the concatenated `parts` (a string part as its UTF-8 bytes). */
  hmac(key: SecretKey, parts: readonly (Uint8Array | string)[]): Awaitable<Uint8Array>;
  /** Whether `mac` is the HMAC-SHA256 of `parts`, compared in constant time. */
  verifyHmac(key: SecretKey, mac: Uint8Array, parts: readonly (Uint8Array | string)[]): Awaitable<boolean>;
  /** SHA-256 of `text`'s UTF-8 bytes, in unpadded base64url (a store token's at-rest id). */
  sha256Base64url(text: string): Awaitable<string>;
}

/**
 * Whether two strings are equal, in time that depends on their length only: no early exit at the first difference.
 *
 * @example
 * if (!constantTimeEqual(expectedTag, givenTag)) return undefined;
 */
export function constantTimeEqual(a: string, b: string): boolean {
  let difference = a.length ^ b.length;
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) difference |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return difference === 0;
}

/**
 * Whether `value` is a Promise: the one question callers ask of an `Awaitable`. Backends and codecs answer with a
 * native Promise (an async function's or crypto.subtle's), so this is an `instanceof`, which costs the synchronous
 * path nothing.
 *
 * @example
 * const mac = backend.hmac(key, parts);
 * return isPromise(mac) ? mac.then(finish) : finish(mac);
 */
export function isPromise<T>(value: Awaitable<T>): value is Promise<T> {
  return value instanceof Promise;
}
