// Store mode's token renewal (`renewAfter`, `renewalGrace`): when a token is due, the forwarder a replaced token
// leaves behind, and how requests still carrying it reach the session.

import { allocBytes, fromBase64url, readUint32, toBase64url, utf8Bytes, utf8Text } from "../core/bytes.js";
import { checkTimeouts } from "../core/policy.js";
import type { RenewalForward, SessionMeta, SessionRecord } from "../core/record.js";
import type { Awaitable, StoreCallOptions, StoreWriteOptions } from "../core/store.js";
import { isPromise, ivBytes, tagBytes } from "../crypto/backend.js";
import type { KeyRing } from "../crypto/keyring.js";
import { openTaggedToken } from "../crypto/token-tag.js";
import { fillRandom, hashToken } from "../crypto/tokens.js";
import type { RejectionReason } from "./events.js";
import { limits, type RenewalPolicy, type ResolvedOptions } from "./options.js";
import { withCallOptions, type Records, type VersionedRecord } from "./records.js";

/** The live session a forwarder leads to. */
export interface Successor {
  /** Its cookie value (the tagged token). */
  token: string;
  /** Its at-rest id. */
  id: string;
  record: SessionRecord;
  version: number;
  /** The index of the secret its tag verified under (0 for the first). */
  keyIndex: number;
}

/** A record read again after a lost compare-and-set: the live session itself, or the successor it was renewed to. */
export type Current = { found: VersionedRecord; successor?: undefined } | { found?: undefined; successor: Successor };

/** What store mode needs of renewal. */
export interface Renewals {
  /** Whether the token behind `meta` is due for replacement at `now`. */
  isDue(meta: SessionMeta, now: number): boolean;
  /**
   * The forwarder `oldId` becomes when its session moves to `successorToken` (at-rest id `successorId`): it keeps
   * the user (so revoking the user removes it too), no data, and the successor sealed under `oldId`.
   */
  forwarder(meta: SessionMeta, oldId: string, successorToken: string, successorId: string, now: number): Promise<SessionRecord>;
  /** The write options of a forwarder: it expires when its grace ends. */
  forwarderWriteOptions(record: SessionRecord, io: StoreCallOptions): StoreWriteOptions;
  /**
   * The live session the forwarder stored under `id` leads to, within the hop limit, or why there is none. The
   * successor must be a value this app made for `cookieName`, and the one the forwarder names.
   */
  follow(id: string, forward: RenewalForward, cookieName: string, now: number): Promise<Successor | RejectionReason>;
  /** The record under `id` when it is a live session, or the successor it forwards to; undefined for neither. */
  readCurrent(id: string, cookieName: string, now: number): Promise<Current | undefined>;
  /**
   * Deletes the record under `id` and, when it is a forwarder, the sessions it leads to: a destroy through a replaced
   * token ends the session it was renewed to. Deletes at the version read, so a renewal that lands in between is
   * seen and followed.
   */
  retire(id: string): Promise<void>;
}

/** The AAD of a sealed successor: the purpose and the forwarder's own id, so a sealed value cannot be moved. */
const sealDomain = "tessera.renewal.v1\0";

/** `keyId(4) || iv(12)`, then `ciphertext || tag(16)`, all base64url. */
const headerBytes = 4 + ivBytes;

/**
 * Seals a successor's cookie value for the forwarder stored under `forwarderId`, with the first secret's renewal key
 * (AES-256-GCM): a dump of the store shows no token it could replay.
 *
 * @example
 * const sealed = await sealSuccessor(ring, oldId, newToken);
 */
export function sealSuccessor(ring: KeyRing, forwarderId: string, token: string): Awaitable<string> {
  const plaintext = utf8Bytes(token);
  const out = allocBytes(headerBytes + plaintext.length + tagBytes);
  out.set(ring.current.id, 0);
  const aad = utf8Bytes(sealDomain + forwarderId);
  const sealed = ring.crypto.seal(ring.current.renewalKey, fillRandom(out.subarray(4, headerBytes)), aad, plaintext, out, headerBytes);
  return isPromise(sealed) ? sealed.then(() => toBase64url(out)) : toBase64url(out);
}

/**
 * The successor's cookie value `sealSuccessor` sealed for `forwarderId`, or undefined when it does not open (another
 * forwarder's value, a secret no longer in the ring, a changed byte).
 *
 * @example
 * const token = await openSuccessor(ring, oldId, forward.sealed);
 */
export function openSuccessor(ring: KeyRing, forwarderId: string, sealed: string): Awaitable<string | undefined> {
  const bytes = fromBase64url(sealed);
  if (bytes === undefined || bytes.length < headerBytes + tagBytes) return undefined;
  const found = ring.find(readUint32(bytes, 0));
  if (found === undefined) return undefined;
  const finish = (plaintext: Uint8Array | null): string | undefined => (plaintext === null ? undefined : utf8Text(plaintext));
  const opened = ring.crypto.open(found.keys.renewalKey, bytes.subarray(4, headerBytes), utf8Bytes(sealDomain + forwarderId), bytes.subarray(headerBytes));
  return isPromise(opened) ? opened.then(finish) : finish(opened);
}

/**
 * @internal
 * Renewal over `records`, with the policy `renewal` (the forwarders already in the store are followed whether or not
 * renewal is on, so turning it off never logs anyone out).
 *
 * @example
 * const renewals = createRenewals(resolved, records);
 * if (renewals.isDue(state.base.meta, now)) await renew(state, now);
 */
export function createRenewals(resolved: ResolvedOptions, records: Records, renewal: RenewalPolicy | undefined): Renewals {
  const { ring, policy, clock } = resolved;
  const { call, read } = records;

  const follow = async (id: string, forward: RenewalForward, cookieName: string, now: number, hops = 1): Promise<Successor | RejectionReason> => {
    // Past its grace the replaced token is dead, wherever the store's own expiry has got to.
    if (now >= forward.until) return "unknown_session";
    const token = await openSuccessor(ring, id, forward.sealed);
    if (token === undefined || (await hashToken(token)) !== forward.to) return "unknown_session";
    const keyIndex = await openTaggedToken(ring, cookieName, token);
    if (keyIndex === undefined) return "unknown_session";
    const found = await read(forward.to);
    // A successor destroyed, revoked or regenerated since: the forwarder leads nowhere and is no session.
    if (found === undefined) return "unknown_session";
    if (found.record.forward !== undefined) {
      return hops < limits.maxRenewalHops ? follow(forward.to, found.record.forward, cookieName, now, hops + 1) : "unknown_session";
    }
    const verdict = checkTimeouts(found.record.meta, now, policy);
    if (verdict !== "valid") return verdict;
    return { token, id: forward.to, record: found.record, version: found.version, keyIndex };
  };

  return {
    isDue(meta, now) {
      return renewal !== undefined && now - (meta.issuedAt ?? meta.createdAt) >= renewal.afterMs;
    },
    async forwarder(meta, oldId, successorToken, successorId, now) {
      const forwardMeta: SessionMeta = { createdAt: meta.createdAt, lastSeenAt: now };
      if (meta.userId !== undefined) forwardMeta.userId = meta.userId;
      const sealed = await sealSuccessor(ring, oldId, successorToken);
      return { data: {}, flash: {}, meta: forwardMeta, forward: { to: successorId, until: now + renewal!.graceMs, sealed } };
    },
    forwarderWriteOptions(record, io) {
      const at = record.forward!.until;
      const now = clock();
      return withCallOptions(io, { now, expiresAt: at, ttlSeconds: Math.max(1, Math.ceil((at - now) / 1000)), userId: record.meta.userId });
    },
    follow: (id, forward, cookieName, now) => follow(id, forward, cookieName, now),
    async readCurrent(id, cookieName, now) {
      const found = await read(id);
      if (found === undefined) return undefined;
      if (found.record.forward !== undefined) {
        const successor = await follow(id, found.record.forward, cookieName, now);
        return typeof successor === "string" ? undefined : { successor };
      }
      return checkTimeouts(found.record.meta, now, policy) === "valid" ? { found } : undefined;
    },
    async retire(id) {
      for (let attempt = 1; attempt <= limits.maxWriteAttempts; attempt++) {
        const stored = await call("get", (s, io) => s.get(id, io));
        if (stored === undefined) return;
        const record = records.decode(stored);
        if (record?.forward !== undefined) await deleteForwarded(records, record.forward);
        if (await call("delete", (s, io) => s.delete(id, withCallOptions(io, { expectedVersion: stored.version })))) return;
      }
      // Written at every turn by others (it never settles): delete it whatever it holds now.
      await call("delete", (s, io) => s.delete(id, io));
    },
  };
}

/**
 * @internal
 * Deletes what a forwarder leads to, for `revokeSession` given an id listed before its session was renewed.
 *
 * @example
 * if (record.forward) await deleteForwarded(records, record.forward);
 */
export async function deleteForwarded(records: Records, forward: RenewalForward): Promise<void> {
  let next: RenewalForward | undefined = forward;
  for (let hop = 1; next !== undefined && hop <= limits.maxRenewalHops; hop++) {
    const id: string = next.to;
    const found = await records.read(id);
    await records.call("delete", (s, io) => s.delete(id, io));
    next = found?.record.forward;
  }
}
