// A user's sessions, for "signed in elsewhere" pages and sign-out everywhere: list, revoke all, revoke one.

import type { DeclaredSessionData, SessionData } from "../core/data.js";
import { TesseraError } from "../core/errors.js";
import { checkTimeouts } from "../core/policy.js";
import { hasUserIndex, type UserIndex } from "../core/store.js";
import { sessionState, type Session } from "../core/session.js";
import { isPromise } from "../crypto/backend.js";
import { hashToken } from "../crypto/tokens.js";
import type { ResolvedOptions } from "./options.js";
import { withCallOptions, type Records } from "./records.js";
import { limits } from "./options.js";
import { deleteForwarded } from "./renewal.js";
import { idOfThisSignIn, type Revocation } from "./revocation.js";

/** One of a user's sessions, as `userSessions` lists it. */
export interface UserSessionInfo {
  /** The session's at-rest id (a SHA-256, not a token): pass it to `revokeSession`. */
  id: string;
  createdAt: number;
  lastSeenAt: number;
  userAgent: string | undefined;
  /** Whether it is the session passed as `current`. */
  current: boolean;
}

/** The user-session operations of `Sessions`. */
export interface UserSessions<D extends SessionData = DeclaredSessionData> {
  /** A user's live sessions, most recently seen first (a store with the user index, `hasUserIndex(store)`; else `ERR_NOT_SUPPORTED`). */
  userSessions(userId: string, options?: { current?: Session<D> }): Promise<UserSessionInfo[]>;
  /**
   * Ends every session of a user, except the one given as a loaded session or as its id (`sessionId`, or as
   * `userSessions` listed it). Store mode: a store with the user index (else `ERR_NOT_SUPPORTED`); returns how many
   * ended. Cookie mode with `revocation`: every cookie of the user signed in until now is refused (on other processes
   * within `revocation.cacheFor`); the cookies are in browsers, out of count, so it returns 0.
   */
  revokeUserSessions(userId: string, options?: { except?: Session<D> | string }): Promise<number>;
  /**
   * Ends one session of a user by its id (`sessionId`, or as `userSessions` listed it). Store mode: returns whether
   * it existed. Cookie mode with `revocation`: every copy of its cookie is refused; returns whether this call revoked
   * it (false when it was already, or the id is not one tessera gives).
   */
  revokeSession(userId: string, id: string): Promise<boolean>;
  /**
   * A loaded session's id as `userSessions` lists it (a SHA-256, never the cookie's token), or `undefined` for a
   * session not saved yet. It changes when `signIn` or `regenerate` issue a new id, at commit. Cookie mode with
   * `revocation`: a signed-in session's random id, given at `signIn` (at commit) and kept until sign-out; any other
   * session keeps the SHA-256 of its cookie value, which revokes nothing.
   *
   * @example
   * const id = sessions.sessionId(session); // compare with userSessions(...)[i].id
   */
  sessionId(session: Session<D>): string | undefined;
}

/**
 * @internal
 * The user-session operations over `records` (store mode); in cookie mode, over `revocation` (revoking works,
 * listing throws `ERR_NOT_SUPPORTED`: the sessions live in browsers), or, without it, operations that throw
 * `ERR_NOT_SUPPORTED`: a session that lives only in the browser cannot be listed or ended from the server.
 *
 * @example
 * const users = createUserSessions(resolved, records, undefined);
 * await users.revokeUserSessions("u-42");
 */
export function createUserSessions<D extends SessionData>(
  resolved: ResolvedOptions,
  records: Records | undefined,
  revocation: Revocation | undefined,
): UserSessions<D> {
  const { clock, policy, emit } = resolved;
  const need = (operation: string): Records => {
    if (!records) throw new TesseraError("ERR_NOT_SUPPORTED", `\`${operation}\` needs a store: cookie-mode sessions live only in the browser`);
    return records;
  };
  // A store without the user index (memcached, an express-session store without all()) is accepted at start-up: the
  // app may never list or revoke by user, and signIn still binds each session to its user. Listing and revoking by
  // user say so when called, never answering "no sessions", which would make "sign out everywhere" a silent no-op.
  const needIndex = (operation: string): { records: Records; index: UserIndex } => {
    const found = need(operation);
    if (!hasUserIndex(found.store)) {
      throw new TesseraError(
        "ERR_NOT_SUPPORTED",
        `\`${operation}\` needs a store with a user index: the ${found.store.name} store cannot find a user's sessions (revokeSession still ends one by its id)`,
      );
    }
    return { records: found, index: found.store };
  };
  /** The at-rest id of a loaded session, or the id as `userSessions` listed it. */
  const idOf = async (session: Session<D> | string | undefined): Promise<string | undefined> => {
    if (typeof session === "string") return session;
    const token = session?.[sessionState].token;
    return token === undefined ? undefined : hashToken(token);
  };
  const operations: UserSessions<D> = {
    sessionId(session) {
      const token = session[sessionState].token;
      if (token === undefined) return undefined;
      const id = hashToken(token);
      // Synchronous on node:crypto (Node, Bun, Deno), where the adapters that read it (Express's req.sessionID) run.
      if (isPromise(id)) {
        throw new TesseraError("ERR_NOT_SUPPORTED", "`sessionId` needs node:crypto (Node.js, Bun, Deno); on Web Crypto alone compare ids from `userSessions`");
      }
      return id;
    },
    async userSessions(userId, options) {
      const { records: { call, decode }, index } = needIndex("userSessions");
      const currentId = await idOf(options?.current);
      const now = clock();
      const listed = await call("listByUser", (_, io) => index.listByUser(userId, io));
      const sessions: UserSessionInfo[] = [];
      for (const entry of listed) {
        // A record that does not decode is skipped (with an event), never an error for the whole list; so is a renewed
        // token's forwarder, which is no session of its own.
        const record = decode(entry);
        if (record === undefined || record.forward !== undefined || record.meta.userId !== userId || checkTimeouts(record.meta, now, policy) !== "valid") continue;
        sessions.push({
          id: entry.id,
          createdAt: record.meta.createdAt,
          lastSeenAt: record.meta.lastSeenAt,
          userAgent: record.meta.userAgent,
          current: entry.id === currentId,
        });
      }
      return sessions.sort((a, b) => b.lastSeenAt - a.lastSeenAt);
    },
    async revokeUserSessions(userId, options) {
      const { records: { call }, index } = needIndex("revokeUserSessions");
      const exceptId = await idOf(options?.except);
      const count = await call("deleteByUser", (_, io) => index.deleteByUser(userId, exceptId, io));
      emit({ type: "sessions_revoked", scope: "user" });
      return count;
    },
    async revokeSession(userId, id) {
      const found = need("revokeSession");
      const { call, decode } = found;
      for (let attempt = 1; ; attempt++) {
        const stored = await call("get", (s, io) => s.get(id, io));
        if (stored === undefined) return false;
        // A record that does not decode is deleted too: no one can load it, and it was listed as this user's.
        const record = decode(stored);
        if (record !== undefined && record.meta.userId !== userId) return false;
        // An id listed before its session was renewed (`renewAfter`) now names a forwarder: the session it leads to ends.
        if (record?.forward !== undefined) await deleteForwarded(found, record.forward);
        const deleted = await call("delete", (s, io) => s.delete(id, record === undefined ? io : withCallOptions(io, { expectedVersion: stored.version })));
        if (deleted) emit({ type: "sessions_revoked", scope: "session" });
        // Written in between (a touch, a renewal): read it again, so the revocation is not lost to that write.
        if (deleted || record === undefined || attempt >= limits.maxWriteAttempts) return deleted;
      }
    },
  };
  return revocation ? revokingCookieSessions(resolved, revocation, operations.sessionId) : operations;
}

/** A cookie session's id as `sessionId` gives it: 22 base64url characters. */
const cookieSessionIdRegExp = /^[A-Za-z0-9_-]{22}$/;

/**
 * Cookie mode with `revocation`: revoking by user and by id through the revocation records; no listing. A signed-in
 * session's id is its random `meta.sessionId`; any other session keeps the id cookie mode gives it without revocation
 * (`cookieValueId`, the SHA-256 of its cookie value), which names no sign-in and revokes nothing.
 */
function revokingCookieSessions<D extends SessionData>(
  resolved: ResolvedOptions,
  revocation: Revocation,
  cookieValueId: (session: Session<D>) => string | undefined,
): UserSessions<D> {
  const { clock, policy } = resolved;
  const signedInId = (session: Session<D>): string | undefined => {
    const { meta } = session[sessionState].base;
    return meta.userId === undefined ? undefined : meta.sessionId;
  };
  // The rule signIn applies: no cookie can be signed in to any other user id.
  const checkUser = (userId: unknown, operation: string): void => {
    if (typeof userId !== "string" || userId.length === 0 || userId.length > 256) {
      throw new TesseraError("ERR_INVALID_SESSION_DATA", `\`${operation}\` needs a user id: a string of 1 to 256 characters`);
    }
  };
  return {
    sessionId: (session) => signedInId(session) ?? cookieValueId(session),
    async userSessions() {
      throw new TesseraError(
        "ERR_NOT_SUPPORTED",
        "`userSessions` needs a store: cookie-mode sessions live in browsers, and `revocation` can end them but not list them",
      );
    },
    async revokeUserSessions(userId, options) {
      checkUser(userId, "revokeUserSessions");
      const except = options?.except;
      // A session signed in by this very request is kept by the id its commit will give it, chosen now.
      const keep = (session: Session<D>): string | undefined => {
        const state = session[sessionState];
        return state.signedIn && !state.committed ? idOfThisSignIn(state) : signedInId(session);
      };
      await revocation.revokeUser(userId, typeof except === "string" ? except : except && keep(except), clock());
      return 0;
    },
    async revokeSession(userId, id) {
      checkUser(userId, "revokeSession");
      if (typeof id !== "string" || !cookieSessionIdRegExp.test(id)) return false;
      const now = clock();
      // The id does not say when its session signed in: none signed in before now outlives the absolute timeout.
      return revocation.revokeSession(userId, id, now + policy.absoluteMs, now);
    },
  };
}
