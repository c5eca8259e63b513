// The node:crypto backend (Node, Bun, Deno): synchronous and native, reached through process.getBuiltinModule.

import type * as NodeCrypto from "node:crypto";
import { builtinModule } from "../core/runtime.js";
import type { CryptoBackend, SecretKey } from "./backend.js";

/**
 * The node:crypto backend, or `undefined` where the runtime does not give node:crypto (Workers, browsers, an edge
 * runtime, Node before 20.16).
 *
 * @example
 * const backend = nodeCryptoBackend() ?? webCryptoBackend();
 */
export function nodeCryptoBackend(): CryptoBackend | undefined {
  const crypto = builtinModule<typeof NodeCrypto>("node:crypto");
  if (crypto === undefined || typeof crypto.createHmac !== "function") return undefined;
  const { createCipheriv, createDecipheriv, createHash, createHmac, createSecretKey, hkdfSync, randomFillSync } = crypto;
  const keyObject = (key: SecretKey): NodeCrypto.KeyObject => key as unknown as NodeCrypto.KeyObject;
  const hmac = (key: SecretKey, parts: readonly (Uint8Array | string)[]): Uint8Array => {
    const mac = createHmac("sha256", keyObject(key));
    for (const part of parts) mac.update(part);
    return mac.digest();
  };
  return {
    name: "node:crypto",
    hkdf: (secret, salt, info, length) => new Uint8Array(hkdfSync("sha256", secret, salt, info, length)),
    // A KeyObject prints no key material, and is what every node:crypto call below takes.
    secretKey: (bytes) => createSecretKey(bytes) as unknown as SecretKey,
    randomFill(bytes) {
      randomFillSync(bytes);
    },
    seal(key, iv, aad, plaintext, out, offset) {
      const cipher = createCipheriv("aes-256-gcm", keyObject(key), iv, { authTagLength: 16 });
      cipher.setAAD(aad);
      const ciphertext = cipher.update(plaintext);
      out.set(ciphertext, offset);
      cipher.final();
      out.set(cipher.getAuthTag(), offset + ciphertext.length);
    },
    open(key, iv, aad, sealed) {
      if (sealed.length < 16) return null;
      const decipher = createDecipheriv("aes-256-gcm", keyObject(key), iv, { authTagLength: 16 });
      decipher.setAAD(aad);
      decipher.setAuthTag(sealed.subarray(sealed.length - 16));
      const plaintext = decipher.update(sealed.subarray(0, sealed.length - 16));
      try {
        decipher.final();
      } catch {
        return null;
      }
      return plaintext;
    },
    hmac,
    // Looked up on the module at each call, as a static import would bind it: an app that wraps node:crypto's
    // timingSafeEqual (to audit it) sees every comparison.
    verifyHmac: (key, mac, parts) => mac.length === 32 && crypto.timingSafeEqual(hmac(key, parts), mac),
    // Encoded by node:crypto itself: no Buffer is made for the digest.
    sha256Base64url: (text) => createHash("sha256").update(text).digest("base64url"),
  };
}
