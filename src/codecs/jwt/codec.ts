// The jwt codec: a session as a JWT (signed JWS or encrypted JWE), which other services verify with jose and a key.

import { fromBase64url } from "../../core/bytes.js";
import type { SyncCodec } from "../../core/codec.js";
import { CodecError, TesseraError } from "../../core/errors.js";
import { ivBytes, tagBytes } from "../../crypto/backend.js";
import { decodeClaims, encodeClaims, type ClaimRules } from "./claims.js";
import { decodeHeader, encodeHeader } from "./header.js";
import { decryptJwe, encryptJwe } from "./jwe.js";
import { signatureBytes, signJws, verifyJws } from "./jws.js";
import { importKeys } from "./keys.js";
import { defaults, type JwtAlgorithm, type JwtCodecOptions } from "./options.js";

const algorithms: readonly JwtAlgorithm[] = ["HS256", "EdDSA", "ES256", "dir"];

/**
 * A codec that writes the session as a compact JWT: a JWS (`HS256`, `EdDSA`, `ES256`) anyone can read and only
 * the key holder can sign, or a JWE (`dir` with `A256GCM`) only the key holder can read. The algorithm is pinned
 * here and never taken from a token. Claims: `sub` is the signed-in user, `data` the session's data, `flash` its
 * pending messages, `iat`/`nbf` the time of issue, `exp` the moment the session ends unless renewed (the idle
 * deadline, capped by the absolute one), `iss`/`aud` as configured, and `tessera` the metadata and the cookie name
 * the token was issued for (a token read under another cookie name is refused). Signing and verification run
 * synchronously on node:crypto; jose is not loaded, and verifies these tokens independently (`jwtVerify` with the
 * public key, or `jwtDecrypt` with the key). Options are checked now: HS256 secrets of fewer than 32 bytes, keys
 * that do not fit `alg` and a public key as an HMAC secret are refused with a typed error naming the option. With a
 * public key first (EdDSA, ES256) the codec only decodes: `encode` throws `ERR_NOT_SUPPORTED`.
 *
 * @example
 * const sessions = createSessions({
 *   secrets: [process.env.SECRET_KEY!],
 *   codec: jwtCodec({ alg: "EdDSA", key: process.env.JWT_PRIVATE_KEY!, issuer: "https://app.example", audience: "https://api.example" }),
 * });
 */
export function jwtCodec(options: JwtCodecOptions): SyncCodec {
  if (options === null || typeof options !== "object") throw new TesseraError("ERR_INVALID_OPTION", "`jwtCodec` needs an options object with `key` and `alg`");
  const { alg } = options;
  if (!algorithms.includes(alg)) {
    throw new TesseraError("ERR_INVALID_OPTION", `\`alg\` must be one of ${algorithms.map((name) => `"${name}"`).join(", ")} (got ${describe(alg)})`);
  }
  const rules: ClaimRules = { issuer: checkName(options.issuer, "issuer"), audience: checkName(options.audience, "audience") };
  const ring = importKeys(alg, options.key);
  const { signKey, kid } = ring.current;
  const header = encodeHeader(alg, kid);
  const segments = alg === "dir" ? 5 : 3;
  return {
    name: "jwt",
    encode(record, context) {
      if (signKey === undefined) {
        throw new TesseraError("ERR_NOT_SUPPORTED", `this jwtCodec has only a public key first in \`key\`: it verifies ${alg} tokens but cannot issue them (pass the private key to sign)`);
      }
      const claims = Buffer.from(encodeClaims(record, context, rules));
      if (alg === "dir") {
        const { iv, ciphertext, tag } = encryptJwe(signKey, header, claims);
        // RFC 7516 §7.1: header, encrypted key (empty for dir), IV, ciphertext, tag.
        return `${header}..${base64url(iv)}.${base64url(ciphertext)}.${base64url(tag)}`;
      }
      const input = `${header}.${claims.toString("base64url")}`;
      return `${input}.${signJws(alg, signKey, Buffer.from(input, "latin1")).toString("base64url")}`;
    },
    decode(value, context) {
      if (typeof value !== "string" || value.length > defaults.maxTokenChars) throw new CodecError("malformed");
      const parts = value.split(".", segments + 1);
      if (parts.length !== segments) throw new CodecError("malformed");
      const found = ring.find(decodeHeader(parts[0]!, alg));
      if (found === undefined) throw new CodecError("unknown_key");
      const { verifyKey } = found.entry;
      let plaintext: Uint8Array | null;
      if (alg === "dir") {
        const iv = fromBase64url(parts[2]!);
        const ciphertext = fromBase64url(parts[3]!);
        const tag = fromBase64url(parts[4]!);
        if (parts[1] !== "" || iv?.length !== ivBytes || ciphertext === undefined || tag?.length !== tagBytes) throw new CodecError("malformed");
        plaintext = decryptJwe(verifyKey, parts[0]!, { iv, ciphertext, tag });
      } else {
        const payload = fromBase64url(parts[1]!);
        const signature = fromBase64url(parts[2]!);
        if (payload === undefined || signature?.length !== signatureBytes[alg]) throw new CodecError("malformed");
        const input = Buffer.from(value.slice(0, parts[0]!.length + 1 + parts[1]!.length), "latin1");
        plaintext = verifyJws(alg, verifyKey, input, signature) ? payload : null;
      }
      if (plaintext === null) throw new CodecError("bad_signature");
      return { ...decodeClaims(plaintext, context, rules), keyIndex: found.index };
    },
  };
}

function base64url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64url");
}

/** An `issuer` or `audience` option: absent, or a non-empty string of at most 256 characters. */
function checkName(value: unknown, option: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || value.length === 0 || value.length > 256) {
    throw new TesseraError("ERR_INVALID_OPTION", `\`${option}\` must be a non-empty string of at most 256 characters (got ${describe(value)})`);
  }
  return value;
}

function describe(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value.slice(0, 20)) : typeof value;
}
