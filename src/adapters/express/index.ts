// Express (4 and 5): `app.use(expressSessions(sessions))`, then `req.session` as express-session's users know it.

import type { IncomingMessage, ServerResponse } from "node:http";
import type { JsonValue, SessionData } from "../../core/data.js";
import { isStoreUnavailable } from "../../core/errors.js";
import { Session } from "../../core/session.js";
import type { SessionManager } from "../../manager/sessions.js";
import { applyChanges, factsOf, holdHead } from "../node-http.js";

/** Callback style of express-session's methods, which passport calls. */
type Callback = (error?: unknown) => void;

/**
 * `req.session` under Express: a tessera `Session` (get, set, update, flash, signIn, ...) whose data can also be
 * read and written as properties, as with express-session (`req.session.views = 1`, `req.session.passport.user`).
 * Objects read as properties may be changed in place; the change is saved at commit.
 */
export type ExpressSession<D extends SessionData = SessionData> = Omit<Session<D>, "regenerate" | "destroy"> &
  Partial<D> & {
    /**
     * express-session's regenerate: the session ends (its record, and its binding to a signed-in user, go at once)
     * and the request goes on with a new, empty one, saved under a new id if data is set. Passport calls it at login
     * and at logout. For a new id that keeps the data and binds a user, use `signIn(userId)`.
     */
    regenerate(callback?: Callback): Promise<void>;
    /** Ends the session on the server, with its user binding; the response clears the cookie. */
    destroy(callback?: Callback): Promise<void>;
    /** Records in-place changes now; the session is written when the response head goes out. */
    save(callback?: Callback): void;
    /** Nothing to do: renewal is decided by the idle-timeout policy. Kept for express-session code. */
    touch(): void;
  };

/**
 * A request whose session holds `D`, for handlers that want the data typed precisely.
 *
 * @example
 * app.get("/", (req: SessionRequest<{ views?: number }>, res) => res.send(String(req.session.views ?? 0)));
 */
export type SessionRequest<D extends SessionData, R = import("express").Request> = Omit<R, "session"> & { session: ExpressSession<D> };

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace -- Express's own extension point for request fields
  namespace Express {
    interface Request {
      /**
       * The tessera session, set by `expressSessions` (tessera/express). Its data is loosely typed here; annotate
       * a handler's request as `SessionRequest<Data>` for your session's exact type.
       */
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- loose so that SessionRequest<Data> handlers fit
      session: ExpressSession<Record<string, any>>;
    }
  }
}

/**
 * The session middleware for Express 4 and 5. The session is committed before the response head is written,
 * however the app ends the response (`res.send`, `res.redirect`, `res.end`, streams). A store that is down
 * while loading goes to `next(err)` with `err.status = 503`; while committing, the response becomes a 503.
 * A response of 500 or more (what Express's error path sends for a thrown error) saves nothing the request did to
 * the session; a destroy stays done.
 *
 * @example
 * app.use(expressSessions(sessions));
 * app.get("/", (req, res) => {
 *   req.session.views = (req.session.views ?? 0) + 1;
 *   res.send(`views: ${req.session.views}`);
 * });
 */
export function expressSessions<D extends SessionData>(
  sessions: SessionManager<D>,
): (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void {
  return (req, res, next) => {
    sessions.loadFrom(factsOf(req, sessions.trustProxy)).then(
      (session) => {
        const view = expressView(session);
        (req as IncomingMessage & { session: unknown }).session = view.session;
        // Express hands a thrown error to the error-handling middleware, out of our sight: the status it answers
        // with is the signal that the request failed.
        holdHead(res, async (failed) => {
          if (failed) {
            applyChanges(res, await sessions.commitHeaders(session, { failed: true }));
            return;
          }
          view.flush();
          applyChanges(res, await sessions.commitHeaders(session));
        });
        next();
      },
      (error: unknown) => {
        if (isStoreUnavailable(error)) Object.assign(error, { status: 503, statusCode: 503, expose: false });
        next(error);
      },
    );
  };
}

/** Names that are the session's API, not data: property access on them reaches the method. */
const api = new Set<PropertyKey>([
  ...Object.getOwnPropertyNames(Session.prototype),
  "save",
  "touch",
  "reload",
  "then",
]);

/**
 * The express-session-shaped view of a tessera session. `flush` writes back objects changed in place.
 */
function expressView<D extends SessionData>(session: Session<D>): { session: object; flush(): void } {
  const loose = session as unknown as Session<SessionData>;
  // Mutable copies of object values handed out as properties, compared with the session at flush.
  const working = new Map<string, unknown>();
  const flush = (): void => {
    for (const [key, value] of working) {
      if (JSON.stringify(value) !== JSON.stringify(loose.get(key))) loose.set(key, value);
    }
    working.clear();
  };
  const methods: Record<string, unknown> = {
    async regenerate(callback?: Callback) {
      try {
        working.clear();
        // A new, empty session: the old one ends with its record and its user binding (as at logout, which passport
        // does through here); data set from now on starts a new session under a new id.
        await session.destroy();
        callback?.();
      } catch (error) {
        if (!callback) throw error;
        callback(error);
      }
    },
    async destroy(callback?: Callback) {
      try {
        working.clear();
        await session.destroy();
        callback?.();
      } catch (error) {
        if (!callback) throw error;
        callback(error);
      }
    },
    save(callback?: Callback) {
      try {
        flush();
      } catch (error) {
        if (!callback) throw error;
        callback(error);
        return;
      }
      if (callback) setImmediate(callback);
    },
    touch() {},
    reload(callback?: Callback) {
      // The data a request sees is the data it loaded; nothing newer is read mid-request.
      if (callback) setImmediate(callback);
    },
    then: undefined,
  };
  const read = (key: string): unknown => {
    if (working.has(key)) return working.get(key);
    const value = loose.get(key);
    if (value === null || typeof value !== "object") return value;
    const copy = structuredClone(value) as JsonValue;
    working.set(key, copy);
    return copy;
  };
  const target = {};
  const proxy = new Proxy(target, {
    get(_target, key) {
      if (typeof key === "symbol") return (session as unknown as Record<symbol, unknown>)[key];
      if (Object.hasOwn(methods, key)) return methods[key];
      if (api.has(key)) {
        const member = (session as unknown as Record<string, unknown>)[key];
        return typeof member === "function" ? member.bind(session) : member;
      }
      return read(key);
    },
    set(_target, key, value) {
      if (typeof key === "symbol" || api.has(key)) return false;
      working.delete(key);
      if (value === undefined) loose.delete(key);
      else loose.set(key, value);
      return true;
    },
    deleteProperty(_target, key) {
      if (typeof key === "symbol" || api.has(key)) return false;
      working.delete(key);
      loose.delete(key);
      return true;
    },
    has(_target, key) {
      return typeof key === "string" && (api.has(key) || loose.has(key));
    },
    ownKeys() {
      return loose.keys();
    },
    getOwnPropertyDescriptor(_target, key) {
      if (typeof key !== "string" || !loose.has(key)) return undefined;
      return { value: read(key), writable: true, enumerable: true, configurable: true };
    },
  });
  return { session: proxy, flush };
}
