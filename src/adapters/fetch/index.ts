// The Fetch API adapter (the root entry's createSessions): `load(request)` and `commit(session, response)`.

import type { DeclaredSessionData, SessionData } from "../../core/data.js";
import type { Session } from "../../core/session.js";
import type { SessionsOptions } from "../../manager/options.js";
import { createSessionManager, type CommitOptions, type SessionManager } from "../../manager/sessions.js";
import { applyChanges, factsOf } from "../fetch-api.js";

/** The object applications use: the session manager with the Fetch API's `load` and `commit`. */
export interface Sessions<D extends SessionData = DeclaredSessionData> extends SessionManager<D> {
  /** Loads the session of a Fetch API request. Throws `ERR_STORE_UNAVAILABLE` when the store fails. */
  load(request: Request): Promise<Session<D>>;
  /**
   * Saves the session and returns the response with `Set-Cookie`, `Vary` and `Cache-Control` added (a copy when
   * its headers are immutable). Pass `{ failed: true }` for a request that failed: nothing but a destroy is saved.
   */
  commit(session: Session<D>, response: Response, options?: CommitOptions): Promise<Response>;
}

/**
 * Creates the sessions object: for Fetch API servers (Hono, Next.js route handlers, Bun, Deno, workers) as it is,
 * and for every framework adapter (`tessera/node`, `tessera/express`, `tessera/fastify`, `tessera/hono`). Checks
 * every option now, so a misconfiguration stops the start, not a request.
 *
 * @example
 * const sessions = createSessions<{ username?: string }>({ secrets: [process.env.SECRET_KEY!] });
 * const session = await sessions.load(request);
 * session.set("username", "alice");
 * return sessions.commit(session, new Response("ok"));
 */
export function createSessions<D extends SessionData = DeclaredSessionData>(options: SessionsOptions<D>): Sessions<D> {
  const manager = createSessionManager<D>(options);
  return Object.assign(manager, {
    load: (request: Request) => manager.loadFrom(factsOf(request, manager.trustProxy)),
    commit: async (session: Session<D>, response: Response, commitOptions?: CommitOptions) =>
      applyChanges(response, await manager.commitHeaders(session, commitOptions)),
  });
}

export { applyChanges, factsOf } from "../fetch-api.js";
