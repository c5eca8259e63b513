// Cookie mode's session cookie as it goes out and comes back: one cookie, or with `cookie.chunks` as many as the
// session needs, within the `cookie.maxBytes` budget.

import { TesseraError } from "../core/errors.js";
import type { SessionMeta } from "../core/record.js";
import type { SentCookies, SessionState } from "../core/session.js";
import { joinChunks, maxChunks, splitCookieValue } from "../cookie/chunks.js";
import type { CookieSettings } from "../cookie/options.js";
import { readChunkedCookie } from "../cookie/parse.js";
import { maxCookieBytes } from "../cookie/serialize.js";
import { unchanged, type ResponseChanges } from "./changes.js";
import type { CookieIssuer } from "./cookie-issuer.js";
import type { RejectionReason } from "./events.js";
import { limits } from "./options.js";

/** The most cookies a session is split over; adapters that rebuild a Cookie header (Next.js) keep these names. */
export { maxChunks };

/** How cookie mode writes its cookie: the response changes for a new value, for an ended session, and for no change. */
export interface SessionCookie {
  /** Carries `value` (Set-Cookie for it, and deletions of the request's cookies it no longer needs). */
  set(state: SessionState, value: string, meta: SessionMeta, now: number): ResponseChanges;
  /** Deletes the session's cookies the request carried. */
  clear(state: SessionState, now: number): ResponseChanges;
  /** The session is unchanged: only the request's cookies its value does not use are deleted. */
  keep(state: SessionState, now: number): ResponseChanges;
}

/** What a request's Cookie header holds for a chunked session cookie. */
export interface ChunkedRead {
  /** The values to open, in order: those sent whole, then those joined from chunks. */
  values: string[];
  sent: SentCookies;
  /** Chunk sets refused before any cryptography. */
  rejections: RejectionReason[];
}

/** Cookie mode with `cookie.chunks`: the session cookie read from chunks too. */
export interface ChunkedCookie extends SessionCookie {
  read(header: string | null | undefined, name: string): ChunkedRead;
}

/**
 * The session cookie as one cookie: a value over 4096 bytes is `ERR_COOKIE_TOO_LARGE`.
 *
 * @example
 * const out = resolved.cookie.chunks ? chunkedCookie(resolved.cookie, cookies) : singleCookie(cookies);
 */
export function singleCookie(cookies: CookieIssuer): SessionCookie {
  return {
    set: (state, value, meta, now) => changes([cookies.set(state, value, meta, now)]),
    clear: (state, now) => changes([cookies.clear(state, now)]),
    keep: () => unchanged,
  };
}

/**
 * The session cookie split over `<name>.0`, `<name>.1`, ... when it passes 4096 bytes (chunk 0 leads with the count),
 * and whole under `<name>` when it fits, so small sessions look as they do without chunks. The codec opens the
 * joined value under the cookie's name, so a chunk from another value fails its tag or MAC like any tampering; a
 * missing chunk is the rejection `missing_chunk`. A commit deletes the request's cookies the value no longer uses:
 * the whole cookie once the session moves to chunks, chunks past the count, all chunks once it fits whole again.
 * Over `settings.maxBytes`, commit throws `ERR_COOKIE_TOO_LARGE`; outside production, the first session past 80 %
 * of it is told to `warn`, once.
 *
 * @example
 * const chunked = chunkedCookie(resolved.cookie, createCookieIssuer(resolved.cookie, resolved.policy));
 */
export function chunkedCookie(settings: CookieSettings, cookies: CookieIssuer, warn: (message: string) => void = (message) => console.warn(message)): ChunkedCookie {
  const { maxBytes } = settings;
  let warned = isProduction();

  /** Deletions of the cookies the request sent, but for the whole one if `keepWhole` and the chunks below `keepChunks`. */
  const deletions = (state: SessionState, now: number, keepWhole: boolean, keepChunks: number): string[] => {
    const sent = state.sentCookies;
    const headers: string[] = [];
    if (sent === undefined) return headers;
    if (sent.whole && !keepWhole) headers.push(cookies.clear(state, now));
    for (const index of sent.chunks) if (index >= keepChunks) headers.push(cookies.clear(state, now, index));
    return headers;
  };

  /** The error for a value of `size` bytes in all: over the budget, or over `maxChunks` cookies. */
  const tooLarge = (name: string, size: number): TesseraError =>
    new TesseraError(
      "ERR_COOKIE_TOO_LARGE",
      `session cookie "${name}" would be ${size} bytes over its chunks, over cookie.maxBytes (${maxBytes}); store less in the session or use a store (for example sqliteStore) so the cookie holds only an id`,
    );

  /** Refuses a value over the budget, and warns once of one near it. */
  const budget = (name: string, size: number): void => {
    if (size > maxBytes) throw tooLarge(name, size);
    if (!warned && size >= maxBytes * 0.8) {
      warned = true;
      warn(
        `tessera: session cookie "${name}" took ${size} of its ${maxBytes} bytes (cookie.maxBytes); past them, commit throws ERR_COOKIE_TOO_LARGE. ` +
          "Every request carries all of it: keep less in the session, or use a store. (Said once, outside production.)",
      );
    }
  };

  return {
    read(header, name) {
      const found = readChunkedCookie(header, name, maxChunks, limits.maxCandidates, limits.maxChunkValues);
      const joined = joinChunks(found.chunks, limits.maxChunkJoins);
      const chunks: number[] = [];
      found.chunks.forEach((values, index) => {
        if (values.length > 0) chunks.push(index);
      });
      const rejections: RejectionReason[] = [];
      for (let i = 0; i < joined.malformed; i++) rejections.push("malformed");
      for (let i = 0; i < joined.incomplete; i++) rejections.push("missing_chunk");
      return {
        values: [...found.whole, ...joined.values.map((candidate) => candidate.value)],
        sent: { whole: found.whole.length > 0, chunks, joined: new Map(joined.values.map((candidate) => [candidate.value, candidate.count])) },
        rejections,
      };
    },
    set(state, value, meta, now) {
      const name = cookies.nameFor(state);
      if (name.length + value.length <= maxCookieBytes) {
        budget(name, name.length + value.length);
        return changes([cookies.set(state, value, meta, now), ...deletions(state, now, true, 0)]);
      }
      const chunks = splitCookieValue(name, value);
      if (chunks === undefined) throw tooLarge(name, name.length + value.length);
      budget(name, chunks.reduce((sum, chunk) => sum + chunk.name.length + chunk.value.length, 0));
      const headers = chunks.map((chunk, index) => cookies.set(state, chunk.value, meta, now, index));
      return changes([...headers, ...deletions(state, now, false, chunks.length)]);
    },
    clear: (state, now) => changes(deletions(state, now, false, 0)),
    keep(state, now) {
      if (state.token === undefined) return unchanged;
      const count = state.sentCookies?.joined.get(state.token);
      return changes(count === undefined ? deletions(state, now, true, 0) : deletions(state, now, false, count));
    },
  };
}

/** Set-Cookie `headers`, or no change for none. */
function changes(headers: string[]): ResponseChanges {
  return headers.length === 0 ? unchanged : { setCookie: headers, vary: true, noStore: true };
}

/**
 * NODE_ENV is "production" (where the runtime has a `process`); warnings are for development. A runtime that may
 * refuse to read the environment (Deno without `--allow-env` throws) counts as production: no warning, and never a
 * failed start.
 */
function isProduction(): boolean {
  try {
    return (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.NODE_ENV === "production";
  } catch {
    return true;
  }
}
