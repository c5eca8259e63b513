// Importing a jwt codec's keys: each checked once against the pinned algorithm, and named by its RFC 7638 thumbprint.

import { createHash, createPrivateKey, createPublicKey, createSecretKey, KeyObject, type JsonWebKey } from "node:crypto";
import { types } from "node:util";
import { TesseraError } from "../../core/errors.js";
import { minimumDistinctBytes, minimumSecretBytes } from "../../crypto/keyring.js";
import { defaults, type JwtAlgorithm, type JwtKey } from "./options.js";

/** One key of the ring. */
export interface JwtKeyEntry {
  /** The `kid` header: the key's RFC 7638 JWK thumbprint (SHA-256, base64url), public for a key pair. */
  kid: string;
  /** What verifies (or decrypts): the secret, or the public key of a pair. */
  verifyKey: KeyObject;
  /** What signs (or encrypts): the secret, or the private key; `undefined` for a public key alone. */
  signKey: KeyObject | undefined;
}

/** A codec's keys; the first signs, all verify. */
export interface JwtKeyRing {
  readonly current: JwtKeyEntry;
  /** The key named `kid` and its place in the ring, or `undefined`. */
  find(kid: string): { entry: JwtKeyEntry; index: number } | undefined;
}

/** Bytes of an A256GCM key (RFC 7518 §5.3): `dir` uses the key as given. */
const aesKeyBytes = 32;

/** A PEM block's first line (RFC 7468 §2): refused as an HMAC secret, the algorithm-confusion attack's shape. */
const pemRegExp = /^\s*-----BEGIN [A-Z0-9 ]+-----/;

/**
 * Checks every key against `alg` and names it. Errors name the option (`key`, or `key[1]` in a list) and never
 * contain key material.
 *
 * @example
 * const ring = importKeys("EdDSA", [process.env.JWT_PRIVATE_KEY!, process.env.JWT_OLD_PUBLIC_KEY!]);
 */
export function importKeys(alg: JwtAlgorithm, key: JwtKey | readonly JwtKey[]): JwtKeyRing {
  const list = Array.isArray(key) ? (key as readonly JwtKey[]) : [key as JwtKey];
  if (list.length === 0 || key === undefined || key === null) {
    throw new TesseraError("ERR_SECRET_MISSING", "`key` must be a key or a list of keys, the first of which signs");
  }
  const entries: JwtKeyEntry[] = [];
  const byKid = new Map<string, number>();
  list.forEach((item, index) => {
    const option = Array.isArray(key) ? `key[${index}]` : "key";
    const entry = importKey(alg, item, option);
    const earlier = byKid.get(entry.kid);
    if (earlier !== undefined) throw new TesseraError("ERR_SECRET_DUPLICATE", `\`${option}\` repeats \`key[${earlier}]\``);
    byKid.set(entry.kid, index);
    entries.push(entry);
  });
  return {
    current: entries[0]!,
    find(kid) {
      const index = byKid.get(kid);
      return index === undefined ? undefined : { entry: entries[index]!, index };
    },
  };
}

function importKey(alg: JwtAlgorithm, key: JwtKey, option: string): JwtKeyEntry {
  const object = toKeyObject(alg, key, option);
  if (alg === "HS256" || alg === "dir") {
    if (object.type !== "secret") {
      throw new TesseraError(
        "ERR_INVALID_OPTION",
        `\`${option}\` must be a secret for ${alg} (got a ${object.type} key): a public key used as a shared secret is the algorithm-confusion attack; use EdDSA or ES256 to verify with a public key`,
      );
    }
    checkSecret(alg, object.export(), option);
    return { kid: thumbprint(object), verifyKey: object, signKey: object };
  }
  if (object.type === "secret") {
    throw new TesseraError("ERR_INVALID_OPTION", `\`${option}\` must be a private or public key for ${alg} (got a secret)`);
  }
  const expected = alg === "EdDSA" ? "an Ed25519 key" : "a P-256 (prime256v1) EC key";
  const fits =
    alg === "EdDSA"
      ? object.asymmetricKeyType === "ed25519"
      : object.asymmetricKeyType === "ec" && object.asymmetricKeyDetails?.namedCurve === "prime256v1";
  if (!fits) {
    throw new TesseraError("ERR_INVALID_OPTION", `\`${option}\` must be ${expected} for ${alg} (got ${describeKey(object)})`);
  }
  const publicKey = object.type === "private" ? createPublicKey(object) : object;
  return { kid: thumbprint(publicKey), verifyKey: publicKey, signKey: object.type === "private" ? object : undefined };
}

function toKeyObject(alg: JwtAlgorithm, key: JwtKey, option: string): KeyObject {
  if (key instanceof KeyObject) return key;
  if (types.isCryptoKey(key)) return KeyObject.from(key);
  const symmetric = alg === "HS256" || alg === "dir";
  if (typeof key === "string") {
    if (alg === "dir") {
      throw new TesseraError("ERR_INVALID_OPTION", `\`${option}\` must be ${aesKeyBytes} random bytes for dir (a Uint8Array, a secret KeyObject or an oct JWK), not a string`);
    }
    if (symmetric) {
      if (pemRegExp.test(key)) {
        throw new TesseraError("ERR_INVALID_OPTION", `\`${option}\` is a PEM key, not an HMAC secret: HS256 needs a random secret; use EdDSA or ES256 to verify with a public key`);
      }
      return createSecretKey(Buffer.from(key, "utf8"));
    }
    if (!pemRegExp.test(key)) throw new TesseraError("ERR_INVALID_OPTION", `\`${option}\` must be a PEM key for ${alg} (PKCS #8 private or SPKI public)`);
    return readKey(() => (key.includes("PRIVATE KEY-----") ? createPrivateKey(key) : createPublicKey(key)), option);
  }
  if (key instanceof Uint8Array) {
    if (symmetric) return createSecretKey(Buffer.from(key));
    throw new TesseraError("ERR_INVALID_OPTION", `\`${option}\` for ${alg} must be a PEM string, a JWK, a KeyObject or a CryptoKey, not bytes`);
  }
  if (key !== null && typeof key === "object" && typeof (key as JsonWebKey).kty === "string") return fromJwk(alg, key as JsonWebKey, option);
  throw new TesseraError("ERR_SECRET_MISSING", `\`${option}\` must be a string, a Uint8Array, a KeyObject, a CryptoKey or a JWK (got ${key === null ? "null" : typeof key})`);
}

function fromJwk(alg: JwtAlgorithm, jwk: JsonWebKey, option: string): KeyObject {
  // RFC 7517 §4.4: a JWK that names its algorithm is for that algorithm only (for dir, the content encryption).
  if (jwk.alg !== undefined && jwk.alg !== alg && !(alg === "dir" && jwk.alg === defaults.enc)) {
    throw new TesseraError("ERR_INVALID_OPTION", `\`${option}\` is a JWK for ${String(jwk.alg).slice(0, 16)}, not ${alg}`);
  }
  if (jwk.kty === "oct") {
    if (typeof jwk.k !== "string") throw new TesseraError("ERR_INVALID_OPTION", `\`${option}\` is an oct JWK without "k"`);
    return createSecretKey(Buffer.from(jwk.k, "base64url"));
  }
  return readKey(() => (jwk.d !== undefined ? createPrivateKey({ key: jwk, format: "jwk" }) : createPublicKey({ key: jwk, format: "jwk" })), option);
}

/** Runs a node:crypto import; its error (which names no key material, but is not ours to vouch for) is replaced. */
function readKey(read: () => KeyObject, option: string): KeyObject {
  try {
    return read();
  } catch {
    throw new TesseraError("ERR_INVALID_OPTION", `\`${option}\` is not a key node:crypto can read`);
  }
}

/** The keyring's rules for secrets (DESIGN.md): 256 bits at least, and not one byte or a short pattern repeated. */
function checkSecret(alg: "HS256" | "dir", bytes: Buffer, option: string): void {
  if (bytes.length < (alg === "dir" ? aesKeyBytes : minimumSecretBytes)) {
    throw new TesseraError("ERR_SECRET_TOO_SHORT", `\`${option}\` must be at least ${minimumSecretBytes} bytes for ${alg} (got ${bytes.length})`);
  }
  if (alg === "dir" && bytes.length !== aesKeyBytes) {
    throw new TesseraError("ERR_INVALID_OPTION", `\`${option}\` must be exactly ${aesKeyBytes} bytes for dir with A256GCM (got ${bytes.length})`);
  }
  if (new Set(bytes).size < minimumDistinctBytes) {
    throw new TesseraError(
      "ERR_SECRET_WEAK",
      `\`${option}\` repeats too few distinct bytes (fewer than ${minimumDistinctBytes}); generate a random one with \`openssl rand -base64 32\``,
    );
  }
}

/** RFC 7638 §3: SHA-256 of the key's required JWK members, in lexicographic order, without whitespace. */
function thumbprint(key: KeyObject): string {
  const jwk = key.export({ format: "jwk" });
  const members =
    jwk.kty === "oct"
      ? { k: jwk.k, kty: jwk.kty }
      : jwk.kty === "OKP"
        ? { crv: jwk.crv, kty: jwk.kty, x: jwk.x }
        : { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y };
  return createHash("sha256").update(JSON.stringify(members)).digest("base64url");
}

function describeKey(key: KeyObject): string {
  const curve = key.asymmetricKeyDetails?.namedCurve;
  return `a ${key.asymmetricKeyType ?? "secret"}${curve ? ` ${curve}` : ""} ${key.type} key`;
}
