// The Web Crypto backend (Workers, edge runtimes, browsers): crypto.subtle, with each key imported once and cached.

import { toBase64url, utf8Bytes } from "../core/bytes.js";
import type { CryptoBackend, KeyAlgorithm, SecretKey } from "./backend.js";
import { hkdfSha256 } from "./sha256.js";

/** The part of the Web Crypto API used here (typed locally: the core compiles without the DOM library). */
export interface WebCrypto {
  getRandomValues<T extends Uint8Array>(array: T): T;
  subtle: {
    importKey(format: "raw", keyData: Uint8Array, algorithm: object, extractable: boolean, usages: string[]): Promise<unknown>;
    encrypt(algorithm: object, key: unknown, data: Uint8Array): Promise<ArrayBuffer>;
    decrypt(algorithm: object, key: unknown, data: Uint8Array): Promise<ArrayBuffer>;
    sign(algorithm: string, key: unknown, data: Uint8Array): Promise<ArrayBuffer>;
    verify(algorithm: string, key: unknown, signature: Uint8Array, data: Uint8Array): Promise<boolean>;
    digest(algorithm: string, data: Uint8Array): Promise<ArrayBuffer>;
  };
}

/** crypto.getRandomValues fills at most 65536 bytes a call (WebCryptoAPI §10.1.1). */
const maxRandomBytes = 65536;

const importParameters: Readonly<Record<KeyAlgorithm, { algorithm: object; usages: string[] }>> = {
  "AES-256-GCM": { algorithm: { name: "AES-GCM" }, usages: ["encrypt", "decrypt"] },
  "HMAC-SHA256": { algorithm: { name: "HMAC", hash: "SHA-256" }, usages: ["sign", "verify"] },
};

/** A key whose bytes are held in a private field, imported as a non-extractable CryptoKey on first use. */
class WebSecretKey implements SecretKey {
  readonly type = "secret";
  readonly #bytes: Uint8Array;
  readonly #algorithm: KeyAlgorithm;
  #imported: Promise<unknown> | undefined;

  constructor(bytes: Uint8Array, algorithm: KeyAlgorithm) {
    this.#bytes = bytes.slice();
    this.#algorithm = algorithm;
  }

  cryptoKey(crypto: WebCrypto): Promise<unknown> {
    if (this.#imported === undefined) {
      const { algorithm, usages } = importParameters[this.#algorithm];
      this.#imported = crypto.subtle.importKey("raw", this.#bytes, algorithm, false, usages);
    }
    return this.#imported;
  }
}

function webKey(key: SecretKey): WebSecretKey {
  if (!(key instanceof WebSecretKey)) throw new TypeError("the key was made by another crypto backend");
  return key;
}

function concat(parts: readonly (Uint8Array | string)[]): Uint8Array {
  const bytes = parts.map((part) => (typeof part === "string" ? utf8Bytes(part) : part));
  if (bytes.length === 1) return bytes[0]!;
  let length = 0;
  for (const part of bytes) length += part.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of bytes) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/**
 * The Web Crypto backend over `crypto` (the global one by default). Every operation but key derivation and random
 * bytes answers with a Promise; keys are derived with HKDF in JavaScript, synchronously, once per secret.
 *
 * @example
 * const ring = createKeyRing([secret], webCryptoBackend());
 */
export function webCryptoBackend(crypto: WebCrypto | undefined = (globalThis as { crypto?: WebCrypto }).crypto): CryptoBackend {
  if (crypto?.subtle === undefined) throw new TypeError("this runtime has neither node:crypto nor Web Crypto (globalThis.crypto.subtle)");
  const { subtle } = crypto;
  return {
    name: "web-crypto",
    hkdf: (secret, salt, info, length) => hkdfSha256(secret, salt, utf8Bytes(info), length),
    secretKey: (bytes, algorithm) => new WebSecretKey(bytes, algorithm),
    randomFill(bytes) {
      for (let offset = 0; offset < bytes.length; offset += maxRandomBytes) {
        crypto.getRandomValues(bytes.subarray(offset, Math.min(bytes.length, offset + maxRandomBytes)));
      }
    },
    async seal(key, iv, aad, plaintext, out, offset) {
      const parameters = { name: "AES-GCM", iv, additionalData: aad, tagLength: 128 };
      out.set(new Uint8Array(await subtle.encrypt(parameters, await webKey(key).cryptoKey(crypto), plaintext)), offset);
    },
    async open(key, iv, aad, sealed) {
      if (sealed.length < 16) return null;
      const cryptoKey = await webKey(key).cryptoKey(crypto);
      try {
        return new Uint8Array(await subtle.decrypt({ name: "AES-GCM", iv, additionalData: aad, tagLength: 128 }, cryptoKey, sealed));
      } catch {
        // OperationError: the tag did not verify. Nothing else can fail here: the key and sizes are ours.
        return null;
      }
    },
    async hmac(key, parts) {
      return new Uint8Array(await subtle.sign("HMAC", await webKey(key).cryptoKey(crypto), concat(parts)));
    },
    async verifyHmac(key, mac, parts) {
      // The platform compares the MAC itself, in constant time; no comparison of ours sees the expected bytes.
      return mac.length === 32 && subtle.verify("HMAC", await webKey(key).cryptoKey(crypto), mac, concat(parts));
    },
    async sha256Base64url(text) {
      return toBase64url(new Uint8Array(await subtle.digest("SHA-256", utf8Bytes(text))));
    },
  };
}
