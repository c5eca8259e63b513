// Express (4 and 5): `app.use(expressSessions(sessions))`, then `req.session` as express-session's users know it.

import type { IncomingMessage, ServerResponse } from "node:http";
import type { DeclaredSessionData, JsonValue, SessionData, TesseraSessionData } from "../../core/data.js";
import { isStoreUnavailable } from "../../core/errors.js";
import { Session } from "../../core/session.js";
import type { SessionManager } from "../../manager/sessions.js";
import { applyChanges, factsOf, holdHead } from "../node-http.js";

/** Callback style of express-session's methods, which passport calls. */
type Callback = (error?: unknown) => void;

/**
 * The session data `req.session` carries under Express: what the app declared in `TesseraSessionData`, or, when it
 * declared nothing, any property (annotate a handler's request as `SessionRequest<Data>` for an exact type).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- loose until declared, so SessionRequest<Data> handlers fit
export type ExpressSessionData = keyof TesseraSessionData extends never ? Record<string, any> : DeclaredSessionData;

/**
 * `req.session.cookie`, as express-session code reads and sets it. The cookie's lifetime is the session's
 * ("remember me"): setting `maxAge` to a number, or `expires` to a date, makes this session's cookie outlast the
 * browser; `maxAge = null` or `expires = false` makes it end when the browser closes (`session.persistent`). The
 * number itself does not change the session's timeouts, which the server enforces: the cookie lives as long as the
 * session (`idleTimeout`, `absoluteTimeout`).
 */
export interface ExpressSessionCookie {
  /** What `maxAge` was when the session was loaded, in milliseconds; `null` for a browser-session cookie. */
  readonly originalMaxAge: number | null;
  /** Milliseconds until the session ends if unused (its cookie's Max-Age); `undefined` for a browser-session cookie. */
  get maxAge(): number | undefined;
  set maxAge(value: number | null | undefined);
  /** When the cookie expires; `null` for a browser-session cookie. */
  get expires(): Date | null;
  set expires(value: Date | boolean | null | undefined);
  /** express-session's `cookie.resetMaxAge()`: nothing to reset, the timeouts renew with each request. */
  resetMaxAge(): void;
}

/**
 * `req.session` under Express: a tessera `Session` (get, set, update, flash, signIn, ...) whose data can also be
 * read and written as properties, as with express-session (`req.session.views = 1`, `req.session.passport.user`),
 * with express-session's `id`, `cookie`, `regenerate`, `destroy`, `reload`, `save`, `touch` and `resetMaxAge`.
 * Objects read as properties may be changed in place; the change is saved at commit. Its type fits where
 * `@types/express-session`'s `req.session` is expected, so both can be installed.
 */
export type ExpressSession<D extends SessionData = ExpressSessionData> = Omit<Session<D>, "regenerate" | "destroy"> &
  Partial<D> & {
    /** The session's id as `sessions.userSessions` lists it (never its token); `""` for a session not saved yet. */
    readonly id: string;
    /** express-session's `req.session.cookie`: this session's cookie lifetime ("remember me"). */
    cookie: ExpressSessionCookie;
    /**
     * express-session's regenerate: the session ends (its record, and its binding to a signed-in user, go at once)
     * and the request goes on with a new, empty one, saved under a new id if data is set. Passport calls it at login
     * and at logout. For a new id that keeps the data and binds a user, use `signIn(userId)`. With a callback it
     * returns the session, as express-session does; without one, a promise.
     */
    regenerate(callback: Callback): ExpressSession<D>;
    regenerate(): Promise<void>;
    /** Ends the session on the server, with its user binding; the response clears the cookie. */
    destroy(callback: Callback): ExpressSession<D>;
    destroy(): Promise<void>;
    /** Records in-place changes now; the session is written when the response head goes out. */
    save(callback?: Callback): ExpressSession<D>;
    /** Nothing to re-read: a request sees the session as it loaded it, and concurrent changes merge at commit. */
    reload(callback: Callback): ExpressSession<D>;
    /** Nothing to do: renewal is decided by the idle-timeout policy (`touchAfter`). Kept for express-session code. */
    touch(): ExpressSession<D>;
    /** Nothing to do: the cookie's Max-Age follows the session's timeouts. Kept for express-session code. */
    resetMaxAge(): ExpressSession<D>;
  };

/**
 * A request whose session holds `D`, for handlers that want the data typed precisely without declaring
 * `TesseraSessionData` for the whole app.
 *
 * @example
 * app.get("/", (req: SessionRequest<{ views?: number }>, res) => res.send(String(req.session.views ?? 0)));
 */
export type SessionRequest<D extends SessionData, R = import("express").Request> = Omit<R, "session"> & { session: ExpressSession<D> };

// Typed on express-serve-static-core's Request (what handlers receive), not on the global `Express.Request`:
// @types/express-session declares `Express.Request.session` with its own type, and a second declaration of the same
// property is TS2717. Here the property overrides the inherited one instead, and ExpressSession fits its type.
declare module "express-serve-static-core" {
  interface Request {
    /**
     * The tessera session, set by `expressSessions` (tessera/express), typed from `TesseraSessionData`. Data read
     * as a property is a working copy (change it in place, it is saved); `get` returns the frozen value.
     */
    session: ExpressSession;
    /** The session's id as `sessions.userSessions` lists it (never its token); `""` for a session not saved yet. */
    sessionID: string;
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
        const target = req as IncomingMessage & { session: unknown; sessionID: string };
        // Plain data properties, as express-session sets them, rather than an accessor defined on every request
        // object. sessionID follows the id wherever it changes: when the session ends, and at commit (a new id
        // after signIn or regenerate).
        const syncId = (): void => {
          target.sessionID = sessions.sessionId(session) ?? "";
        };
        const view = expressView(session, sessions, syncId);
        target.session = view.session;
        syncId();
        // Express hands a thrown error to the error-handling middleware, out of our sight: the status it answers
        // with is the signal that the request failed.
        holdHead(res, async (failed) => {
          if (failed) {
            applyChanges(res, await sessions.commitHeaders(session, { failed: true }));
          } else {
            view.flush();
            applyChanges(res, await sessions.commitHeaders(session));
          }
          syncId();
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
  "id",
  "cookie",
  "save",
  "touch",
  "reload",
  "resetMaxAge",
  "then",
]);

/**
 * One request's express-session-shaped view: the Proxy's target, read by one handler shared by every request, so
 * a request pays for a small object and not for a dozen closures. The working copies, the `cookie` object and the
 * method table are made only when the handler first needs them.
 */
class View {
  /** Mutable copies of object values handed out as properties, compared with the session at flush. */
  working: Map<string, unknown> | undefined;
  cookieView: ExpressSessionCookie | undefined;
  methodTable: Record<string, unknown> | undefined;
  proxy: object = {};
  /** Whether the cookie outlived the browser when the session was loaded (express-session's `originalMaxAge`). */
  readonly persistentAtLoad: boolean;
  readonly loadedAt = Date.now();

  constructor(
    readonly session: Session<SessionData>,
    readonly sessions: SessionManager<SessionData>,
    readonly syncId: () => void,
  ) {
    this.persistentAtLoad = session.persistent;
  }

  flush(): void {
    if (this.working === undefined) return;
    for (const [key, value] of this.working) {
      if (JSON.stringify(value) !== JSON.stringify(this.session.get(key))) this.session.set(key, value as never);
    }
    this.working.clear();
  }

  read(key: string): unknown {
    if (this.working?.has(key)) return this.working.get(key);
    const value = this.session.get(key);
    if (value === null || typeof value !== "object") return value;
    const copy = structuredClone(value) as JsonValue;
    (this.working ??= new Map()).set(key, copy);
    return copy;
  }

  maxAge(now: number): number | undefined {
    return this.session.persistent ? Math.max(0, this.sessions.expiresAt(this.session) - now) : undefined;
  }

  get cookie(): ExpressSessionCookie {
    return (this.cookieView ??= cookieOf(this));
  }

  get methods(): Record<string, unknown> {
    return (this.methodTable ??= methodsOf(this));
  }
}

/** `req.session.cookie` for one view: this session's cookie lifetime, as express-session code reads and sets it. */
function cookieOf(view: View): ExpressSessionCookie {
  const { session, sessions } = view;
  const originalMaxAge = view.persistentAtLoad ? Math.max(0, sessions.expiresAt(session) - view.loadedAt) : null;
  return {
    originalMaxAge,
    get maxAge() {
      return view.maxAge(Date.now());
    },
    set maxAge(value) {
      session.persistent = typeof value === "number" && value > 0;
    },
    get expires() {
      return session.persistent ? new Date(sessions.expiresAt(session)) : null;
    },
    set expires(value) {
      if (value instanceof Date) session.persistent = value.getTime() > Date.now();
      else if (value === false || value === null) session.persistent = false;
    },
    resetMaxAge() {},
  };
}

/** The express-session methods of one view (regenerate, destroy, save, ...), returning the view as it does. */
function methodsOf(view: View): Record<string, unknown> {
  /** express-session's callback style (returns the session) or a promise, for a method that ends the session. */
  const ending = (callback: Callback | undefined): unknown => {
    const done = (async () => {
      view.working?.clear();
      // A new, empty session: the old one ends with its record and its user binding (as at logout, which passport
      // does through here); data set from now on starts a new session under a new id.
      await view.session.destroy();
      view.syncId();
    })();
    if (!callback) return done;
    done.then(() => callback(), callback);
    return view.proxy;
  };
  return {
    regenerate: ending,
    destroy: ending,
    save(callback?: Callback) {
      try {
        view.flush();
      } catch (error) {
        if (!callback) throw error;
        callback(error);
        return view.proxy;
      }
      if (callback) setImmediate(callback);
      return view.proxy;
    },
    touch: () => view.proxy,
    resetMaxAge: () => view.proxy,
    reload(callback?: Callback) {
      // The data a request sees is the data it loaded; nothing newer is read mid-request.
      if (callback) setImmediate(callback);
      return view.proxy;
    },
    then: undefined,
  };
}

/** Names of the view's own methods, answered before data. */
const methodNames = new Set(["regenerate", "destroy", "save", "touch", "resetMaxAge", "reload", "then"]);

const viewHandler: ProxyHandler<View> = {
  get(view, key) {
    if (typeof key === "symbol") return (view.session as unknown as Record<symbol, unknown>)[key];
    if (methodNames.has(key)) return view.methods[key];
    if (key === "id") return view.sessions.sessionId(view.session) ?? "";
    if (key === "cookie") return view.cookie;
    if (api.has(key)) {
      const member = (view.session as unknown as Record<string, unknown>)[key];
      return typeof member === "function" ? member.bind(view.session) : member;
    }
    return view.read(key);
  },
  set(view, key, value) {
    if (key === "persistent") {
      view.session.persistent = value as boolean;
      return true;
    }
    if (typeof key === "symbol" || api.has(key)) return false;
    view.working?.delete(key);
    if (value === undefined) view.session.delete(key);
    else view.session.set(key, value as never);
    return true;
  },
  deleteProperty(view, key) {
    if (typeof key === "symbol" || api.has(key)) return false;
    view.working?.delete(key);
    view.session.delete(key);
    return true;
  },
  has(view, key) {
    return typeof key === "string" && (api.has(key) || view.session.has(key));
  },
  ownKeys(view) {
    return view.session.keys();
  },
  getOwnPropertyDescriptor(view, key) {
    if (typeof key !== "string" || !view.session.has(key)) return undefined;
    return { value: view.read(key), writable: true, enumerable: true, configurable: true };
  },
  // A data property defined on the session (Object.defineProperty, some libraries' copies) is a set; accessors and
  // the session's own API are refused, and nothing lands on the view's own fields.
  defineProperty(view, key, descriptor) {
    if (!("value" in descriptor) || typeof key === "symbol" || api.has(key)) return false;
    return viewHandler.set!(view, key, descriptor.value, view.proxy);
  },
};

/**
 * The express-session-shaped view of a tessera session. `flush` writes back objects changed in place.
 */
function expressView<D extends SessionData>(session: Session<D>, sessions: SessionManager<D>, syncId: () => void): { session: object; flush(): void } {
  const view = new View(session as unknown as Session<SessionData>, sessions as unknown as SessionManager<SessionData>, syncId);
  view.proxy = new Proxy(view, viewHandler);
  return { session: view.proxy, flush: () => view.flush() };
}
