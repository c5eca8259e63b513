// Sessions in Server Actions, Route Handlers and Server Components, read and written through next/headers.

import type { SessionData } from "../../core/data.js";
import { TesseraError } from "../../core/errors.js";
import type { Session } from "../../core/session.js";
import type { CommitOptions, SessionManager } from "../../manager/sessions.js";
import { cookieView, mayWriteCookies, requestFacts, setCookies, type CookieView } from "./request.js";

/** What a Server Component may do with a session: read it. */
export type ReadonlySession<D extends SessionData = SessionData> = Pick<Session<D>, "get" | "has" | "keys" | "userId" | "createdAt" | "isNew">;

/**
 * Sessions loaded in this request, per cookie view (see `cookieView`) and sessions object, so a layout and a page,
 * or an action and the helpers it calls, share one session and one store read.
 */
const loaded = new WeakMap<CookieView, Map<SessionManager<never>, Promise<Session<never>>>>();
/** How to forget a loaded session once it is committed, so a later `getSession` reads what the commit wrote. */
const forgetters = new WeakMap<Session<never>, () => void>();

function readOnly(call: string): TesseraError {
  return new TesseraError(
    "ERR_SESSION_READ_ONLY",
    `${call}: the session is read-only in a Server Component (Next.js sets no cookie while it renders); change it in a Server Action or a Route Handler, with getSession and commitSession, sessionAction or withSession from tessera/next`,
  );
}

async function load<D extends SessionData>(sessions: SessionManager<D>): Promise<Session<D>> {
  const view = await cookieView();
  let bySessions = loaded.get(view);
  if (bySessions === undefined) loaded.set(view, (bySessions = new Map()));
  const key = sessions as unknown as SessionManager<never>;
  let pending = bySessions.get(key) as Promise<Session<D>> | undefined;
  if (pending === undefined) {
    const map = bySessions;
    pending = requestFacts(sessions, view).then((facts) => sessions.loadFrom(facts));
    map.set(key, pending as unknown as Promise<Session<never>>);
    // A failed load (the store is down) is not kept: the next call tries again.
    pending.then(
      (session) => forgetters.set(session as unknown as Session<never>, () => map.delete(key)),
      () => map.delete(key),
    );
  }
  return pending;
}

/**
 * The session of the current request, to read and change in a Server Action or a Route Handler. Calls in one
 * request share one session. Save it with `commitSession` (or let `sessionAction` do it): Next.js has no hook at the
 * end of an action, and after the action has returned no cookie can be set. In a Server Component it throws
 * `ERR_SESSION_READ_ONLY` (use `readSession` there). Throws `ERR_STORE_UNAVAILABLE` when the store fails.
 *
 * @example
 * "use server";
 * export async function addToCart(item: string) {
 *   const session = await getSession(sessions);
 *   session.update("cart", (cart) => [...(cart ?? []), item]);
 *   await commitSession(sessions, session);
 * }
 */
export async function getSession<D extends SessionData>(sessions: SessionManager<D>): Promise<Session<D>> {
  if (!mayWriteCookies()) throw readOnly("getSession");
  return load(sessions);
}

/**
 * Saves a session from `getSession` and sets its cookie through `cookies().set`, with the attributes tessera chose
 * (prefix, Secure, HttpOnly, SameSite, Max-Age and Expires). Call it before the action returns or redirects. Pass
 * `{ failed: true }` when the action failed: nothing but a destroy is saved. Outside a Server Action or Route Handler
 * it throws `ERR_SESSION_READ_ONLY` before anything is written.
 *
 * @example
 * await session.signIn(user.id);
 * await commitSession(sessions, session);
 * redirect("/");
 */
export async function commitSession<D extends SessionData>(sessions: SessionManager<D>, session: Session<D>, options?: CommitOptions): Promise<void> {
  if (!mayWriteCookies()) throw readOnly("commitSession");
  forgetters.get(session as unknown as Session<never>)?.();
  const changes = await sessions.commitHeaders(session, options);
  await setCookies(changes.setCookie);
}

/**
 * The session of the current request, read-only: for Server Components (and anywhere else). A layout and its page
 * share one load. It is never saved, so reading it renews nothing; any change throws `ERR_SESSION_READ_ONLY`
 * naming where to make it, and a flash message is read where it can be consumed (an action or a route handler).
 * Throws `ERR_STORE_UNAVAILABLE` when the store fails.
 *
 * @example
 * export default async function Page() {
 *   const session = await readSession(sessions);
 *   return <p>Hello {session.get("username") ?? "guest"}</p>;
 * }
 */
export async function readSession<D extends SessionData>(sessions: SessionManager<D>): Promise<ReadonlySession<D>> {
  const session = await load(sessions);
  const refuse = (call: string) => () => {
    throw readOnly(`session.${call}`);
  };
  const view = {
    get: (key: keyof D & string) => session.get(key),
    has: (key: keyof D & string) => session.has(key),
    keys: () => session.keys(),
    get userId() {
      return session.userId;
    },
    get createdAt() {
      return session.createdAt;
    },
    get isNew() {
      return session.isNew;
    },
  };
  for (const call of ["set", "update", "delete", "clear", "flash", "readFlash", "signIn", "regenerate", "destroy"]) {
    Object.defineProperty(view, call, { value: refuse(call) });
  }
  return Object.freeze(view) as ReadonlySession<D>;
}
