// The record's JSON form, shared by cookie codecs and stores: one format, one version, checked on the way in.

import { toJsonObject } from "./data.js";
import { CodecError } from "./errors.js";
import type { RenewalForward, SessionMeta, SessionRecord } from "./record.js";

/** The record format version, written in every cookie and row and checked on the way back. */
export const recordFormatVersion = 1;

/** A session id (`meta.sessionId`): 16 random bytes in unpadded base64url, exactly 22 characters. */
const sessionIdRegExp = /^[A-Za-z0-9_-]{22}$/;

/**
 * Short keys keep cookies small: v version, c created, s last seen, u user, a user agent, p persistent (1 or 0),
 * i session id (cookie mode with revocation), n the
 * app's `dataVersion` (absent: 1), d data, f flash, r renewal (store mode): when the token was issued
 * (epoch ms), or on a renewed token's forwarder `{ t: successor id, x: forwards until (epoch ms), k: successor's
 * cookie value, sealed }`.
 */
interface Wire {
  v: number;
  c: number;
  s: number;
  u?: string;
  a?: string;
  p?: 0 | 1;
  i?: string;
  n?: number;
  d: unknown;
  f?: unknown;
  r?: number | WireForward;
}

interface WireForward {
  t: string;
  x: number;
  k: string;
}

/** A successor id (a SHA-256 in unpadded base64url) and a sealed value, as a forwarder holds them. */
const forwardIdRegExp = /^[A-Za-z0-9_-]{43}$/;
const sealedRegExp = /^[A-Za-z0-9_-]{1,512}$/;

/**
 * A record as JSON text.
 *
 * @example
 * encodeRecord(record); // '{"v":1,"c":1700000000000,"s":1700000000000,"d":{"username":"alice"}}'
 */
export function encodeRecord(record: SessionRecord): string {
  const wire: Wire = { v: recordFormatVersion, c: record.meta.createdAt, s: record.meta.lastSeenAt, d: record.data };
  if (record.meta.userId !== undefined) wire.u = record.meta.userId;
  if (record.meta.userAgent !== undefined) wire.a = record.meta.userAgent;
  if (record.meta.persistent !== undefined) wire.p = record.meta.persistent ? 1 : 0;
  if (record.meta.sessionId !== undefined) wire.i = record.meta.sessionId;
  if (record.forward !== undefined) wire.r = { t: record.forward.to, x: record.forward.until, k: record.forward.sealed };
  else if (record.meta.issuedAt !== undefined) wire.r = record.meta.issuedAt;
  // Version 1, every record before `dataVersion` existed, is the absent key: those bytes stay out of every cookie.
  if (record.meta.dataVersion !== undefined && record.meta.dataVersion !== 1) wire.n = record.meta.dataVersion;
  for (const _key in record.flash) {
    wire.f = record.flash;
    break;
  }
  return JSON.stringify(wire);
}

/**
 * A record back from JSON text, checked field by field; throws `CodecError` for anything else.
 *
 * @example
 * const record = decodeRecord(row.record);
 */
export function decodeRecord(text: string): SessionRecord {
  let wire: unknown;
  try {
    wire = JSON.parse(text);
  } catch {
    throw new CodecError("bad_payload");
  }
  if (wire === null || typeof wire !== "object") throw new CodecError("bad_payload");
  const { v, c, s, u, a, p, i, n, d, f, r } = wire as Partial<Wire>;
  if (v !== recordFormatVersion) throw new CodecError("unsupported_version");
  if (!Number.isSafeInteger(c) || !Number.isSafeInteger(s)) throw new CodecError("bad_payload");
  if ((u !== undefined && typeof u !== "string") || (a !== undefined && typeof a !== "string")) {
    throw new CodecError("bad_payload");
  }
  if (p !== undefined && p !== 0 && p !== 1) throw new CodecError("bad_payload");
  if (i !== undefined && (typeof i !== "string" || !sessionIdRegExp.test(i))) throw new CodecError("bad_payload");
  if (n !== undefined && (!Number.isSafeInteger(n) || n < 1)) throw new CodecError("bad_payload");
  const data = toJsonObject(d);
  const flash = f === undefined ? {} : toJsonObject(f);
  if (data === undefined || flash === undefined) throw new CodecError("bad_payload");
  const meta: SessionMeta = { createdAt: c as number, lastSeenAt: s as number };
  if (u !== undefined) meta.userId = u;
  if (a !== undefined) meta.userAgent = a;
  if (p !== undefined) meta.persistent = p === 1;
  if (n !== undefined && n !== 1) meta.dataVersion = n;
  if (i !== undefined) meta.sessionId = i;
  if (typeof r === "number") {
    if (!Number.isSafeInteger(r)) throw new CodecError("bad_payload");
    meta.issuedAt = r;
  } else if (r !== undefined) {
    return { data, flash, meta, forward: decodeForward(r) };
  }
  return { data, flash, meta };
}

function decodeForward(r: unknown): RenewalForward {
  if (r === null || typeof r !== "object") throw new CodecError("bad_payload");
  const { t, x, k } = r as Partial<WireForward>;
  if (typeof t !== "string" || !forwardIdRegExp.test(t) || !Number.isSafeInteger(x) || typeof k !== "string" || !sealedRegExp.test(k)) {
    throw new CodecError("bad_payload");
  }
  return { to: t, until: x as number, sealed: k };
}
