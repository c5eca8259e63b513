// Flask-Session (Redis backend) to tessera: the session cookie's id checked, its Redis record decoded once, then deleted.

import { TesseraError } from "../core/errors.js";
import type { LegacyLookup, Migration, MigrationFactory } from "../core/migration.js";
import { readCookieValues } from "../cookie/parse.js";
import { decodeFlaskSessionRecord } from "./flask-session-record.js";
import { flaskSessionKeys, verifyFlaskSessionId } from "./flask-session-signer.js";
import { legacyCookieClearer, type LegacyCookieOptions } from "./legacy-cookie.js";

/**
 * What the migration needs of a Redis client: `get` and `del`. A node-redis v5 client is used with its binary type
 * mapping (`withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer })`), applied here, since msgpack records are bytes.
 */
export interface FlaskSessionRedis {
  get(key: string): Promise<unknown>;
  del(key: string): Promise<unknown>;
  withTypeMapping?(mapping: Record<number, unknown>): FlaskSessionRedis;
}

/** Options of `flaskSessionMigration`: the Flask app's Flask-Session settings. */
export interface FlaskSessionMigrationOptions {
  /** A connected Redis client on the Flask app's Redis (`SESSION_REDIS`). Yours: it is never closed here. */
  redis: FlaskSessionRedis;
  /** The Flask app's `SECRET_KEY` (a list: all verify, in order). Needed with `useSigner`. */
  secretKey?: string | readonly string[];
  /** `SESSION_USE_SIGNER`: the cookie is `<sid>.<signature>`. Without it the bare id is the credential. @default false */
  useSigner?: boolean;
  /** `SESSION_KEY_PREFIX`. @default "session:" */
  keyPrefix?: string;
  /** `SESSION_COOKIE_NAME`. @default "session" */
  cookieName?: string;
  /** `SESSION_COOKIE_PATH` (or `APPLICATION_ROOT`) and `SESSION_COOKIE_DOMAIN`, so the old cookie can be deleted. */
  cookie?: LegacyCookieOptions;
  /**
   * The user an old session is signed in to. @default Flask-Login's `data._user_id`, when it is a string or a whole number
   */
  userId?: (data: Readonly<Record<string, unknown>>) => string | number | undefined;
}

/** Defaults of `flaskSessionMigration`. */
export const defaults = Object.freeze({
  keyPrefix: "session:",
  cookieName: "session",
  useSigner: false,
} as const);

/** node-redis's RESP type of a bulk string (`RESP_TYPES.BLOB_STRING`, the `$` byte), mapped to Buffer. */
const blobString = 36;

/**
 * A session id Flask-Session made: 0.8's `secrets.token_urlsafe(32)` (43 characters, or `SESSION_ID_LENGTH`) or
 * 0.3's `uuid4()` (36 with dashes). Anything else is refused before a Redis key is built from it.
 */
const sessionIdRegExp = /^[A-Za-z0-9_-]{16,256}$/;

/**
 * Moves users from a Flask app with Flask-Session (Redis backend) to tessera, for a TypeScript service taking over
 * its cookie. Reads 0.8's msgpack records (and JSON ones); refuses pickled records (0.3, or 0.8's pickle fallback)
 * with the reason `unsupported_format`, without reading them. With `useSigner`, the cookie's signature
 * (itsdangerous, salt "flask-session") is checked before Redis is read. Flask's `_permanent` is not carried over;
 * Flask-Login's `_user_id` binds the user.
 *
 * @example
 * import { createClient } from "redis";
 * const redis = await createClient({ url: process.env.FLASK_REDIS_URL }).connect();
 * createSessions({ secrets, store, migrateFrom: [flaskSessionMigration({ redis, secretKey: process.env.FLASK_SECRET_KEY, useSigner: true })] });
 */
export const flaskSessionMigration: MigrationFactory<FlaskSessionMigrationOptions> = (options) => {
  if (options === null || typeof options !== "object") throw new TesseraError("ERR_INVALID_OPTION", "`flaskSessionMigration` needs options: { redis, secretKey }");
  const given = options.redis;
  if (given === null || typeof given !== "object" || typeof given.get !== "function" || typeof given.del !== "function") {
    throw new TesseraError("ERR_INVALID_OPTION", "`redis` must be a connected Redis client (with get and del)");
  }
  const redis = typeof given.withTypeMapping === "function" ? given.withTypeMapping({ [blobString]: Buffer }) : given;
  const useSigner = options.useSigner ?? defaults.useSigner;
  if (useSigner && options.secretKey === undefined) throw new TesseraError("ERR_INVALID_OPTION", "`secretKey` is needed with `useSigner`");
  const keys = options.secretKey === undefined ? undefined : flaskSessionKeys(options.secretKey);
  const keyPrefix = options.keyPrefix ?? defaults.keyPrefix;
  if (typeof keyPrefix !== "string") throw new TesseraError("ERR_INVALID_OPTION", "`keyPrefix` must be a string");
  const cookieName = options.cookieName ?? defaults.cookieName;
  const clearCookies = legacyCookieClearer(cookieName, options.cookie, "cookieName");
  const userIdOf = options.userId ?? flaskLoginUser;
  if (typeof userIdOf !== "function") throw new TesseraError("ERR_INVALID_OPTION", "`userId` must be a function of the old session's data");

  return {
    name: "flask-session",
    cookieNames: [cookieName],
    async load(header): Promise<LegacyLookup> {
      const raw = readCookieValues(header, cookieName, 1)[0];
      if (!raw) return { status: "none" };
      const sid = useSigner ? verifyFlaskSessionId(raw, keys!) : raw;
      if (sid === undefined) return { status: "rejected", reason: raw.includes(".") ? "bad_signature" : "malformed" };
      if (!sessionIdRegExp.test(sid)) return { status: "rejected", reason: "malformed" };
      const stored = await redis.get(keyPrefix + sid);
      if (stored === null || stored === undefined) return { status: "rejected", reason: "unknown_session" };
      const bytes = typeof stored === "string" ? Buffer.from(stored, "utf8") : stored instanceof Uint8Array ? stored : undefined;
      if (bytes === undefined) return { status: "rejected", reason: "bad_data" };
      const decoded = await decodeFlaskSessionRecord(bytes);
      if ("failure" in decoded) return { status: "rejected", reason: decoded.failure };
      // A null-prototype copy: a "__proto__" key from a JSON record stays a key (which the manager then refuses).
      const data = Object.create(null) as Record<string, unknown>;
      for (const key of Object.keys(decoded.data)) {
        if (key !== "_permanent") data[key] = decoded.data[key];
      }
      const userId = userIdOf(data);
      return { status: "found", session: { id: sid, data, ...(userId === undefined ? {} : { userId: typeof userId === "number" ? String(userId) : userId }) } };
    },
    async retire(session) {
      // DEL answers how many keys went: of two requests, exactly one removes it.
      return Number(await redis.del(keyPrefix + session.id)) > 0;
    },
    clearCookies,
  } satisfies Migration;
};

/** Flask-Login's binding (`session["_user_id"]`), when it is a string or a whole number. */
function flaskLoginUser(data: Readonly<Record<string, unknown>>): string | undefined {
  const user = data._user_id;
  if (typeof user === "string") return user;
  return Number.isSafeInteger(user) ? String(user) : undefined;
}
