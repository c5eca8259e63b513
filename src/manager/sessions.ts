// createSessionManager: the composition root joining the options, the cookie, a mode (cookie or store) and user sessions.

import type { DeclaredSessionData, SessionData } from "../core/data.js";
import { TesseraError } from "../core/errors.js";
import { Session, endSession, sessionState, type SentCookies, type SessionState } from "../core/session.js";
import { readCookieValues } from "../cookie/parse.js";
import { cookieMode } from "./cookie-mode.js";
import type { RejectionReason } from "./events.js";
import type { SessionMode } from "./mode.js";
import { limits, resolveOptions, type SessionsOptions } from "./options.js";
import { validateForWrite } from "./data-schema.js";
import { isPromise } from "../crypto/backend.js";
import { createRecords } from "./records.js";
import { createCookieIssuer } from "./cookie-issuer.js";
import { chunkedCookie, singleCookie } from "./cookie-chunks.js";
import type { ResponseChanges } from "./changes.js";
import { storeMode } from "./store-mode.js";
import { createUserSessions, type UserSessions } from "./user-sessions.js";
import { expiresAt } from "../core/policy.js";
import { createMigrator } from "./migration.js";
import { createRevocation } from "./revocation.js";

/** What a framework adapter knows about a request. */
export interface RequestFacts {
  /** The `Cookie` header. */
  cookie: string | null | undefined;
  /** Whether the client reached us over HTTPS. */
  secure: boolean;
  /** The `User-Agent` header, kept with a signed-in session for lists of a user's sessions. */
  userAgent?: string | null | undefined;
}

/** Options of `commitHeaders`. */
export interface CommitOptions {
  /**
   * The request failed (its handler threw, or the response is 500 or more): nothing it did to the session is saved
   * and no cookie is set, except that a session it destroyed stays ended and its cookie is cleared.
   */
  failed?: boolean;
}

/** The session manager adapters use: sessions from request facts, response changes from sessions. */
export interface SessionManager<D extends SessionData = DeclaredSessionData> extends UserSessions<D> {
  /** `"cookie"` or the store's name. */
  readonly mode: string;
  /** The session cookie's name when it is Secure, prefix included (`__Host-sid` by default). */
  readonly cookieName: string;
  /** The session cookie's name when it is not Secure (development over plain http: `sid` by default). */
  readonly plainCookieName: string;
  /** How many proxies in front are believed about the scheme (the `trustProxy` option as a hop count), for adapters. */
  readonly trustProxy: number;
  /** Loads the session from what an adapter read off its request. Throws `ERR_STORE_UNAVAILABLE` when the store fails. */
  loadFrom(facts: RequestFacts): Promise<Session<D>>;
  /** Saves the session (or, for a failed request, only its destroy) and says which headers the response needs. */
  commitHeaders(session: Session<D>, options?: CommitOptions): Promise<ResponseChanges>;
  /**
   * When a loaded session ends if no later request renews it (epoch ms): its idle deadline, never past its absolute
   * one. For a new session, counted from now.
   *
   * @example
   * const secondsLeft = Math.floor((sessions.expiresAt(session) - Date.now()) / 1000);
   */
  expiresAt(session: Session<D>): number;
  /** Releases the store. */
  close(): Promise<void>;
}

/**
 * Creates the session manager behind `createSessions` and every adapter. Checks every option now, so a
 * misconfiguration stops the start, not a request.
 *
 * @example
 * const manager = createSessionManager<{ username?: string }>({ secrets: [process.env.SECRET_KEY!] });
 * const session = await manager.loadFrom({ cookie: req.headers.cookie, secure: false });
 */
export function createSessionManager<D extends SessionData = DeclaredSessionData>(options: SessionsOptions<D>): SessionManager<D> {
  const resolved = resolveOptions(options);
  const { cookie, clock, emit, store, data: rules } = resolved;
  const cookies = createCookieIssuer(cookie, resolved.policy);
  const records = store ? createRecords(store, resolved) : undefined;
  const revocation = resolved.revocation ? createRevocation(resolved) : undefined;
  // Cookie mode's cookie, split over several when `cookie.chunks` allows and the session needs it.
  const chunked = cookie.chunks ? chunkedCookie(cookie, cookies) : undefined;
  const sessionCookie = chunked ?? singleCookie(cookies);
  const mode: SessionMode = records ? storeMode(resolved, cookies, records) : cookieMode(resolved, cookies, revocation, sessionCookie);
  // Sessions of another library, read once (the `migrateFrom` option); everything the hook reaches is passed here.
  const migrator = createMigrator({
    migrations: options.migrateFrom ?? [],
    storeMode: records !== undefined,
    storeTimeoutMs: resolved.storeTimeoutMs,
    emit,
    async checkSize(record, state, now) {
      if (records) {
        records.encode(record);
        return;
      }
      const value = await resolved.codec!.encode(record, { cookieName: cookies.nameFor(state), now, expiresAt: expiresAt(record.meta, resolved.policy) });
      sessionCookie.set(state, value, record.meta, now);
    },
    createRecord: (id, record) => records!.call("create", (s, io) => s.create(id, records!.encode(record), records!.writeOptions(record.meta, io))),
    deleteRecord: (id) => records!.call("delete", (s, io) => s.delete(id, io)),
    commit: (state, now) => mode.commit(state, now),
  });
  const commit = migrator ? migrator.commit : mode.commit;

  const newState = (facts: RequestFacts, hadCookie: boolean, sentCookies: SentCookies | undefined, now: number): SessionState => ({
    base: { data: {}, flash: {}, meta: { createdAt: now, lastSeenAt: now } },
    data: {},
    flashRead: new Set(),
    changes: [],
    token: undefined,
    version: undefined,
    rotate: false,
    signedIn: false,
    destroyed: false,
    retiring: undefined,
    hadCookie,
    staleKey: false,
    followed: false,
    committed: false,
    secure: facts.secure,
    userAgent: facts.userAgent ?? undefined,
    maxValueBytes: mode.maxValueBytes,
    persistentByDefault: cookie.persistent,
    sentCookies,
  });

  const loadFrom = async (facts: RequestFacts): Promise<Session<D>> => {
    const now = clock();
    const name = cookies.isSecure(facts.secure) ? cookie.name : cookie.plainName;
    // Every value under the session cookie's name (a browser sends every cookie whose domain and path match, longest
    // path first), tried in the order sent: the first that gives a live session wins.
    // With `cookie.chunks`, the values sent whole come first, then those joined from chunks.
    const read = chunked?.read(facts.cookie, name);
    const values = read?.values ?? readCookieValues(facts.cookie, name, limits.maxCandidates);
    const state = newState(facts, values.length > 0 || (read?.sent.chunks.length ?? 0) > 0, read?.sent, now);
    // A header stuffed with junk must not turn into as many events (and log lines) as it has values.
    let rejections = 0;
    const reject = (reason: RejectionReason): void => {
      if (++rejections <= limits.maxRejectionEvents) emit({ type: "cookie_rejected", reason });
    };
    read?.rejections.forEach(reject);
    if (values.length > 0) {
      let loaded = await mode.load(values, state, now, reject);
      let migrated = false;
      if (loaded !== undefined && rules !== undefined) {
        // `schema`, `dataVersion` and `migrate`: data that fails them is no session, and the request goes on anonymous.
        // A verdict the cookie cache remembers comes back synchronously, and takes no extra turn of the event loop.
        const reading = rules.read(loaded.record);
        const verdict = isPromise(reading) ? await reading : reading;
        if (typeof verdict === "string") {
          emit({ type: "data_rejected", reason: verdict });
          loaded = undefined;
        } else {
          loaded = { ...loaded, record: verdict.record };
          migrated = verdict.migrated;
        }
      }
      if (loaded !== undefined) {
        state.base = loaded.record;
        state.data = { ...loaded.record.data };
        state.token = loaded.token;
        state.version = loaded.version;
        state.staleKey = loaded.staleKey;
        // Written back under the current `dataVersion` at commit, as a change is.
        if (migrated) state.changes.push({ kind: "migrated" });
      }
    }
    if (migrator) await migrator.load(state, facts, now);
    return new Session<D>(state);
  };

  const commitHeaders = async (session: Session<D>, commitOptions?: CommitOptions): Promise<ResponseChanges> => {
    const state = session[sessionState];
    if (state.committed) throw new TesseraError("ERR_SESSION_COMMITTED", "the session was already committed");
    // Checked before the session counts as committed: data the schema refuses throws, nothing is written, and the
    // app may correct it and commit again.
    const validating = rules === undefined || commitOptions?.failed === true ? undefined : validateForWrite(rules, state);
    if (validating !== undefined) await validating;
    state.committed = true;
    if (commitOptions?.failed === true) {
      if (!state.destroyed) return { setCookie: [], vary: true, noStore: true };
      emit({ type: "session_destroyed" });
      // Ending it again drops whatever was set after the destroy; the destroy itself stays done.
      endSession(state);
      return { ...(await commit(state, clock())), noStore: true };
    }
    if (state.destroyed) emit({ type: "session_destroyed" });
    else if (state.rotate) emit({ type: "session_regenerated" });
    return commit(state, clock());
  };

  return {
    mode: mode.name,
    cookieName: cookie.name,
    plainCookieName: cookie.plainName,
    trustProxy: resolved.trustProxy,
    loadFrom,
    commitHeaders,
    ...createUserSessions<D>(resolved, records, revocation),
    expiresAt: (session) => expiresAt(session[sessionState].base.meta, resolved.policy),
    async close() {
      if (store) await store.close();
      if (resolved.revocation) await resolved.revocation.store.close();
    },
  };
}
