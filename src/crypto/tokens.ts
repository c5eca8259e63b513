// Session tokens: 256 random bits drawn from a pool, and their SHA-256, which is all a store ever sees.

import { allocBytes, toBase64url } from "../core/bytes.js";
import type { Awaitable } from "../core/store.js";
import { runtimeBackend } from "./runtime.js";

/** Bytes in a session token: 256 bits, beyond guessing (OWASP asks for at least 64 bits of entropy). */
export const tokenBytes = 32;

/** A token is 32 bytes in unpadded base64url: exactly 43 characters of `[A-Za-z0-9_-]`. */
export const tokenRegExp = /^[A-Za-z0-9_-]{43}$/;

const pool = new Uint8Array(8192);
let poolOffset = pool.length;

/**
 * `length` cryptographically random bytes, drawn from a pool refilled 8 KiB at a time so each request does not
 * pay for a system call. The returned bytes are a copy the caller owns.
 *
 * @example
 * const iv = randomBytes(12);
 */
export function randomBytes(length: number): Uint8Array {
  return fillRandom(allocBytes(length));
}

/**
 * Fills `bytes` with cryptographically random bytes from the same pool, and returns it: for a buffer the caller
 * is building (a sealed value's IV, in place).
 *
 * @example
 * fillRandom(out.subarray(5, 17));
 */
export function fillRandom<T extends Uint8Array>(bytes: T): T {
  const { length } = bytes;
  if (length > pool.length) {
    runtimeBackend.randomFill(bytes);
    return bytes;
  }
  if (poolOffset + length > pool.length) {
    runtimeBackend.randomFill(pool);
    poolOffset = 0;
  }
  bytes.set(pool.subarray(poolOffset, poolOffset + length));
  // Drawn bytes are overwritten so no copy of a token lingers in the pool.
  pool.fill(0, poolOffset, poolOffset + length);
  poolOffset += length;
  return bytes;
}

/**
 * A new session token.
 *
 * @example
 * const token = createToken(); // 43 base64url characters
 */
export function createToken(): string {
  return toBase64url(randomBytes(tokenBytes));
}

/**
 * The at-rest id of a token: SHA-256, base64url. A dump of the store cannot be replayed as cookies. A string on
 * Node, Bun and Deno; a Promise where only Web Crypto is there (Workers, edge runtimes): `await` it either way.
 *
 * @example
 * await store.get(await hashToken(token));
 */
export function hashToken(token: string): Awaitable<string> {
  return runtimeBackend.sha256Base64url(token);
}

/**
 * Whether a cookie value has the shape of a token; anything else is refused before any store is asked.
 *
 * @example
 * if (!isToken(value)) return freshSession();
 */
export function isToken(value: string): boolean {
  return tokenRegExp.test(value);
}
