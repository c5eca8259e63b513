// Cookie mode: the whole session sealed (or signed) in the cookie, with a cache of values already opened.

import { setBounded } from "../core/bounded.js";
import type { CodecContext, Decoded } from "../core/codec.js";
import { CodecError, type CodecFailure } from "../core/errors.js";
import { checkTimeouts, expiresAt, isTouchDue } from "../core/policy.js";
import { isPromise } from "../crypto/backend.js";
import type { SessionMeta } from "../core/record.js";
import { currentRecord, isEmptyRecord } from "../core/session.js";
import type { SessionMode } from "./mode.js";
import { limits, type ResolvedOptions } from "./options.js";
import type { CookieIssuer } from "./cookie-issuer.js";
import { unchanged } from "./changes.js";
import { createSessionId, needsSessionId, type Revocation } from "./revocation.js";
import { singleCookie, type SessionCookie } from "./cookie-chunks.js";

/** Reasons a codec gives before any cryptography ran: such values cost nothing and never count as attempts. */
const refusedBeforeCrypto: ReadonlySet<CodecFailure> = new Set(["malformed", "unsupported_version", "unknown_key"]);

/**
 * Cookie mode. A cookie value that opens is remembered by its exact text (`decodeCacheSize`), frozen, since every
 * request that sends the same value shares it; timeouts are still judged on every request. With `revocation`, a
 * signed-in session carries an id given at sign-in, is refused when its user's revocation record says so, and a
 * sign-out (`destroy`, or `signIn` over it) revokes its id, so every copy of its cookie is refused too; anonymous
 * sessions never read the revocation store. `out` writes the value (as one cookie, or in chunks with `cookie.chunks`).
 *
 * @example
 * const mode = cookieMode(resolved, createCookieIssuer(resolved.cookie, resolved.policy), undefined);
 */
export function cookieMode(
  resolved: ResolvedOptions,
  cookies: CookieIssuer,
  revocation: Revocation | undefined,
  out: SessionCookie = singleCookie(cookies),
): SessionMode {
  const { cookie, policy, decodeCacheSize, emit } = resolved;
  const codec = resolved.codec!;
  const contexts = { secure: { cookieName: cookie.name }, plain: { cookieName: cookie.plainName } };
  const opened = new Map<string, Decoded>();
  /** The signed-in session each request loaded (revocation on): what a sign-out in that request revokes. */
  const signedIn = new WeakMap<object, SessionMeta>();

  /** Remembers a value that opened, so the next request sending it skips the cryptography. */
  const remember = (key: string, fresh: Decoded): Decoded => {
    if (decodeCacheSize > 0) {
      const { record } = fresh;
      Object.freeze(record.data);
      Object.freeze(record.flash);
      Object.freeze(record.meta);
      Object.freeze(record);
      setBounded(opened, key, fresh, decodeCacheSize);
    }
    return fresh;
  };

  // A codec on node:crypto answers synchronously, and that path takes no extra turn of the event loop; one on Web
  // Crypto answers with a Promise.
  const decode = (value: string, context: CodecContext, now: number): Decoded | Promise<Decoded> => {
    // The name is part of the key: a value opened under one cookie name must not open under the other.
    const key = context === contexts.secure ? value : `${value}\u0000plain`;
    const known = opened.get(key);
    if (known !== undefined) {
      if (known.expiresAt === undefined || now < known.expiresAt) return known;
      // Past the codec's own expiry: forgotten, and decoded again, which refuses it with the codec's reason.
      opened.delete(key);
    }
    const fresh = codec.decode(value, { cookieName: context.cookieName, now });
    return isPromise(fresh) ? fresh.then((decoded) => remember(key, decoded)) : remember(key, fresh);
  };

  /** Every copy of the session `meta` describes is refused from now on (from `cacheFor` on other processes). */
  const signOut = async (meta: SessionMeta, now: number): Promise<void> => {
    if (meta.sessionId === undefined) return;
    // No copy outlives its absolute timeout, counted from its sign-in.
    await revocation!.revokeSession(meta.userId!, meta.sessionId, meta.createdAt + policy.absoluteMs, now);
  };

  return {
    name: "cookie",
    maxValueBytes: undefined,
    async load(values, state, now, reject) {
      const context = cookies.isSecure(state.secure) ? contexts.secure : contexts.plain;
      let attempts = 0;
      for (const value of values) {
        try {
          const decoding = decode(value, context, now);
          const { record, keyIndex } = isPromise(decoding) ? await decoding : decoding;
          const verdict = checkTimeouts(record.meta, now, policy);
          if (verdict !== "valid") {
            reject(verdict);
            continue;
          }
          if (revocation && record.meta.userId !== undefined) {
            // A store that fails throws here, out of load: a signed-in session fails closed, as in store mode.
            const refusing = revocation.refuses(record.meta, now);
            if (isPromise(refusing) ? await refusing : refusing) {
              reject("revoked");
              continue;
            }
            signedIn.set(state, record.meta);
          }
          resolved.keyOpened?.(keyIndex);
          return { record, token: value, version: undefined, staleKey: keyIndex > 0 };
        } catch (error) {
          if (!(error instanceof CodecError)) throw error;
          reject(error.reason);
          // Only a value that reached the cryptography counts (a known key id, a well-formed body): every reason but
          // the three a codec gives before it, so a JWT that verified but expired counts too.
          if (!refusedBeforeCrypto.has(error.reason) && ++attempts >= limits.maxOpenAttempts) break;
        }
      }
      return undefined;
    },
    async commit(state, now) {
      const ended = signedIn.get(state);
      if (ended !== undefined && state.rotate && !state.destroyed) {
        // A lifecycle call (regenerate, signIn) on a session revoked while this request ran ends it anonymous, as in
        // store mode: revocation is final, and no cookie carrying the revoked user or data goes out.
        const refusing = revocation!.refuses(ended, now);
        if (isPromise(refusing) ? await refusing : refusing) {
          emit({ type: "session_gone" });
          return out.clear(state, now);
        }
      }
      // Revoked before any cookie goes out: if the store fails, the sign-out fails visibly (503), never half-done.
      if (ended !== undefined && (state.destroyed || state.signedIn)) await signOut(ended, now);
      const record = currentRecord(state);
      const loaded = state.token !== undefined;
      if (isEmptyRecord(record)) return state.hadCookie && (loaded || state.destroyed) ? out.clear(state, now) : unchanged;
      const changed = state.changes.length > 0 || state.signedIn || state.rotate;
      const touch = !loaded || isTouchDue(record.meta, now, policy);
      if (!changed && !touch && !state.staleKey) return out.keep(state, now);
      if (state.staleKey) emit({ type: "cookie_reissued", reason: "key_rotation" });
      let meta: SessionMeta = touch || state.signedIn ? { ...record.meta, lastSeenAt: now } : record.meta;
      if (state.signedIn || state.destroyed) meta.createdAt = now;
      if (revocation && meta.userId !== undefined && needsSessionId(state, meta)) {
        // A new sign-in gets a new id; one signed in before revocation was turned on gets one on its next write.
        meta = { ...meta, sessionId: createSessionId() };
        state.base = { ...state.base, meta };
      } else if (!revocation && state.signedIn) {
        delete meta.sessionId;
      }
      const context = cookies.isSecure(state.secure) ? contexts.secure : contexts.plain;
      const encoding = codec.encode({ ...record, meta }, { cookieName: context.cookieName, now, expiresAt: expiresAt(meta, policy) });
      const value = isPromise(encoding) ? await encoding : encoding;
      return out.set(state, value, meta, now);
    },
  };
}
