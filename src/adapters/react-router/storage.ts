// createTesseraSessionStorage: React Router's SessionStorage (getSession, commitSession, destroySession) on tessera.

import type { SessionStorage } from "react-router";
import type { SessionData } from "../../core/data.js";
import { TesseraError } from "../../core/errors.js";
import type { Session } from "../../core/session.js";
import type { SessionManager } from "../../manager/sessions.js";
import { routerSession, type TesseraRouterSession } from "./session.js";

/** Options of `createTesseraSessionStorage`. */
export interface TesseraSessionStorageOptions {
  /**
   * Whether requests reach the application over HTTPS. React Router hands a storage only the `Cookie` header, so
   * tessera cannot see the scheme: true issues the Secure cookie under its prefixed name (`__Host-sid`), false the
   * plain one (`sid`), for development over plain http on a host other than localhost (Chrome and Firefox keep
   * Secure cookies from http://localhost).
   * @default true
   */
  secure?: boolean;
  /** The `User-Agent` a signed-in session records for `sessions.userSessions`, when the app has it. @default none */
  userAgent?: string;
}

/** React Router's `SessionStorage` whose sessions also sign in and regenerate (see `TesseraRouterSession`). */
export interface TesseraSessionStorage<Data = Record<string, unknown>, FlashData = Data> extends SessionStorage<Data, FlashData> {
  getSession(cookieHeader?: string | null): Promise<TesseraRouterSession<Data, FlashData>>;
}

/** Frozen defaults of `createTesseraSessionStorage`. */
export const defaults = Object.freeze({ secure: true });

/**
 * React Router's (and Remix's) `SessionStorage`, backed by tessera: loaders and actions keep calling
 * `getSession(request.headers.get("Cookie"))`, `commitSession(session)` and `destroySession(session)`, and get
 * tessera's sealed cookies or store, timeouts, rotation and revocation. `commitSession` saves the session and returns
 * its `Set-Cookie` value, or `""` when nothing changed (a header a browser ignores). The cookie's name, attributes
 * and lifetime are tessera's (`createSessions` options): options passed to `commitSession` and `destroySession`
 * (React Router's `maxAge`, `expires`) are ignored, since the server's timeouts decide. Each session commits once.
 *
 * @example
 * const { getSession, commitSession, destroySession } = createTesseraSessionStorage<{ userId: string }, { error: string }>(sessions);
 * export async function action({ request }: ActionFunctionArgs) {
 *   const session = await getSession(request.headers.get("Cookie"));
 *   await session.signIn(user.id); // new session id: session fixation closed
 *   return redirect("/", { headers: { "Set-Cookie": await commitSession(session) } });
 * }
 */
export function createTesseraSessionStorage<Data = Record<string, unknown>, FlashData = Data>(
  sessions: SessionManager<SessionData>,
  options: TesseraSessionStorageOptions = {},
): TesseraSessionStorage<Data, FlashData> {
  const secure = options.secure ?? defaults.secure;
  const backing = new WeakMap<object, Session<SessionData>>();
  const backingOf = (session: object): Session<SessionData> => {
    const found = backing.get(session);
    if (found === undefined) throw new TesseraError("ERR_INVALID_SESSION_DATA", "this session was not made by this storage's getSession");
    return found;
  };
  const commit = async (session: Session<SessionData>): Promise<string> => (await sessions.commitHeaders(session)).setCookie[0] ?? "";
  return {
    async getSession(cookieHeader) {
      const session = await sessions.loadFrom({ cookie: cookieHeader, secure, userAgent: options.userAgent });
      const wrapped = routerSession<Data, FlashData>(session);
      backing.set(wrapped, session);
      return wrapped;
    },
    commitSession: async (session) => commit(backingOf(session)),
    async destroySession(session) {
      const backed = backingOf(session);
      await backed.destroy();
      return commit(backed);
    },
  };
}
