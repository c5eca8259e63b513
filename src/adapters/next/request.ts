// A Next.js request through next/headers: the facts tessera reads (cookies(), headers()) and the cookies it sets.

import { cookies, headers } from "next/headers.js";
import { workUnitAsyncStorage } from "next/dist/server/app-render/work-unit-async-storage.external.js";
import type { RequestFacts, SessionManager } from "../../manager/sessions.js";
import { maxChunks } from "../../manager/cookie-chunks.js";
import { forwardedSecure } from "../http.js";
import { nextCookieOf, type NextCookie } from "./set-cookie.js";

/** The part of Next's cookie view tessera reads (`cookies()` in every phase). */
export interface CookieView {
  get(name: string): { value: string } | undefined;
}

/**
 * The values sent under `name` in a raw `Cookie` header, in order.
 *
 * @example
 * sentValues("a=1; sid=x; sid=y", "sid"); // ["x", "y"]
 */
function sentValues(header: string, name: string): string[] {
  const values: string[] = [];
  for (const pair of header.split(";")) {
    const eq = pair.indexOf("=");
    if (eq !== -1 && pair.slice(0, eq).trim() === name) values.push(pair.slice(eq + 1).trim());
  }
  return values;
}

/**
 * The `Cookie` header tessera reads in Next.js. It is the request's own header (every value a browser sent under
 * the session cookie's names, which tessera tries in order), unless Next's cookie view says otherwise for one of
 * those names: a Server Action wrote the cookie and the page now renders in the same request, or a middleware set
 * it. Then the view's value, the one the rest of the request sees, replaces what was sent.
 *
 * @example
 * cookieHeaderOf("sid=old; theme=dark", { get: () => ({ value: "new" }) }, ["sid"]); // "sid=new; theme=dark"
 */
export function cookieHeaderOf(sent: string | null, view: CookieView, names: readonly string[]): string | null {
  const header = sent ?? "";
  const changed = names.filter((name) => {
    const current = view.get(name)?.value;
    const values = sentValues(header, name);
    return current === undefined ? values.length > 0 : !values.includes(current);
  });
  if (changed.length === 0) return sent;
  const kept = header.split(";").filter((pair) => !changed.includes(pair.slice(0, Math.max(0, pair.indexOf("="))).trim()));
  const current = changed.flatMap((name) => {
    const value = view.get(name)?.value;
    return value ? [`${name}=${value}`] : [];
  });
  return [...current, ...kept.map((pair) => pair.trim()).filter((pair) => pair !== "")].join("; ");
}

/**
 * Whether this part of the request may write cookies: a Server Action or a Route Handler, not a Server Component's
 * render. Next's own rule (`cookies().set` throws outside the "action" phase), asked before any store write.
 */
export function mayWriteCookies(): boolean {
  // Next's request store, from the ".external" module Next keeps one instance of across its bundles (the phase is
  // not public API; `next` >= 16 is the peer range this is tested on).
  const store = workUnitAsyncStorage.getStore();
  return store?.type !== "request" || store.phase === "action";
}

/**
 * The session cookie's names, Secure and plain, each with its chunks' names (`cookie.chunks`: `sid.0`, `sid.1`, ...),
 * so a chunked session a Server Action wrote is read back whole by the page rendered after it.
 *
 * @example
 * sessionCookieNames(sessions); // ["__Host-sid", "sid", "__Host-sid.0", "sid.0", ...]
 */
export function sessionCookieNames(sessions: Pick<SessionManager, "cookieName" | "plainCookieName">): string[] {
  const bases = sessions.cookieName === sessions.plainCookieName ? [sessions.cookieName] : [sessions.cookieName, sessions.plainCookieName];
  const names = [...bases];
  for (let index = 0; index < maxChunks; index++) for (const base of bases) names.push(`${base}.${index}`);
  return names;
}

/** What `requestFacts` needs of the sessions object. */
export type CookieNames = Pick<SessionManager, "cookieName" | "plainCookieName" | "trustProxy">;

/**
 * The current request's cookie view: one object for the whole of a Server Component render, another (also one)
 * for a Server Action or Route Handler, and a new one when a page renders after an action wrote cookies.
 *
 * @example
 * const view = await cookieView();
 */
export async function cookieView(): Promise<CookieView> {
  return cookies();
}

/**
 * The request facts of the current Next.js request, from `cookies()` and `headers()`. Next serves plain HTTP and
 * fills `X-Forwarded-Proto` itself only when the client sent none, so the scheme is https only through `trustProxy`
 * (a TLS proxy in front, as on Vercel) or `cookie.secure: true`.
 *
 * @example
 * const facts = await requestFacts(sessions, await cookieView());
 */
export async function requestFacts(sessions: CookieNames, view: CookieView): Promise<RequestFacts> {
  const headerList = await headers();
  const cookie = cookieHeaderOf(headerList.get("cookie"), view, sessionCookieNames(sessions));
  const secure = forwardedSecure(false, headerList.get("x-forwarded-proto"), sessions.trustProxy);
  return { cookie, secure, userAgent: headerList.get("user-agent") };
}

/**
 * Writes a commit's `Set-Cookie` values through `cookies().set`, with the attributes tessera chose.
 *
 * @example
 * await setCookies((await sessions.commitHeaders(session)).setCookie);
 */
export async function setCookies(values: readonly string[]): Promise<void> {
  if (values.length === 0) return;
  // Every value is read back before any is set, so one Next cannot write sets none rather than some.
  const cookieList = values.map(nextCookieOf);
  const view = (await cookies()) as unknown as { set(cookie: NextCookie): unknown };
  for (const cookie of cookieList) view.set(cookie);
}
