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
  /** Ends every session of a user, except the one given as a loaded session or as the id `userSessions` listed (a store with the user index; else `ERR_NOT_SUPPORTED`). Returns how many ended. */
  revokeUserSessions(userId: string, options?: { except?: Session<D> | string }): Promise<number>;
  /** Ends one session of a user by the id `userSessions` gave. Returns whether it existed. */
  revokeSession(userId: string, id: string): Promise<boolean>;
  /**
   * A loaded session's id as `userSessions` lists it (a SHA-256, never the cookie's token), or `undefined` for a
   * session not saved yet. It changes when `signIn` or `regenerate` issue a new id, at commit.
   *
   * @example
   * const id = sessions.sessionId(session); // compare with userSessions(...)[i].id
   */
  sessionId(session: Session<D>): string | undefined;
}

/**
 * @internal
 * The user-session operations over `records` (store mode), or, in cookie mode, operations that throw
 * `ERR_NOT_SUPPORTED`: a session that lives only in the browser cannot be listed or ended from the server.
 *
 * @example
 * const users = createUserSessions(resolved, records);
 * await users.revokeUserSessions("u-42");
 */
export function createUserSessions<D extends SessionData>(resolved: ResolvedOptions, records: Records | undefined): UserSessions<D> {
  const { clock, policy } = resolved;
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
  return {
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
      return call("deleteByUser", (_, io) => index.deleteByUser(userId, exceptId, io));
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
        // Written in between (a touch, a renewal): read it again, so the revocation is not lost to that write.
        if (deleted || record === undefined || attempt >= limits.maxWriteAttempts) return deleted;
      }
    },
  };
}
