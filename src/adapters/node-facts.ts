// A request's facts from Node's header object, without importing anything of Node's: shared by the node:http
// adapters and by Hono on @hono/node-server (which must still build for Workers).

import type { RequestFacts } from "../manager/sessions.js";
import { forwardedSecure } from "./http.js";

/** A request's headers as Node keeps them (`req.headers`): lower-case names, repeated ones as a list. */
export type NodeHeaders = Readonly<Record<string, string | string[] | undefined>>;

/**
 * The request's facts from Node's header object and whether its socket is TLS, with `hops` trusted proxies: for
 * node:http and its frameworks, and for Hono on @hono/node-server, which hands Node's request over beside its own.
 *
 * @example
 * const facts = nodeRequestFacts(req.headers, socket.encrypted === true, 1);
 */
export function nodeRequestFacts(headers: NodeHeaders, encrypted: boolean, hops: number): RequestFacts {
  const forwarded = headers["x-forwarded-proto"];
  const cookie = headers.cookie;
  const userAgent = headers["user-agent"];
  return {
    cookie: Array.isArray(cookie) ? cookie.join("; ") : cookie,
    secure: forwardedSecure(encrypted, Array.isArray(forwarded) ? forwarded.join(",") : forwarded, hops),
    userAgent: Array.isArray(userAgent) ? userAgent[0] : userAgent,
  };
}
