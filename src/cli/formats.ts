// The cookie formats `tessera inspect` recognises: one row each, tried in order, the first whose shape matches opens.

import {
  CodecError,
  createSealedCodec,
  createSignedCodec,
  decodeRecord,
  hashToken,
  openTaggedToken,
  type Codec,
  type SessionRecord,
  type Store,
} from "../index.js";
import { flaskCodec } from "../codecs/flask/index.js";
import { jwtCodec, type JwtAlgorithm, type JwtKey } from "../codecs/jwt/index.js";
import { expressSecrets, verifyExpressSessionId } from "../migrate/index.js";
import type { Keys } from "./secrets.js";

/** Why a cookie value did not open, as `inspect --json` reports it (`reason`). Stable: scripts switch on these. */
export type FailureReason =
  /** No format in the table has this shape. */
  | "unknown_format"
  /** The shape of a format, but not a well-formed value of it. */
  | "malformed"
  /** A format version this tessera does not read. */
  | "unsupported_version"
  /** Made with a secret that is not among the keys given (the value names its key, and none has that id). */
  | "unknown_key"
  /** Its signature, seal or tag does not verify with any key: changed, or made with another secret. */
  | "tampered"
  /** It verifies, but made for another cookie name (the name is bound into the value). */
  | "wrong_cookie_name"
  /** It verifies, but what it holds is not a session record. */
  | "invalid_payload"
  /** A store token that verifies, with no session in the store (ended, revoked or collected). */
  | "unknown_session"
  /** A store token that was renewed (`renewAfter`): its record only forwards to the session's new token, for a short grace. */
  | "renewed"
  /** A store token that verifies; reading its session needs `--store URL`. */
  | "store_required"
  /** It opens, and its idle or absolute timeout has passed. */
  | "expired"
  /** It opens, and says it was created in the future (a clock gone wrong, or a forged record). */
  | "not_yet_valid";

/** What opening a value gave: the record and which key opened it, or why it did not open. */
export type Opened =
  | {
      ok: true;
      /** Index of the key that verified it (0: the current secret). */
      keyIndex: number;
      /** The session, or `undefined` for a value that verifies but whose session lives where inspect does not read. */
      record: SessionRecord | undefined;
      /** For values that point into a store: the session's at-rest id (SHA-256 of the value, never the value). */
      sessionId?: string;
      /** Said instead of the session's details when there is no record. */
      note?: string;
      /** Where the key came from, when it is not one of the secrets (`keyIndex` then counts those keys). */
      keySource?: string;
    }
  | { ok: false; reason: FailureReason; keyIndex?: number };

/** What a format's `open` may use. */
export interface FormatContext {
  keys: Keys;
  /** A public key (PEM) for JWTs signed with EdDSA or ES256, from `--public-key-file`. */
  publicKey?: string | undefined;
  /** The `iss` and `aud` a JWT must carry, as the application's `jwtCodec` was given them. */
  issuer?: string | undefined;
  audience?: string | undefined;
  /** The store `--store` names, opened on first call; `undefined` when no `--store` was given. */
  store(): Promise<Store | undefined>;
}

/**
 * One cookie format. To add one (flask, jwt, express-session), write a row and put it in `cookieFormats` before any
 * row whose shape would also match its values; `codecFormat` makes the row for anything that is a `Codec`.
 */
export interface CookieFormat {
  /** Short, as printed and in `--json` (`format`): `sealed`, `signed`, `store token`. */
  readonly name: string;
  /** One line for the operator: what the value is and what protects it. */
  readonly description: string;
  /** Whether the cookie's name is bound into the value, so that a value that fails may be tried under other names. */
  readonly bindsCookieName: boolean;
  /** Whether `value` has this format's shape. Checks the text only: no key, no store, no time. */
  matches(value: string): boolean;
  /** Opens a value sent under `cookieName`. Resolves; never throws for a bad value (a store failure may throw). */
  open(value: string, cookieName: string, context: FormatContext): Promise<Opened>;
}

/** How a codec's failure reads here. */
const codecReasons: Record<CodecError["reason"], FailureReason> = {
  malformed: "malformed",
  unsupported_version: "unsupported_version",
  unknown_key: "unknown_key",
  bad_signature: "tampered",
  bad_payload: "invalid_payload",
  expired: "expired",
  not_yet_valid: "not_yet_valid",
};

/**
 * A table row for a cookie-mode codec: its shape, and the codec (made once from the keys) to open values with.
 *
 * @example
 * codecFormat({ name: "flask", description: "...", bindsCookieName: false, shape: flaskRegExp, codec: (keys) => createFlaskCodec(keys.secrets) });
 */
export function codecFormat(row: {
  name: string;
  description: string;
  bindsCookieName: boolean;
  shape: RegExp;
  codec: (keys: Keys) => Codec;
}): CookieFormat {
  const codecs = new WeakMap<Keys, Codec>();
  return {
    name: row.name,
    description: row.description,
    bindsCookieName: row.bindsCookieName,
    matches: (value) => row.shape.test(value),
    async open(value, cookieName, { keys }) {
      let codec = codecs.get(keys);
      if (codec === undefined) codecs.set(keys, (codec = row.codec(keys)));
      return openWith(codec, value, cookieName);
    },
  };
}

/** Decodes `value` with `codec`, a `CodecError` becoming its reason. */
async function openWith(codec: Codec, value: string, cookieName: string): Promise<Opened> {
  try {
    const { record, keyIndex } = await codec.decode(value, { cookieName });
    return { ok: true, record, keyIndex };
  } catch (error) {
    if (error instanceof CodecError) return { ok: false, reason: codecReasons[error.reason] };
    throw error;
  }
}

/**
 * A store-mode cookie value: a 256-bit token and its 128-bit tag (HMAC of the token and the cookie's name), each
 * unpadded base64url: `<43 characters>.<22 characters>`.
 */
const storeTokenRegExp = /^[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{22}$/;

/** A signed value: base64url JSON (`{"` is `eyJ`), a dot, and `version(1) || keyId(4) || HMAC-SHA256(32)` in base64url. */
const signedRegExp = /^eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]{50}$/;

/** A sealed value: `version(1) || keyId(4) || iv(12) || ciphertext || tag(16)` in base64url, one piece, no dot. */
const sealedRegExp = /^[A-Za-z0-9_-]{44,}$/;

/** tessera's store mode: the cookie holds a tagged token; the session is in the store under the token's SHA-256. */
export const storeTokenFormat: CookieFormat = {
  name: "store token",
  description: "tessera store mode: a random token tagged with HMAC-SHA256; the session lives in the store",
  bindsCookieName: true,
  matches: (value) => storeTokenRegExp.test(value),
  async open(value, cookieName, { keys, store }) {
    // As the application does: the tag first, so a value these keys did not make costs no store read.
    const keyIndex = await openTaggedToken(keys.ring, cookieName, value);
    if (keyIndex === undefined) return { ok: false, reason: "tampered" };
    const opened = await store();
    if (opened === undefined) return { ok: false, reason: "store_required", keyIndex };
    const sessionId = await hashToken(value);
    const stored = await opened.get(sessionId);
    if (stored === undefined) return { ok: false, reason: "unknown_session", keyIndex };
    try {
      const record = decodeRecord(stored.text);
      if (record.forward !== undefined) return { ok: false, reason: "renewed", keyIndex };
      return { ok: true, keyIndex, record, sessionId };
    } catch (error) {
      if (error instanceof CodecError) return { ok: false, reason: "invalid_payload", keyIndex };
      throw error;
    }
  },
};

/**
 * Flask's session cookie (itsdangerous `URLSafeTimedSerializer`): `[.]payload.timestamp.signature`, the signature
 * HMAC-SHA1 (20 bytes, 27 base64url characters); a leading dot marks a zlib-compressed payload.
 */
const flaskRegExp = /^\.?[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{1,12}\.[A-Za-z0-9_-]{27}$/;

/** Flask's session cookie, opened with the keys as Flask's `SECRET_KEY` and `SECRET_KEY_FALLBACKS`. */
export const flaskFormat: CookieFormat = {
  name: "flask",
  description: "Flask's session cookie (tessera/codecs/flask): readable JSON, itsdangerous HMAC-SHA1 signature",
  bindsCookieName: false,
  matches: (value) => flaskRegExp.test(value),
  async open(value, cookieName, { keys }) {
    // Flask's keys are often shorter than tessera's 32 bytes: Flask takes them, and so does the codec (warning once).
    const codec = flaskCodec({ secretKey: keys.secrets[0]!, fallbacks: keys.secrets.slice(1) });
    return openWith(codec, value, cookieName);
  },
};

/** A compact JWS (`header.claims.signature`) or a `dir` JWE (`header..iv.ciphertext.tag`), header first as `{"`. */
const jwsRegExp = /^eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const jweRegExp = /^eyJ[A-Za-z0-9_-]*\.\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/**
 * tessera's JWT sessions (`tessera/codecs/jwt`). The algorithm comes from the token's header but the key from the
 * operator, by kind: HS256 is checked with the secrets, `dir` with secrets that are 32 bytes in base64url, EdDSA
 * and ES256 with `--public-key-file` only, so a token can never choose to be verified with a key of another kind.
 */
export const jwtFormat: CookieFormat = {
  name: "jwt",
  description: "tessera JWT session (tessera/codecs/jwt): JWS or dir JWE, checked under the algorithm its key allows",
  // The cookie's name is a claim (`tessera.cookie`), checked like the signature.
  bindsCookieName: true,
  matches: (value) => jwsRegExp.test(value) || jweRegExp.test(value),
  async open(value, cookieName, { keys, publicKey, issuer, audience }) {
    const alg = headerAlgorithm(value);
    if (alg === undefined) return { ok: false, reason: "malformed" };
    // Each key with the index of the secret it came from; a public key is no secret (-1: named by its file).
    let candidates: { key: JwtKey; index: number }[];
    if (alg === "HS256") candidates = keys.secrets.map((key, index) => ({ key, index }));
    else if (alg === "dir") candidates = keys.secrets.flatMap((secret, index) => base64urlKey(secret).map((key) => ({ key, index })));
    else candidates = publicKey === undefined ? [] : [{ key: publicKey, index: -1 }];
    if (candidates.length === 0) return { ok: false, reason: "unknown_key" };
    let codec: Codec;
    try {
      codec = jwtCodec({ alg, key: candidates.map((candidate) => candidate.key), issuer, audience });
    } catch {
      // A key the codec refuses (a short HS256 secret, a PEM of another curve) opens nothing.
      return { ok: false, reason: "unknown_key" };
    }
    const opened = await openWith(codec, value, cookieName);
    if (!opened.ok) return opened;
    const index = candidates[opened.keyIndex]!.index;
    return index === -1 ? { ...opened, keyIndex: 0, keySource: "--public-key-file" } : { ...opened, keyIndex: index };
  },
};

const jwtAlgorithms: readonly JwtAlgorithm[] = ["HS256", "EdDSA", "ES256", "dir"];

/** The `alg` a token's header names, when it is one tessera writes. */
function headerAlgorithm(value: string): JwtAlgorithm | undefined {
  const header = value.slice(0, value.indexOf("."));
  if (header.length > 700) return undefined;
  try {
    const alg = (JSON.parse(Buffer.from(header, "base64url").toString("utf8")) as { alg?: unknown }).alg;
    return jwtAlgorithms.find((name) => name === alg);
  } catch {
    return undefined;
  }
}

/** A secret that is exactly 32 bytes in base64url (or base64): a `dir` key, as a list of one; else none. */
function base64urlKey(secret: string): Uint8Array[] {
  if (!/^[A-Za-z0-9_+/-]{43}=?$/.test(secret)) return [];
  const bytes = Buffer.from(secret.replace(/\+/g, "-").replace(/\//g, "_").replace(/=$/, ""), "base64url");
  return bytes.length === 32 ? [new Uint8Array(bytes)] : [];
}

/** express-session's cookie: `s:<id>.<HMAC-SHA256 in base64 without padding>`, URL-encoded as `s%3A...`. */
const expressRegExp = /^s(?::|%3[Aa])[^.]+\.[A-Za-z0-9+/]{43}$/;

/**
 * express-session's signed `connect.sid`, verified as express-session verifies it, with the keys as its `secret`.
 * Its session lives in the express-session store, which inspect does not read; the id is a credential and is
 * never printed.
 */
export const expressSessionFormat: CookieFormat = {
  name: "express-session",
  description: "express-session's signed cookie (tessera/migrate moves it): a session id and its HMAC-SHA256",
  bindsCookieName: false,
  matches: (value) => expressRegExp.test(value),
  async open(value, _cookieName, { keys }) {
    const decoded = value.startsWith("s:") ? value : `s:${value.slice(4)}`;
    for (const [keyIndex, secret] of keys.secrets.entries()) {
      const verdict = verifyExpressSessionId(decoded, expressSecrets(secret));
      if ("id" in verdict) {
        return {
          ok: true,
          keyIndex,
          record: undefined,
          note: "the signature verifies; the session is in the express-session store, which inspect does not read (tessera/migrate moves it at the user's next request)",
        };
      }
      if (verdict.failure === "malformed") return { ok: false, reason: "malformed" };
    }
    return { ok: false, reason: "tampered" };
  },
};

/**
 * Every format `inspect` knows, in the order they are tried. Stricter shapes come first: a store token and a signed
 * value have a dot each and differ in length; a sealed value has none.
 */
export const cookieFormats: readonly CookieFormat[] = [
  storeTokenFormat,
  flaskFormat,
  jwtFormat,
  expressSessionFormat,
  codecFormat({
    name: "signed",
    description: "tessera cookie mode, signed: readable base64url JSON, HMAC-SHA256",
    bindsCookieName: true,
    shape: signedRegExp,
    codec: (keys) => createSignedCodec(keys.ring),
  }),
  codecFormat({
    name: "sealed",
    description: "tessera cookie mode, sealed: AES-256-GCM",
    bindsCookieName: true,
    shape: sealedRegExp,
    codec: (keys) => createSealedCodec(keys.ring),
  }),
];

/**
 * The first format whose shape `value` has, or `undefined`.
 *
 * @example
 * detectFormat(value)?.name; // "sealed"
 */
export function detectFormat(value: string, formats: readonly CookieFormat[] = cookieFormats): CookieFormat | undefined {
  return formats.find((format) => format.matches(value));
}
