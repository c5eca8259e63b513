// The key ring: secrets checked once at start-up, and per-purpose keys derived from each with HKDF.

import { readUint32, utf8Bytes } from "../core/bytes.js";
import { TesseraError } from "../core/errors.js";
import type { CryptoBackend, SecretKey } from "./backend.js";
import { runtimeBackend } from "./runtime.js";

/** A secret as the application holds it. */
export type Secret = string | Uint8Array;

/** Keys derived from one secret, one per purpose, so no key ever serves two algorithms. */
export interface DerivedKeys {
  /** 4 bytes naming the secret in a cookie value, so verification tries one key, not all. */
  id: Uint8Array;
  /** `id` read as an unsigned 32-bit integer, for lookups. */
  idNumber: number;
  /** AES-256-GCM key. */
  sealKey: SecretKey;
  /** HMAC-SHA256 key. */
  signKey: SecretKey;
  /** HMAC-SHA256 key for store-mode token tags. */
  tokenKey: SecretKey;
  /** AES-256-GCM key sealing a renewed token's successor inside its forwarder (store mode's `renewAfter`). */
  renewalKey: SecretKey;
}

/** Every secret's keys; the first signs and seals, all verify and open. */
export interface KeyRing {
  /** The primitives its keys work with: node:crypto on Node, Bun and Deno, Web Crypto elsewhere. */
  readonly crypto: CryptoBackend;
  readonly current: DerivedKeys;
  readonly keys: readonly DerivedKeys[];
  /** The keys with this id and their position in the ring, or `undefined`. */
  find(idNumber: number): { keys: DerivedKeys; index: number } | undefined;
  /**
   * A key of `length` bytes for `purpose`, derived from the secret at `index` as the ring's own keys are: for a
   * cipher a codec uses only when asked to (XChaCha20-Poly1305), so rings that never need it never derive it.
   */
  derive(index: number, purpose: string, length: number): Uint8Array;
}

/** NIST SP 800-107 / OWASP: an HMAC or AES-256 key needs 256 bits of entropy; we refuse shorter secrets. */
export const minimumSecretBytes = 32;

/**
 * A secret must hold at least this many distinct byte values. Random secrets of 32 bytes hold about 28 (hex about 16);
 * one repeated character, all zero bytes or a short repeated pattern hold fewer.
 */
export const minimumDistinctBytes = 8;

/** HKDF salt: fixed, so the same secret always derives the same keys (rotation works across restarts). */
const hkdfSalt = utf8Bytes("tessera.keyring.v1");

/**
 * Checks the secrets and derives every key once, with `backend`'s primitives (the runtime's: node:crypto where
 * there is one, Web Crypto otherwise). The keys are the same on every backend, so are the values they make.
 *
 * @example
 * const ring = createKeyRing([process.env.SECRET_KEY!]);
 */
export function createKeyRing(secrets: readonly Secret[] | undefined, backend: CryptoBackend = runtimeBackend): KeyRing {
  if (!Array.isArray(secrets) || secrets.length === 0) {
    throw new TesseraError(
      "ERR_SECRET_MISSING",
      "`secrets` must list at least one secret of 32 bytes or more; generate one with `npx tessera keygen` or `openssl rand -base64 32`",
    );
  }
  const keys: DerivedKeys[] = [];
  const byId = new Map<number, number>();
  // Kept for `derive`, in this closure only: nothing printed or serialised from the ring reaches them.
  const secretBytes: Uint8Array[] = [];
  secrets.forEach((secret, index) => {
    const bytes = toBytes(secret, index);
    if (bytes.length < minimumSecretBytes) {
      throw new TesseraError(
        "ERR_SECRET_TOO_SHORT",
        `\`secrets[${index}]\` must be at least ${minimumSecretBytes} bytes (got ${bytes.length})`,
      );
    }
    if (distinctBytes(bytes) < minimumDistinctBytes) {
      // A secret of one repeated character, all zero bytes or a short pattern repeated is long but guessable.
      throw new TesseraError(
        "ERR_SECRET_WEAK",
        `\`secrets[${index}]\` repeats too few distinct bytes (fewer than ${minimumDistinctBytes}); generate a random one with \`openssl rand -base64 32\``,
      );
    }
    secretBytes.push(bytes);
    const derive = (purpose: string, length: number): Uint8Array => backend.hkdf(bytes, hkdfSalt, `tessera/${purpose}`, length);
    const id = derive("key-id", 4);
    const idNumber = readUint32(id, 0);
    if (byId.has(idNumber)) {
      throw new TesseraError("ERR_SECRET_DUPLICATE", `\`secrets[${index}]\` repeats \`secrets[${byId.get(idNumber)}]\``);
    }
    byId.set(idNumber, index);
    keys.push({
      id,
      idNumber,
      sealKey: backend.secretKey(derive("seal/aes-256-gcm", 32), "AES-256-GCM"),
      signKey: backend.secretKey(derive("sign/hmac-sha256", 32), "HMAC-SHA256"),
      tokenKey: backend.secretKey(derive("token/hmac-sha256", 32), "HMAC-SHA256"),
      renewalKey: backend.secretKey(derive("renewal/aes-256-gcm", 32), "AES-256-GCM"),
    });
  });
  return {
    crypto: backend,
    current: keys[0]!,
    keys,
    find(idNumber) {
      const index = byId.get(idNumber);
      return index === undefined ? undefined : { keys: keys[index]!, index };
    },
    derive: (index, purpose, length) => backend.hkdf(secretBytes[index]!, hkdfSalt, `tessera/${purpose}`, length),
  };
}

function toBytes(secret: Secret, index: number): Uint8Array {
  if (typeof secret === "string") return utf8Bytes(secret);
  if (secret instanceof Uint8Array) return secret.slice();
  throw new TesseraError("ERR_SECRET_MISSING", `\`secrets[${index}]\` must be a string or a Uint8Array (got ${typeof secret})`);
}

function distinctBytes(bytes: Uint8Array): number {
  const seen = new Set<number>();
  for (const byte of bytes) {
    seen.add(byte);
    if (seen.size >= minimumDistinctBytes) break;
  }
  return seen.size;
}
