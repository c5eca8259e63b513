// A session record as JWT claims (RFC 7519 §4) and back: registered claims for what others read, private ones for the rest.

import type { CodecContext } from "../../core/codec.js";
import { toJsonObject, type JsonValue } from "../../core/data.js";
import { CodecError, TesseraError } from "../../core/errors.js";
import type { SessionMeta, SessionRecord } from "../../core/record.js";
import { defaults } from "./options.js";

/**
 * The claims of a tessera session token. Registered: `iss` and `aud` (when configured), `sub` (the signed-in
 * user), `iat` and `nbf` (when it was issued), `exp` (when the session ends unless renewed: the idle deadline,
 * never past the absolute one), `jti` (the signed-in session's id, with `revocation`). Private: `data` (the
 * session's data), `flash` (messages not yet read; left out when none), and `tessera`, what only tessera reads back.
 */
export interface SessionClaims {
  iss?: string;
  sub?: string;
  aud?: string;
  iat: number;
  nbf: number;
  exp: number;
  jti?: string;
  data: Record<string, JsonValue>;
  flash?: Record<string, JsonValue>;
  tessera: TesseraClaim;
}

/** The `tessera` claim: the session's metadata, to the millisecond, and the cookie the token was issued for. */
export interface TesseraClaim {
  /** The claim's format. */
  v: number;
  /** The cookie name the token was issued under (`__Host-sid`): read under another, it is refused. */
  cookie: string;
  /** `meta.createdAt`, epoch ms: the absolute timeout counts from here. */
  created: number;
  /** `meta.lastSeenAt`, epoch ms: the idle timeout counts from here. */
  seen: number;
  /** `meta.userAgent`, when the session is signed in. */
  ua?: string;
  /** `meta.persistent`, when the session chose its cookie's lifetime ("remember me"). */
  persistent?: boolean;
  /** `meta.dataVersion`, the app's `dataVersion` the data was written under, when above 1. */
  dataVersion?: number;
}

/** What every token read must carry, as configured. */
export interface ClaimRules {
  issuer: string | undefined;
  audience: string | undefined;
}

/**
 * The claims of `record` as JSON text, issued at `context.now` and expiring at `context.expiresAt` (both epoch ms,
 * written in whole seconds, `exp` rounded down so the token never outlives the session).
 *
 * @example
 * encodeClaims(record, { cookieName: "sid", now, expiresAt }, { issuer: "https://app.example", audience: undefined });
 */
export function encodeClaims(record: SessionRecord, context: CodecContext, rules: ClaimRules): string {
  const { expiresAt } = context;
  if (expiresAt === undefined || !Number.isSafeInteger(expiresAt)) {
    throw new TesseraError("ERR_INVALID_OPTION", "a JWT needs the session's expiry: `expiresAt` in the codec context (createSessions passes it)");
  }
  const issuedAt = Math.floor((context.now ?? Date.now()) / 1000);
  const { meta } = record;
  const tessera: TesseraClaim = { v: defaults.claimsVersion, cookie: context.cookieName, created: meta.createdAt, seen: meta.lastSeenAt };
  if (meta.userAgent !== undefined) tessera.ua = meta.userAgent;
  if (meta.persistent !== undefined) tessera.persistent = meta.persistent;
  if (meta.dataVersion !== undefined && meta.dataVersion !== 1) tessera.dataVersion = meta.dataVersion;
  const claims: Partial<SessionClaims> = {};
  if (rules.issuer !== undefined) claims.iss = rules.issuer;
  if (meta.userId !== undefined) claims.sub = meta.userId;
  if (rules.audience !== undefined) claims.aud = rules.audience;
  claims.iat = issuedAt;
  claims.nbf = issuedAt;
  claims.exp = Math.floor(expiresAt / 1000);
  if (meta.sessionId !== undefined) claims.jti = meta.sessionId;
  claims.data = record.data;
  for (const _key in record.flash) {
    claims.flash = record.flash;
    break;
  }
  claims.tessera = tessera;
  return JSON.stringify(claims);
}

/**
 * The record carried by verified claims, once they are checked against `rules`, `context.cookieName` and the time
 * (`context.now`, else `Date.now()`). Throws a `CodecError`: `unsupported_version` for another `tessera.v`,
 * `bad_payload` for claims of the wrong shape, `bad_signature` for a token issued for another issuer, audience
 * or cookie name (the reason sealed and signed values give when moved: the signature holds, but does not vouch
 * for this place), `expired` at or after `exp` (RFC 7519 §4.1.4), `not_yet_valid` for an `nbf` or `iat` further
 * ahead than the clock tolerance.
 *
 * @example
 * const { record, expiresAt } = decodeClaims(plaintext, { cookieName: "sid", now: Date.now() }, rules);
 */
export function decodeClaims(bytes: Uint8Array, context: CodecContext, rules: ClaimRules): { record: SessionRecord; expiresAt: number } {
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8"));
  } catch {
    throw new CodecError("bad_payload");
  }
  if (!isObject(claims) || !isObject(claims.tessera)) throw new CodecError("bad_payload");
  const { iss, sub, aud, iat, nbf, exp, jti, data, flash } = claims;
  const { v, cookie, created, seen, ua, persistent, dataVersion } = claims.tessera;
  if (v !== defaults.claimsVersion) throw new CodecError("unsupported_version");
  if (
    !Number.isSafeInteger(iat) ||
    !Number.isSafeInteger(nbf) ||
    !Number.isSafeInteger(exp) ||
    !Number.isSafeInteger(created) ||
    !Number.isSafeInteger(seen) ||
    typeof cookie !== "string" ||
    (sub !== undefined && typeof sub !== "string") ||
    (jti !== undefined && (typeof jti !== "string" || !sessionIdRegExp.test(jti))) ||
    (ua !== undefined && typeof ua !== "string") ||
    (persistent !== undefined && typeof persistent !== "boolean") ||
    (dataVersion !== undefined && (!Number.isSafeInteger(dataVersion) || (dataVersion as number) < 1))
  ) {
    throw new CodecError("bad_payload");
  }
  if (iss !== rules.issuer || aud !== rules.audience || cookie !== context.cookieName) throw new CodecError("bad_signature");
  const nowSeconds = (context.now ?? Date.now()) / 1000;
  if (nowSeconds >= (exp as number)) throw new CodecError("expired");
  const latest = nowSeconds + defaults.clockToleranceSeconds;
  if ((nbf as number) > latest || (iat as number) > latest) throw new CodecError("not_yet_valid");
  const dataObject = toJsonObject(data);
  const flashObject = flash === undefined ? {} : toJsonObject(flash);
  if (dataObject === undefined || flashObject === undefined) throw new CodecError("bad_payload");
  const meta: SessionMeta = { createdAt: created as number, lastSeenAt: seen as number };
  if (sub !== undefined) meta.userId = sub as string;
  if (ua !== undefined) meta.userAgent = ua as string;
  if (persistent !== undefined) meta.persistent = persistent as boolean;
  if (jti !== undefined) meta.sessionId = jti as string;
  if (dataVersion !== undefined && dataVersion !== 1) meta.dataVersion = dataVersion as number;
  // Refused as expired from exp on (RFC 7519 §4.1.4), whoever remembers the decoded token.
  return { record: { data: dataObject, flash: flashObject, meta }, expiresAt: (exp as number) * 1000 };
}

/** A session id as tessera gives one (`meta.sessionId`): 22 base64url characters. */
const sessionIdRegExp = /^[A-Za-z0-9_-]{22}$/;

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
