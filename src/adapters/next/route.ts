// withSession: a Route Handler that receives the session and returns a Response it is committed onto.

import type { SessionData } from "../../core/data.js";
import { isStoreUnavailable } from "../../core/errors.js";
import { sessionState, type Session } from "../../core/session.js";
import type { SessionManager } from "../../manager/sessions.js";
import { applyChanges, factsOf } from "../fetch-api.js";
import { isNextAnswer } from "./control-flow.js";
import { commitSession } from "./session.js";

/** A Route Handler given the session: Next's `(request, context)` plus the session. */
export type SessionRouteHandler<D extends SessionData, C> = (request: Request, session: Session<D>, context: C) => Response | Promise<Response>;

/** Options of `withSession`. */
export interface WithSessionOptions {
  /** The response when the store is down. @default a plain-text 503 with `Retry-After: 5` */
  onUnavailable?: (request: Request) => Response | Promise<Response>;
}

const serviceUnavailable = (): Response =>
  new Response("Service Unavailable", { status: 503, headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store", "retry-after": "5" } });

/**
 * Wraps a Route Handler (Node.js or edge runtime) so it receives the request's session and the session is saved
 * onto the Response it returns: `Set-Cookie`, `Vary: Cookie` and `Cache-Control: no-store` exactly as tessera writes
 * them. A response of 500 or more, or a handler that throws, saves nothing but a destroy; `redirect()` and
 * `notFound()` are answers, and save the session through `cookies()`. A store that is down answers 503.
 *
 * The request's URL is not believed about the scheme: Next serves plain HTTP and writes the URL's scheme from the
 * `X-Forwarded-Proto` a client may have sent, so tessera sees https only through `trustProxy` (or `cookie.secure: true`).
 *
 * @example
 * export const GET = withSession(sessions, async (request, session) => {
 *   const visits = session.update("visits", (n) => (n ?? 0) + 1);
 *   return Response.json({ visits });
 * });
 */
export function withSession<D extends SessionData, C = unknown>(
  sessions: SessionManager<D>,
  handler: SessionRouteHandler<D, C>,
  options: WithSessionOptions = {},
): (request: Request, context: C) => Promise<Response> {
  const unavailable = options.onUnavailable ?? serviceUnavailable;
  return async (request: Request, context: C): Promise<Response> => {
    let session: Session<D>;
    try {
      session = await sessions.loadFrom(factsOf(request, sessions.trustProxy, false));
    } catch (error) {
      if (isStoreUnavailable(error)) return unavailable(request);
      throw error;
    }
    let response: Response;
    try {
      response = await handler(request, session, context);
    } catch (error) {
      if (session[sessionState].committed) throw error;
      const answered = isNextAnswer(error);
      try {
        await commitSession(sessions, session, { failed: !answered });
      } catch (commitError) {
        if (isStoreUnavailable(commitError)) return unavailable(request);
        if (answered) throw commitError;
      }
      if (isStoreUnavailable(error)) return unavailable(request);
      throw error;
    }
    try {
      return applyChanges(response, await sessions.commitHeaders(session, { failed: response.status >= 500 }));
    } catch (error) {
      if (isStoreUnavailable(error)) return unavailable(request);
      throw error;
    }
  };
}
