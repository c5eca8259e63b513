// Hono: a middleware that loads the session into `c.get("session")` and commits it on the way out.

import type { Context, MiddlewareHandler } from "hono";
import type { DeclaredSessionData, SessionData } from "../../core/data.js";
import { isStoreUnavailable } from "../../core/errors.js";
import type { Session } from "../../core/session.js";
import type { SessionManager } from "../../manager/sessions.js";
import { applyChanges, factsOf } from "../fetch-api.js";
import { nodeRequestFacts, type NodeHeaders } from "../node-facts.js";
import { hopsOf } from "../../manager/options.js";
import type { RequestFacts } from "../../manager/sessions.js";

/** The Hono environment the middleware provides: `c.get("session")` typed from the session's data. */
export type SessionEnv<D extends SessionData = DeclaredSessionData> = { Variables: { session: Session<D> } };

/**
 * Whether the connection itself is TLS, when the server says (@hono/node-server puts node's request in
 * `c.env.incoming`). A request-target in absolute form (`GET https://host/ HTTP/1.1`) makes the URL say https
 * over a plain connection, so the URL is only the fallback for runtimes that do not expose the connection.
 */
function connectionSecure(c: Context): boolean | undefined {
  const incoming = (c.env as { incoming?: { socket?: { encrypted?: unknown } } } | undefined)?.incoming;
  if (incoming?.socket === undefined) return undefined;
  return incoming.socket.encrypted === true;
}

/** What @hono/node-server passes as `c.env.incoming`: Node's request, with its headers as a plain object. */
interface NodeIncoming {
  headers?: NodeHeaders;
  socket?: { encrypted?: unknown };
}

/**
 * The request's facts straight from Node's request under @hono/node-server, which builds `c.req.raw`'s `Headers`
 * only when something asks for them: reading the three headers here spares every request that cost. `undefined`
 * elsewhere (Bun, Deno, Workers), where the Fetch `Request` is the request.
 */
function nodeFacts(c: Context, trustProxy: boolean | number): RequestFacts | undefined {
  const incoming = (c.env as { incoming?: NodeIncoming } | undefined)?.incoming;
  if (incoming?.headers === undefined || incoming.socket === undefined) return undefined;
  return nodeRequestFacts(incoming.headers, incoming.socket.encrypted === true, hopsOf(trustProxy));
}

/** Options of `honoSessions`. */
export interface HonoSessionsOptions {
  /** The response when the store is down. @default a plain-text 503 */
  onUnavailable?: (c: Context) => Response | Promise<Response>;
}

/**
 * The session middleware for Hono. A store that is down answers 503 (by default), before or after the handler.
 * A handler that throws (the response is Hono's `onError`'s), or a response of 500 or more, saves nothing the request
 * did to the session; a destroy stays done.
 *
 * @example
 * const app = new Hono<SessionEnv<{ username?: string }>>();
 * app.use(honoSessions(sessions));
 * app.get("/", (c) => c.text(`Hello ${c.get("session").get("username") ?? "guest"}`));
 */
export function honoSessions<D extends SessionData>(
  sessions: SessionManager<D>,
  options: HonoSessionsOptions = {},
): MiddlewareHandler<SessionEnv<D>> {
  const unavailable =
    options.onUnavailable ??
    ((c: Context) => c.text("Service Unavailable", 503, { "Cache-Control": "no-store", "Retry-After": "5" }));
  return async (c, next) => {
    let session: Session<D>;
    try {
      session = await sessions.loadFrom(nodeFacts(c, sessions.trustProxy) ?? factsOf(c.req.raw, sessions.trustProxy, connectionSecure(c)));
    } catch (error) {
      if (isStoreUnavailable(error)) return unavailable(c);
      throw error;
    }
    c.set("session", session);
    await next();
    // Hono's compose catches a handler's error, answers with onError and leaves the error on the context.
    const failed = c.error !== undefined || c.res.status >= 500;
    // Hono builds a new response on the headers the handler's response was built on: a redirect's Location and
    // the cookies the handler set would ride along on the 503, which neither redirects nor keeps what the request did.
    const replaced = async (): Promise<Response> => {
      const handled = c.res;
      c.res = undefined;
      const response = await unavailable(c);
      const location = handled.headers.get("location");
      const cookies = new Set(handled.headers.getSetCookie());
      // A copy: the response onUnavailable gave may have immutable headers.
      const copy = new Response(response.body, response);
      if (location !== null && copy.headers.get("location") === location) copy.headers.delete("location");
      const kept = copy.headers.getSetCookie().filter((value) => !cookies.has(value));
      copy.headers.delete("set-cookie");
      for (const value of kept) copy.headers.append("set-cookie", value);
      return copy;
    };
    let response: Response;
    try {
      // A store that failed inside the handler (destroy, userSessions) answers 503 like one that failed here,
      // not the 500 an app's onError would give an unknown error.
      const base = isStoreUnavailable(c.error) ? await replaced() : c.res;
      response = applyChanges(base, await sessions.commitHeaders(session, { failed }));
    } catch (error) {
      if (!(isStoreUnavailable(error))) throw error;
      response = await replaced();
    }
    if (response !== c.res) {
      // Assigning over a response makes Hono merge the old one's headers in; clear it first.
      c.res = undefined;
      c.res = response;
    }
  };
}
