// The rule every adapter keeps when a handler fails: nothing the request did to its session is saved.

import type { SessionData } from "../core/data.js";
import { sessionState, type Session } from "../core/session.js";
import type { ResponseChanges, Sessions } from "../manager/sessions.js";

/**
 * What the response of a failed request carries instead of a commit: no store write and no `Set-Cookie`, so
 * nothing the handler set, signed in or regenerated is kept, but `Vary: Cookie` and `Cache-Control: no-store`.
 * One thing is never rolled back: a session the request destroyed stays ended (its record went when `destroy()` was
 * called), and the response still clears its cookie, which in cookie mode is the only way it ends. Data set after
 * the destroy is dropped with the rest.
 *
 * @example
 * const changes = failed ? await failedChanges(sessions, session) : await sessions.commitHeaders(session);
 */
export async function failedChanges<D extends SessionData>(sessions: Sessions<D>, session: Session<D>): Promise<ResponseChanges> {
  const state = session[sessionState];
  if (!state.destroyed || state.committed) return { setCookie: [], vary: true, noStore: true };
  // Destroying again drops whatever was set after the first destroy, and touches no store: the id is already gone.
  await session.destroy();
  return { ...(await sessions.commitHeaders(session)), noStore: true };
}
