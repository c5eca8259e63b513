// Fetch API machinery shared by the adapters on it (fetch, hono): request facts from a Request, headers onto a Response.

import { hopsOf } from "../manager/options.js";
import type { ResponseChanges } from "../manager/changes.js";
import type { RequestFacts } from "../manager/sessions.js";
import { forwardedSecure, writeChanges } from "./http.js";

/**
 * What tessera needs from a Fetch API request: the cookie header, whether it came over HTTPS (the connection's
 * scheme when the server knows it, else the URL's; `X-Forwarded-Proto` only from trusted proxies) and its User-Agent.
 *
 * @example
 * factsOf(request, sessions.trustProxy).secure;
 */
export function factsOf(request: Request, trustProxy: boolean | number, connectionSecure?: boolean): RequestFacts {
  const headers = request.headers;
  const secure = forwardedSecure(connectionSecure ?? request.url.startsWith("https:"), headers.get("x-forwarded-proto"), hopsOf(trustProxy));
  return { cookie: headers.get("cookie"), secure, userAgent: headers.get("user-agent") };
}

/**
 * Applies a commit's header changes to a Fetch API response, copying it when its headers are immutable
 * (as `Response.redirect` makes them).
 *
 * @example
 * return applyChanges(response, await sessions.commitHeaders(session));
 */
export function applyChanges(response: Response, changes: ResponseChanges): Response {
  try {
    writeHeaders(response.headers, changes);
    return response;
  } catch {
    const copy = new Response(response.body, { status: response.status, statusText: response.statusText, headers: new Headers(response.headers) });
    writeHeaders(copy.headers, changes);
    return copy;
  }
}

function writeHeaders(headers: Headers, changes: ResponseChanges): void {
  writeChanges(changes, {
    vary: () => headers.get("vary") ?? undefined,
    set: (name, value) => headers.set(name, value),
    appendSetCookie: (values) => {
      for (const value of values) headers.append("set-cookie", value);
    },
  });
}
