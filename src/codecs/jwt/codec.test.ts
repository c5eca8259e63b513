import { createCipheriv, createHmac, createPrivateKey, createPublicKey, createSecretKey, generateKeyPairSync, randomBytes, sign, type KeyObject } from "node:crypto";
import * as jose from "jose";
import { describe, expect, it } from "vitest";
import { reasonFor as reasonOf } from "../../../test/codec-conformance.js";
import type { SyncCodec as Codec, CodecContext } from "../../core/codec.js";
import type { CodecFailure } from "../../core/errors.js";
import { TesseraError } from "../../core/errors.js";
import type { SessionRecord } from "../../core/record.js";
import { jwtCodec } from "./codec.js";
import { importKeys } from "./keys.js";
import type { JwtAlgorithm, JwtKey } from "./options.js";

const issuer = "https://app.example";
const audience = "https://api.example";
const t0 = Date.UTC(2026, 0, 1);
const now = t0 + 60_000;
const expiresAt = now + 30 * 60_000;
const sid = { cookieName: "sid", now, expiresAt } satisfies CodecContext;
const record: SessionRecord = {
  data: { username: "alice", cart: ["book", "pen"], visits: 3 },
  flash: { notice: "Saved" },
  meta: { createdAt: t0, lastSeenAt: now, userId: "u-42", userAgent: "Mozilla/5.0" },
};
const seconds = (ms: number): number => Math.floor(ms / 1000);

/** The CodecError reason `decode` throws at `now` (see test/codec-conformance.ts); fails the test for any other outcome. */
const reasonFor = (codec: Codec, value: string, context: CodecContext = sid): CodecFailure => reasonOf(codec, value, context);

/** One algorithm's keys: what the codec is given, what forges tokens with it, and what jose verifies with. */
interface Variant {
  alg: JwtAlgorithm;
  key: JwtKey;
  /** The key that signs (or encrypts) for the codec, for forging tokens the codec must judge. */
  signing: KeyObject;
  /** What another service holds: the public key, or the shared secret. */
  verifying: KeyObject;
  /** Another key of the same kind. */
  other: KeyObject;
}

function pair(type: "ed25519" | "ec"): { privateKey: KeyObject; publicKey: KeyObject } {
  return type === "ed25519" ? generateKeyPairSync("ed25519") : generateKeyPairSync("ec", { namedCurve: "P-256" });
}

const hsSecret = createSecretKey(Buffer.from("jwt-codec-test-secret-0123456789abcdef"));
const dirKey = createSecretKey(randomBytes(32));
const ed = pair("ed25519");
const es = pair("ec");
const variants: Variant[] = [
  { alg: "HS256", key: "jwt-codec-test-secret-0123456789abcdef", signing: hsSecret, verifying: hsSecret, other: createSecretKey(randomBytes(32)) },
  { alg: "EdDSA", key: ed.privateKey, signing: ed.privateKey, verifying: ed.publicKey, other: pair("ed25519").privateKey },
  { alg: "ES256", key: es.privateKey, signing: es.privateKey, verifying: es.publicKey, other: pair("ec").privateKey },
  { alg: "dir", key: dirKey, signing: dirKey, verifying: dirKey, other: createSecretKey(randomBytes(32)) },
];

const b64 = (value: string | Uint8Array): string => Buffer.from(value).toString("base64url");
const json = (value: unknown): string => b64(JSON.stringify(value));

/**
 * A token made here with node:crypto, independently of the codec, so the codec can be shown tokens it would never
 * write: `header` and `claims` as given, signed (or encrypted) with `key` under `alg`.
 */
function forge(alg: string, key: KeyObject, header: object, claims: object | string): string {
  const head = json(header);
  const body = typeof claims === "string" ? claims : JSON.stringify(claims);
  if (alg === "dir") {
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", key, iv);
    cipher.setAAD(Buffer.from(head));
    const ciphertext = Buffer.concat([cipher.update(body), cipher.final()]);
    return `${head}..${b64(iv)}.${b64(ciphertext)}.${b64(cipher.getAuthTag())}`;
  }
  const input = `${head}.${b64(body)}`;
  const signature =
    alg === "HS256"
      ? createHmac("sha256", key).update(input).digest()
      : alg === "EdDSA"
        ? sign(null, Buffer.from(input), key)
        : alg === "ES256"
          ? sign("sha256", Buffer.from(input), { key, dsaEncoding: "ieee-p1363" })
          : Buffer.alloc(0);
  return `${input}.${b64(signature)}`;
}

/** The claims the codec writes for `record` at `now`, changed by `changes`. */
function claims(changes: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    iss: issuer,
    sub: "u-42",
    aud: audience,
    iat: seconds(now),
    nbf: seconds(now),
    exp: seconds(expiresAt),
    data: record.data,
    flash: record.flash,
    tessera: { v: 1, cookie: "sid", created: t0, seen: now, ua: "Mozilla/5.0" },
    ...changes,
  };
}

const kidOf = (variant: Variant): string => importKeys(variant.alg, variant.key).current.kid;

function headerOf(variant: Variant, changes: Record<string, unknown> = {}): Record<string, unknown> {
  const base = variant.alg === "dir" ? { alg: "dir", enc: "A256GCM", typ: "session+jwt", kid: kidOf(variant) } : { alg: variant.alg, typ: "session+jwt", kid: kidOf(variant) };
  return { ...base, ...changes };
}

function errorOf(fn: () => unknown): TesseraError {
  try {
    fn();
  } catch (error) {
    if (error instanceof TesseraError) return error;
    throw error;
  }
  throw new Error("expected a TesseraError");
}

describe.each(variants)("jwt codec ($alg)", (variant) => {
  const { alg } = variant;
  const codec: Codec = jwtCodec({ alg, key: variant.key, issuer, audience });
  const token = codec.encode(record, sid);
  const forged = (header: Record<string, unknown> = {}, changes: Record<string, unknown> = {}, key = variant.signing): string =>
    forge(alg, key, headerOf(variant, header), claims(changes));

  it("round-trips a record, with the header it documents", () => {
    // expiresAt: the token's exp, in whole seconds, rounded down so the token never outlives the session.
    expect(codec.decode(token, sid)).toEqual({ record, keyIndex: 0, expiresAt: seconds(expiresAt) * 1000 });
    expect(token.split(".")).toHaveLength(alg === "dir" ? 5 : 3);
    expect(jose.decodeProtectedHeader(token)).toEqual(headerOf(variant));
  });

  it("keeps the data version (dataVersion above 1) in tessera.dataVersion, and none for version 1", () => {
    const versioned = { ...record, meta: { ...record.meta, dataVersion: 3 } };
    expect(codec.decode(codec.encode(versioned, sid), sid).record.meta.dataVersion).toBe(3);
    expect(codec.decode(codec.encode({ ...record, meta: { ...record.meta, dataVersion: 1 } }, sid), sid).record.meta).not.toHaveProperty("dataVersion");
  });

  it("keeps a session's own cookie lifetime (remember me) in tessera.persistent", () => {
    const forgotten = { ...record, meta: { ...record.meta, persistent: false } };
    expect(codec.decode(codec.encode(forgotten, sid), sid).record.meta.persistent).toBe(false);
    expect(codec.decode(token, sid).record.meta).not.toHaveProperty("persistent");
  });

  it("keeps a signed-in session's id (revocation) as the registered jti claim", () => {
    const withId = { ...record, meta: { ...record.meta, sessionId: "AAECAwQFBgcICQoLDA0ODw" } };
    const issued = codec.encode(withId, sid);
    expect(codec.decode(issued, sid).record.meta.sessionId).toBe("AAECAwQFBgcICQoLDA0ODw");
    if (alg !== "dir") expect(jose.decodeJwt(issued).jti).toBe("AAECAwQFBgcICQoLDA0ODw");
    expect(codec.decode(token, sid).record.meta).not.toHaveProperty("sessionId");
  });

  it("is verified by another service with jose and the " + (alg === "HS256" || alg === "dir" ? "shared key" : "public key alone"), async () => {
    const expectations = { issuer, audience, typ: "session+jwt", currentDate: new Date(now) };
    const { payload } =
      alg === "dir"
        ? await jose.jwtDecrypt(token, variant.verifying, { ...expectations, keyManagementAlgorithms: ["dir"], contentEncryptionAlgorithms: ["A256GCM"] })
        : await jose.jwtVerify(token, variant.verifying, { ...expectations, algorithms: [alg] });
    expect(payload).toEqual(claims());
    // The other service's clock: at exp, jose refuses it too.
    await expect(
      alg === "dir" ? jose.jwtDecrypt(token, variant.verifying, { currentDate: new Date(expiresAt) }) : jose.jwtVerify(token, variant.verifying, { currentDate: new Date(expiresAt) }),
    ).rejects.toThrow(jose.errors.JWTExpired);
  });

  it("reads a token jose made with the same header and claims", async () => {
    const made =
      alg === "dir"
        ? await new jose.EncryptJWT(claims()).setProtectedHeader(headerOf(variant) as jose.CompactJWEHeaderParameters).encrypt(variant.signing)
        : await new jose.SignJWT(claims()).setProtectedHeader(headerOf(variant) as jose.JWTHeaderParameters).sign(variant.signing);
    expect(codec.decode(made, sid)).toEqual({ record, keyIndex: 0, expiresAt: seconds(expiresAt) * 1000 });
  });

  it("reads what its own forging twin writes, so the rejections below change one thing each", () => {
    expect(codec.decode(forged(), sid).record).toEqual(record);
  });

  describe("the algorithm is pinned by configuration, never read from the token", () => {
    it("rejects alg none, with or without a signature", async () => {
      const none = headerOf(variant, { alg: "none" });
      const expected = alg === "dir" ? ["malformed"] : ["unsupported_version"];
      expect(expected).toContain(reasonFor(codec, `${json(none)}.${json(claims())}.`));
      expect(expected).toContain(reasonFor(codec, `${json(none)}.${json(claims())}.${forged().split(".")[2]}`));
      expect(["malformed", "unsupported_version"]).toContain(reasonFor(codec, new jose.UnsecuredJWT(claims()).encode()));
    });

    it("rejects every other algorithm in the header, each validly signed for that algorithm", () => {
      const others: [string, KeyObject][] = [
        ["HS256", hsSecret],
        ["EdDSA", ed.privateKey],
        ["ES256", es.privateKey],
      ];
      for (const [other, key] of others) {
        if (other === alg) continue;
        const value = forge(other, key, headerOf(variant, { alg: other }), claims());
        expect(reasonFor(codec, value), other).toBe(alg === "dir" ? "malformed" : "unsupported_version");
      }
    });

    it("rejects another typ or, for dir, another enc", () => {
      for (const typ of ["JWT", "at+jwt", "application/session+jwt", undefined]) expect(reasonFor(codec, forged({ typ }))).toBe("unsupported_version");
      if (alg === "dir") expect(reasonFor(codec, forged({ enc: "A128GCM" }))).toBe("unsupported_version");
    });
  });

  it("rejects a header that says where a key is (jku, jwk, x5u, x5c, x5t) or what else to understand (crit, b64, zip), signed with the right key", () => {
    const attacker = pair("ec");
    const parameters: Record<string, unknown>[] = [
      { jku: "https://attacker.example/jwks.json" },
      { jwk: attacker.publicKey.export({ format: "jwk" }) },
      { x5u: "https://attacker.example/cert.pem" },
      { x5c: ["MIIB"] },
      { x5t: "dGhpcyBpcyBub3QgYSB0aHVtYnByaW50" },
      { crit: ["exp"] },
      { crit: ["tessera-extension"], "tessera-extension": true },
      { b64: false, crit: ["b64"] },
      { zip: "DEF" },
      { cty: "JWT" },
    ];
    for (const extra of parameters) expect(reasonFor(codec, forged(extra)), JSON.stringify(extra).slice(0, 40)).toBe("malformed");
  });

  it("rejects a kid that names no key of ours, or none", () => {
    for (const kid of ["https://attacker.example/key", "../../../dev/null", "", kidOf({ ...variant, key: variant.other }), 7, null]) {
      expect(reasonFor(codec, forged({ kid })), String(kid)).toBe("unknown_key");
    }
    const { kid: _kid, ...withoutKid } = headerOf(variant);
    expect(reasonFor(codec, forge(alg, variant.signing, withoutKid, claims()))).toBe("unknown_key");
  });

  it("rejects a token signed by another key: under its own kid as unknown_key, under ours as bad_signature", () => {
    const other = jwtCodec({ alg, key: variant.other, issuer, audience });
    expect(reasonFor(codec, other.encode(record, sid))).toBe("unknown_key");
    expect(reasonFor(codec, forged({}, {}, variant.other))).toBe("bad_signature");
  });

  it("rejects a token for another audience or issuer, and one without them", () => {
    for (const changes of [{ aud: "https://other.example" }, { aud: [audience, "https://other.example"] }, { aud: undefined }, { iss: "https://other.example" }, { iss: undefined }]) {
      expect(reasonFor(codec, forged({}, changes)), JSON.stringify(changes)).toBe("bad_signature");
    }
    expect(reasonFor(jwtCodec({ alg, key: variant.key, issuer, audience: "https://billing.example" }), token)).toBe("bad_signature");
    expect(reasonFor(jwtCodec({ alg, key: variant.key, audience }), token)).toBe("bad_signature");
  });

  it("rejects a token issued for another cookie name", () => {
    expect(reasonFor(codec, token, { ...sid, cookieName: "__Host-sid" })).toBe("bad_signature");
    expect(reasonFor(codec, codec.encode(record, { ...sid, cookieName: "__Host-sid" }), sid)).toBe("bad_signature");
    expect(reasonFor(codec, forged({}, { tessera: { v: 1, cookie: "csrf", created: t0, seen: now } }))).toBe("bad_signature");
  });

  it("rejects an expired token at exp and after, and reads it the millisecond before", () => {
    const exp = seconds(expiresAt) * 1000;
    expect(codec.decode(token, { ...sid, now: exp - 1 }).record).toEqual(record);
    expect(reasonFor(codec, token, { ...sid, now: exp })).toBe("expired");
    expect(reasonFor(codec, token, { ...sid, now: exp + 86_400_000 })).toBe("expired");
    expect(reasonFor(codec, forged({}, { exp: seconds(now) - 1 }))).toBe("expired");
  });

  it("rejects nbf or iat further ahead than five minutes, and allows a clock that far behind", () => {
    expect(codec.decode(forged({}, { nbf: seconds(now) + 300, iat: seconds(now) + 300 }), sid).record).toEqual(record);
    expect(reasonFor(codec, forged({}, { nbf: seconds(now) + 301 }))).toBe("not_yet_valid");
    expect(reasonFor(codec, forged({}, { iat: seconds(now) + 301 }))).toBe("not_yet_valid");
  });

  it("rejects signed claims of the wrong shape as bad_payload, and another claims version as unsupported_version", () => {
    const tessera = { v: 1, cookie: "sid", created: t0, seen: now };
    for (const changes of [
      { data: ["not", "an", "object"] },
      { data: undefined },
      { data: JSON.parse('{"__proto__": {"admin": true}}') },
      { flash: "Saved" },
      { exp: String(seconds(expiresAt)) },
      { iat: undefined },
      { nbf: 1.5 },
      { sub: 42 },
      { jti: 42 },
      { jti: "not a session id" },
      { tessera: undefined },
      { tessera: [] },
      { tessera: { ...tessera, created: "yesterday" } },
      { tessera: { ...tessera, seen: undefined } },
      { tessera: { ...tessera, ua: 7 } },
      { tessera: { ...tessera, persistent: "yes" } },
      { tessera: { ...tessera, dataVersion: 0 } },
      { tessera: { ...tessera, dataVersion: "2" } },
    ]) {
      expect(reasonFor(codec, forged({}, changes)), JSON.stringify(changes)).toBe("bad_payload");
    }
    expect(reasonFor(codec, forge(alg, variant.signing, headerOf(variant), "not json"))).toBe("bad_payload");
    expect(reasonFor(codec, forge(alg, variant.signing, headerOf(variant), "[1]"))).toBe("bad_payload");
    expect(reasonFor(codec, forged({}, { tessera: { ...tessera, v: 2 } }))).toBe("unsupported_version");
  });

  describe("tamper", () => {
    it("rejects a payload changed and re-encoded under the original signature", () => {
      const parts = token.split(".");
      if (alg === "dir") {
        const ciphertext = Buffer.from(parts[3]!, "base64url");
        // GCM is a stream cipher: flipping a ciphertext bit flips the same plaintext bit, which the tag catches.
        ciphertext[10]! ^= 0x01;
        parts[3] = b64(ciphertext);
      } else {
        parts[1] = json({ ...claims(), sub: "admin" });
      }
      expect(reasonFor(codec, parts.join("."))).toBe("bad_signature");
    });

    it("rejects a header re-encoded with the same meaning (it is signed or authenticated as sent)", () => {
      const parts = token.split(".");
      parts[0] = b64(JSON.stringify(headerOf(variant), null, 1));
      expect(reasonFor(codec, parts.join("."))).toBe("bad_signature");
    });

    it("rejects every signature (or IV and tag) byte flipped", () => {
      const parts = token.split(".");
      for (const index of alg === "dir" ? [2, 4] : [2]) {
        const bytes = Buffer.from(parts[index]!, "base64url");
        for (let i = 0; i < bytes.length; i++) {
          const changed = Buffer.from(bytes);
          changed[i]! ^= 0x80;
          const copy = [...parts];
          copy[index] = b64(changed);
          expect(reasonFor(codec, copy.join(".")), `segment ${index} byte ${i}`).toBe("bad_signature");
        }
      }
    });
  });

  describe("truncation", () => {
    it("rejects a token without its last segment, or with one segment too many", () => {
      expect(reasonFor(codec, token.slice(0, token.lastIndexOf(".")))).toBe("malformed");
      expect(reasonFor(codec, token.slice(0, token.lastIndexOf(".") + 1))).toBe("malformed");
      expect(reasonFor(codec, `${token}.`)).toBe("malformed");
      expect(reasonFor(codec, `${token}.${token.split(".")[1]}`)).toBe("malformed");
    });

    it("rejects a signature or tag cut short by whole bytes", () => {
      const parts = token.split(".");
      const last = Buffer.from(parts.at(-1)!, "base64url");
      for (const keep of [0, 1, last.length - 1]) {
        expect(reasonFor(codec, [...parts.slice(0, -1), b64(last.subarray(0, keep))].join(".")), `keep ${keep}`).toBe("malformed");
      }
    });
  });

  describe("oversized input", () => {
    it("rejects a value longer than a cookie can be before decoding it", () => {
      expect(reasonFor(codec, "A".repeat(4097))).toBe("malformed");
      expect(reasonFor(codec, ".".repeat(100_000))).toBe("malformed");
      expect(reasonFor(codec, `${token}${"A".repeat(4097 - token.length)}`)).toBe("malformed");
    });

    it("rejects a correctly signed token over 4096 characters", () => {
      const big = forged({}, { data: { blob: "x".repeat(4000) } });
      expect(big.length).toBeGreaterThan(4096);
      expect(reasonFor(codec, big)).toBe("malformed");
    });

    it("rejects a header over 512 bytes", () => {
      expect(reasonFor(codec, forged({ kid: "k".repeat(600) }))).toBe("malformed");
    });
  });

  it("needs the session's expiry to encode, and says so with a typed error", () => {
    const error = errorOf(() => codec.encode(record, { cookieName: "sid", now }));
    expect(error.code).toBe("ERR_INVALID_OPTION");
    expect(error.message).toContain("expiresAt");
  });

  it("writes no iss or aud when none is configured, and refuses a token that carries them", () => {
    const plain = jwtCodec({ alg, key: variant.key });
    const value = plain.encode(record, sid);
    const payload = alg === "dir" ? undefined : jose.decodeJwt(value);
    if (payload) expect(payload).not.toHaveProperty("iss");
    if (payload) expect(payload).not.toHaveProperty("aud");
    expect(plain.decode(value, sid).record).toEqual(record);
    expect(reasonFor(plain, token)).toBe("bad_signature");
  });

  it("leaves out sub and flash when the session has no user and no messages", () => {
    const anonymous: SessionRecord = { data: { theme: "dark" }, flash: {}, meta: { createdAt: t0, lastSeenAt: now } };
    const value = codec.encode(anonymous, sid);
    expect(codec.decode(value, sid).record).toEqual(anonymous);
    if (alg !== "dir") {
      expect(jose.decodeJwt(value)).not.toHaveProperty("sub");
      expect(jose.decodeJwt(value)).not.toHaveProperty("flash");
    }
  });
});

describe.each(variants.filter(({ alg }) => alg === "EdDSA" || alg === "ES256"))("jwt codec ($alg) with public keys", (variant) => {
  const { alg } = variant;
  const codec = jwtCodec({ alg, key: variant.key, issuer, audience });
  const token = codec.encode(record, sid);

  it("rejects HS256 signed with the public key as the HMAC secret (RS/HS confusion), in every encoding of it", () => {
    const publicKey = variant.verifying;
    const secrets = [
      publicKey.export({ format: "pem", type: "spki" }),
      publicKey.export({ format: "der", type: "spki" }),
      Buffer.from(JSON.stringify(publicKey.export({ format: "jwk" }))),
    ];
    for (const secret of secrets) {
      const value = forge("HS256", createSecretKey(Buffer.from(secret)), headerOf(variant, { alg: "HS256" }), claims());
      expect(reasonFor(codec, value)).toBe("unsupported_version");
    }
  });

  it("with the public key alone, decodes tokens and refuses to encode with ERR_NOT_SUPPORTED", () => {
    const verifier = jwtCodec({ alg, key: variant.verifying, issuer, audience });
    expect(verifier.decode(token, sid)).toEqual({ record, keyIndex: 0, expiresAt: seconds(expiresAt) * 1000 });
    const error = errorOf(() => verifier.encode(record, sid));
    expect(error.code).toBe("ERR_NOT_SUPPORTED");
    expect(error.message).not.toContain("BEGIN");
  });

  it("rotates: a new private key first and the old public key second still read old tokens, as keyIndex 1", () => {
    const next = pair(alg === "EdDSA" ? "ed25519" : "ec");
    const rotated = jwtCodec({ alg, key: [next.privateKey, variant.verifying], issuer, audience });
    expect(rotated.decode(token, sid)).toEqual({ record, keyIndex: 1, expiresAt: seconds(expiresAt) * 1000 });
    const fresh = rotated.encode(record, sid);
    expect(jose.decodeProtectedHeader(fresh).kid).toBe(importKeys(alg, next.publicKey).current.kid);
    expect(reasonFor(codec, fresh)).toBe("unknown_key");
  });
});

describe("jwt codec known-answer vectors", () => {
  // RFC 8037 A.1's Ed25519 key and RFC 7515 A.1's HMAC key: both algorithms are deterministic.
  const edKey = createPrivateKey({
    key: { kty: "OKP", crv: "Ed25519", d: "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A", x: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo" },
    format: "jwk",
  });
  const hmacKey = { kty: "oct", k: "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow" };
  const fixed: SessionRecord = {
    data: { username: "alice", cart: ["book", "pen"] },
    flash: { notice: "Saved" },
    meta: { createdAt: 1767225600000, lastSeenAt: 1767227400000, userId: "u-42" },
  };
  const context = { cookieName: "__Host-sid", now: 1767227400000, expiresAt: 1767229200000 };
  const payload =
    "eyJpc3MiOiJodHRwczovL2FwcC5leGFtcGxlIiwic3ViIjoidS00MiIsImF1ZCI6Imh0dHBzOi8vYXBpLmV4YW1wbGUiLCJpYXQiOjE3NjcyMjc0MDAsIm5iZiI6MTc2NzIyNzQwMCwiZXhwIjoxNzY3MjI5MjAwLCJkYXRhIjp7InVzZXJuYW1lIjoiYWxpY2UiLCJjYXJ0IjpbImJvb2siLCJwZW4iXX0sImZsYXNoIjp7Im5vdGljZSI6IlNhdmVkIn0sInRlc3NlcmEiOnsidiI6MSwiY29va2llIjoiX19Ib3N0LXNpZCIsImNyZWF0ZWQiOjE3NjcyMjU2MDAwMDAsInNlZW4iOjE3NjcyMjc0MDAwMDB9fQ";

  it.each([
    [
      "EdDSA",
      edKey,
      "eyJhbGciOiJFZERTQSIsInR5cCI6InNlc3Npb24rand0Iiwia2lkIjoia1ByS19xbXhWV2FZVkE5d3dCRjZJdW8zdlZ6ejdUeEhDVHdYQnlnclM0ayJ9." +
        payload +
        ".Q52Rcd1lu0nNMFjIEyK0M3rd4dycsiCQaovgK9NrsfQTpWV1ffjwifRGVwvGSy7GqWkhdefKZrg10A9UnlHrDg",
    ],
    [
      "HS256",
      hmacKey,
      "eyJhbGciOiJIUzI1NiIsInR5cCI6InNlc3Npb24rand0Iiwia2lkIjoieV94M2dDSm5MNm9LR0JCSVhTY2FiZHV3eFRWeTJXZDJielJWRVViZFV6YyJ9." +
        payload +
        ".QNq4Zd5xU_lfz_S7gGFdE6PbpkQ-2g5CFRr5LGiqJuM",
    ],
  ] as const)("writes its known %s token for a fixed record, key and time, which jose verifies", async (alg, key, vector) => {
    const codec = jwtCodec({ alg, key, issuer, audience });
    const value = codec.encode(fixed, context);
    expect(value.split(".")[1]).toBe(payload);
    expect(value).toBe(vector);
    expect(codec.decode(vector, context).record).toEqual(fixed);
    const verifying = alg === "EdDSA" ? createPublicKey(edKey) : Buffer.from(hmacKey.k, "base64url");
    await jose.jwtVerify(vector, verifying, { issuer, audience, algorithms: [alg], currentDate: new Date(context.now) });
  });
});
