// express-session to tessera: the signed `connect.sid` cookie verified, its session read from the old store once, then retired.

import { TesseraError } from "../core/errors.js";
import type { LegacyLookup, Migration, MigrationCallOptions, MigrationFactory } from "../core/migration.js";
import { createKeyedQueue } from "../core/queue.js";
import { readCookieValues } from "../cookie/parse.js";
import { decodeCookieValue, expressSecrets, verifyExpressSessionId } from "./express-signature.js";
import { legacyCookieClearer, type LegacyCookieOptions } from "./legacy-cookie.js";

/**
 * What the migration needs of an express-session store (`express-session/session/store.js`): `get` and `destroy`,
 * callback style. connect-redis, connect-mongo, connect-pg-simple, MemoryStore, ... all fit.
 */
export interface ExpressSessionStore {
  get(sid: string, callback: (error: unknown, session?: unknown) => void): unknown;
  destroy(sid: string, callback?: (error?: unknown) => void): unknown;
}

/** Options of `expressSessionMigration`: what the old app passed to `session({ ... })`. */
export interface ExpressSessionMigrationOptions {
  /** The old app's store (its `store` option), still connected to the old sessions. */
  store: ExpressSessionStore;
  /** The old app's `secret` option: one secret, or a list whose entries all verify (in order). */
  secrets: string | readonly string[];
  /** The old app's `name` option. @default "connect.sid" */
  cookieName?: string;
  /** The old app's `cookie.path` and `cookie.domain`, so the old cookie can be deleted. @default { path: "/" } */
  cookie?: LegacyCookieOptions;
  /**
   * The user an old session is signed in to, bound to the new session (`session.userId`, `userSessions`,
   * `revokeUserSessions`). Return `undefined` for an anonymous session. The data is carried over either way.
   * @default passport's `data.passport.user`, when it is a string or a whole number
   */
  userId?: (data: Readonly<Record<string, unknown>>) => string | number | undefined;
}

/** Defaults of `expressSessionMigration`. */
export const defaults = Object.freeze({
  /** express-session's own default cookie name. */
  cookieName: "connect.sid",
} as const);

/**
 * Moves users from express-session to tessera without signing anyone out. A request carrying express-session's
 * signed cookie and no valid tessera session gets the old session's data and user as a tessera session (a new
 * random token, hashed at rest), and in the same response the old record is deleted from the old store and the
 * `connect.sid` cookie expired. The signature is checked (exact text, constant time, secrets in order) before the
 * old store is read; a bad signature, an unknown or expired session is an anonymous visitor. The old store failing
 * fails the request closed (`ERR_STORE_UNAVAILABLE`, a 503), like any store.
 *
 * @example
 * import { RedisStore } from "connect-redis";
 * import { expressSessionMigration } from "tessera/migrate";
 *
 * const sessions = createSessions({
 *   secrets: [process.env.SECRET_KEY!],
 *   store: redisStore({ url: process.env.REDIS_URL! }),
 *   migrateFrom: [expressSessionMigration({ store: new RedisStore({ client }), secrets: ["keyboard cat"] })],
 * });
 */
export const expressSessionMigration: MigrationFactory<ExpressSessionMigrationOptions> = (options) => {
  if (options === null || typeof options !== "object") {
    throw new TesseraError("ERR_INVALID_OPTION", "`expressSessionMigration` needs options: { store, secrets }");
  }
  const store = options.store;
  if (store === null || typeof store !== "object" || typeof store.get !== "function" || typeof store.destroy !== "function") {
    throw new TesseraError("ERR_INVALID_OPTION", "`store` must be the express-session store the old app used (with get and destroy)");
  }
  const keys = expressSecrets(options.secrets);
  const cookieName = options.cookieName ?? defaults.cookieName;
  const clearCookies = legacyCookieClearer(cookieName, options.cookie, "cookieName");
  const userIdOf = options.userId ?? passportUser;
  if (typeof userIdOf !== "function") throw new TesseraError("ERR_INVALID_OPTION", "`userId` must be a function of the old session's data");
  /** One process retires one id at a time, so of two requests here exactly one sees the session there. */
  const serialize = createKeyedQueue();

  const read = (sid: string, options: MigrationCallOptions): Promise<unknown> =>
    invoke(options, "get", (callback) => store.get(sid, callback));

  const migration: Migration = {
    name: "express-session",
    cookieNames: [cookieName],
    async load(header, callOptions): Promise<LegacyLookup> {
      // express-session reads the first value under its name (`cookie.parse` keeps the first).
      const raw = readCookieValues(header, cookieName, 1)[0];
      if (!raw) return { status: "none" };
      const verdict = verifyExpressSessionId(decodeCookieValue(raw), keys);
      if ("failure" in verdict) return { status: "rejected", reason: verdict.failure };
      const stored = await read(verdict.id, callOptions);
      if (stored === null || stored === undefined) return { status: "rejected", reason: "unknown_session" };
      if (typeof stored !== "object" || Array.isArray(stored)) return { status: "rejected", reason: "bad_data" };
      if (hasExpired((stored as { cookie?: unknown }).cookie, callOptions.now)) return { status: "rejected", reason: "expired" };
      // A null-prototype copy: a "__proto__" key read from the store stays a key (which the manager then refuses).
      const data = Object.create(null) as Record<string, unknown>;
      for (const key of Object.keys(stored)) {
        if (key !== "cookie") data[key] = (stored as Record<string, unknown>)[key];
      }
      const userId = userIdOf(data);
      const session = { id: verdict.id, data, ...(userId === undefined ? {} : { userId: typeof userId === "number" ? String(userId) : userId }) };
      return { status: "found", session };
    },
    retire(session, callOptions) {
      return serialize(session.id, async () => {
        // express-session stores' destroy does not say whether there was a session: read first.
        const stored = await read(session.id, callOptions);
        if (stored === null || stored === undefined) return false;
        if (callOptions.signal?.aborted) throw new Error("the express-session store call was abandoned");
        await invoke(callOptions, "destroy", (callback) => store.destroy(session.id, callback));
        return true;
      });
    },
    clearCookies,
  };
  return migration;
};

/** passport's binding (`req.session.passport.user`), when it is a string or a whole number. */
function passportUser(data: Readonly<Record<string, unknown>>): string | undefined {
  const passport = data.passport;
  if (passport === null || typeof passport !== "object") return undefined;
  const user = (passport as { user?: unknown }).user;
  if (typeof user === "string") return user;
  return Number.isSafeInteger(user) ? String(user) : undefined;
}

/** Whether express-session's stored `cookie.expires` (a Date, or its JSON text) is at or before `now`. */
function hasExpired(cookie: unknown, now: number): boolean {
  if (cookie === null || typeof cookie !== "object") return false;
  const expires = (cookie as { expires?: unknown }).expires;
  if (expires === null || expires === undefined) return false;
  const at = expires instanceof Date ? expires.getTime() : typeof expires === "string" ? Date.parse(expires) : Number.NaN;
  // An expiry that cannot be read is not trusted to be in the future.
  return Number.isNaN(at) || at <= now;
}

/**
 * Calls one callback-style store method. Settles with its answer, or fails when the manager gives up on the call
 * (its deadline aborts `signal`), so a store that never calls back holds nothing for good. Messages name the
 * operation only, never an id.
 */
function invoke<T>(options: MigrationCallOptions, operation: string, call: (callback: (error?: unknown, value?: unknown) => void) => unknown): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const signal = options.signal;
    let settled = false;
    const done = (error?: unknown, value?: unknown): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener("abort", onAbort);
      if (error) reject(error instanceof Error ? error : new Error(`the express-session store failed on ${operation}`));
      else resolve(value as T);
    };
    const onAbort = (): void => done(new Error(`the express-session store did not answer ${operation} in time`));
    if (signal?.aborted) return onAbort();
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      const returned = call(done);
      // Some stores (connect-redis) also return a promise; one rejecting after the callback must not go unhandled.
      if (returned instanceof Promise) returned.catch((error: unknown) => done(error ?? new Error(`the express-session store failed on ${operation}`)));
    } catch (error) {
      done(error ?? new Error(`the express-session store failed on ${operation}`));
    }
  });
}
