// The shared codec cases on every cookie codec tessera ships.

import { createHash, generateKeyPairSync, type KeyObject } from "node:crypto";
import { jwtCodec } from "../src/codecs/jwt/index.js";
import type { JwtAlgorithm, JwtKey } from "../src/codecs/jwt/index.js";
import { createSealedCodec } from "../src/codecs/sealed.js";
import { createSignedCodec } from "../src/codecs/signed.js";
import type { Codec } from "../src/core/codec.js";
import { expiresAt, type TimeoutPolicy } from "../src/core/policy.js";
import { createKeyRing } from "../src/crypto/keyring.js";
import { webCryptoBackend } from "../src/crypto/web-crypto.js";
import { nodeXChaCha, sodiumXChaCha } from "../src/crypto/xchacha.js";
import { describeCodec } from "./codec-conformance.js";

describeCodec("sealed", (secrets) => createSealedCodec(createKeyRing(secrets)));
describeCodec("signed", (secrets) => createSignedCodec(createKeyRing(secrets)));
// The same cases on Web Crypto, the backend of Workers and edge runtimes (there, every call answers with a Promise).
const webCrypto = webCryptoBackend();
describeCodec("sealed on Web Crypto", (secrets) => createSealedCodec(createKeyRing(secrets, webCrypto)));
describeCodec("signed on Web Crypto", (secrets) => createSignedCodec(createKeyRing(secrets, webCrypto)));
// The second cipher on each implementation: libsodium's, and node:crypto's ChaCha20-Poly1305 under HChaCha20.
describeCodec("sealed with XChaCha20-Poly1305 (sodium-native)", (secrets) =>
  createSealedCodec(createKeyRing(secrets), { cipher: "xchacha20-poly1305", xchacha: sodiumXChaCha() }));
describeCodec("sealed with XChaCha20-Poly1305 (node:crypto)", (secrets) =>
  createSealedCodec(createKeyRing(secrets), { cipher: "xchacha20-poly1305", xchacha: nodeXChaCha() }));
// With `compress` (the suite's records are small, so this mostly proves nothing changes for them).
describeCodec("sealed, compress", (secrets) => createSealedCodec(createKeyRing(secrets), undefined, { compress: true }));
describeCodec("signed, compress", (secrets) => createSignedCodec(createKeyRing(secrets), undefined, { compress: true }));

/**
 * A jwt codec as createSessions drives it: every call carries the manager's time, and every encode the session's
 * expiry under the suite's timeouts (30 minutes idle, 12 hours absolute), so the suite's records are live.
 */
function asManaged(codec: Codec): Codec {
  const now = Date.UTC(2026, 0, 1) + 61_000;
  const policy: TimeoutPolicy = { idleMs: 30 * 60_000, absoluteMs: 12 * 3_600_000, touchAfterMs: 60_000 };
  return {
    name: codec.name,
    encode: (record, context) => codec.encode(record, { ...context, now, expiresAt: expiresAt(record.meta, policy) }),
    decode: (value, context) => codec.decode(value, { ...context, now }),
  };
}

/** One key pair per secret string the suite names, so "another secret" is another key pair. */
function pairsFor(type: "ed25519" | "ec"): (secret: string) => KeyObject {
  const pairs = new Map<string, KeyObject>();
  return (secret) => {
    let key = pairs.get(secret);
    if (key === undefined) {
      key = (type === "ed25519" ? generateKeyPairSync("ed25519") : generateKeyPairSync("ec", { namedCurve: "P-256" })).privateKey;
      pairs.set(secret, key);
    }
    return key;
  };
}

const jwtKeys: [JwtAlgorithm, (secret: string) => JwtKey][] = [
  ["HS256", (secret) => secret],
  ["EdDSA", pairsFor("ed25519")],
  ["ES256", pairsFor("ec")],
  // dir needs exactly 32 bytes: the secret's SHA-256.
  ["dir", (secret) => createHash("sha256").update(secret).digest()],
];
for (const [alg, keyFor] of jwtKeys) {
  describeCodec(`jwt ${alg}`, (secrets) => asManaged(jwtCodec({ alg, key: secrets.map(keyFor), issuer: "https://app.example" })));
}
