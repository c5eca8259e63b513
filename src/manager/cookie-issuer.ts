// The session cookie as it goes out: its name, Secure, Max-Age and Expires, for each request.

import { expiresAt, type TimeoutPolicy } from "../core/policy.js";
import type { SessionMeta } from "../core/record.js";
import type { SessionState } from "../core/session.js";
import type { CookieSettings } from "../cookie/options.js";
import { createSetCookieWriter, type SetCookieWriter } from "../cookie/serialize.js";

/** The session cookie as it goes out for one request. */
export interface CookieIssuer {
  /** Whether the cookie goes out Secure (and so under its prefixed name) for a request that came over https or not. */
  isSecure(requestSecure: boolean): boolean;
  /** The name the cookie goes out under for this request; a store token's tag binds it. */
  nameFor(state: SessionState): string;
  /**
   * `Set-Cookie` for `value`, living as long as the session `meta` describes; with `chunk`, for the chunk cookie
   * `<name>.<chunk>` (`cookie.chunks`), with the same attributes.
   */
  set(state: SessionState, value: string, meta: SessionMeta, now: number, chunk?: number): string;
  /** `Set-Cookie` that deletes the cookie (or chunk `chunk`), with the same Path and Domain (RFC 6265 §5.3 step 11), or the browser keeps it. */
  clear(state: SessionState, now: number, chunk?: number): string;
}

/**
 * The session cookie's writers, made once: one per Secure variant, so `secure: "auto"` costs nothing per request.
 * The name follows Secure: `__Host-sid` on a Secure cookie, the bare name over plain http (see `cookie.prefix`). A
 * cookie that is always Secure has no plain variant (its prefixed name may not go out without Secure).
 *
 * @example
 * const cookies = createCookieIssuer(resolved.cookie, resolved.policy);
 * cookies.set(state, token, meta, now);
 */
export function createCookieIssuer(cookie: CookieSettings, policy: TimeoutPolicy): CookieIssuer {
  const secureWriter = createSetCookieWriter(cookie.name, { ...cookie.attributes, secure: true });
  const plainWriter = cookie.secure === true ? undefined : createSetCookieWriter(cookie.plainName, { ...cookie.attributes, secure: false });
  const isSecure = (requestSecure: boolean): boolean => cookie.secure === true || (cookie.secure === "auto" && requestSecure);
  // Chunk cookies' writers, made on first use: at most `maxChunks` a Secure variant.
  const chunkWriters = new Map<string, SetCookieWriter>();
  const writerFor = (state: SessionState, chunk: number | undefined): SetCookieWriter => {
    const secure = isSecure(state.secure);
    if (chunk === undefined) return secure ? secureWriter : plainWriter!;
    const name = `${secure ? cookie.name : cookie.plainName}.${chunk}`;
    let writer = chunkWriters.get(name);
    if (writer === undefined) {
      writer = createSetCookieWriter(name, { ...cookie.attributes, secure });
      chunkWriters.set(name, writer);
    }
    return writer;
  };
  return {
    isSecure,
    nameFor: (state) => (isSecure(state.secure) ? cookie.name : cookie.plainName),
    set(state, value, meta, now, chunk) {
      const maxAge = (meta.persistent ?? cookie.persistent) ? Math.max(1, Math.floor((expiresAt(meta, policy) - now) / 1000)) : undefined;
      return writerFor(state, chunk)(value, maxAge, now);
    },
    clear: (state, now, chunk) => writerFor(state, chunk)("", 0, now),
  };
}
