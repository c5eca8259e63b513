// node:http machinery shared by the adapters on it (node, express, fastify): request facts, response headers,
// and holding the response head back until the session is committed.

import type { IncomingMessage, ServerResponse } from "node:http";
import type { TLSSocket } from "node:tls";
import { isStoreUnavailable } from "../core/errors.js";
import { varyWithCookie, type RequestFacts, type ResponseChanges } from "../manager/sessions.js";

/**
 * What tessera needs from a node:http request: its Cookie header, whether it came over TLS (or, from a
 * trusted proxy, `X-Forwarded-Proto: https`) and its User-Agent.
 *
 * @example
 * const session = await sessions.loadFrom(factsOf(req, false));
 */
export function factsOf(req: IncomingMessage, trustProxy: boolean): RequestFacts {
  let secure = (req.socket as TLSSocket).encrypted === true;
  if (trustProxy) {
    const forwarded = req.headers["x-forwarded-proto"];
    const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(",")[0]?.trim().toLowerCase();
    if (first) secure = first === "https";
  }
  return { cookie: req.headers.cookie, secure, userAgent: req.headers["user-agent"] };
}

/**
 * Sets a commit's headers on a node:http response, keeping any `Set-Cookie` the application set.
 *
 * @example
 * applyChanges(res, await sessions.commitHeaders(session));
 */
export function applyChanges(res: ServerResponse, changes: ResponseChanges): void {
  const current = res.getHeader("vary");
  const vary = varyWithCookie(Array.isArray(current) ? current.join(", ") : current === undefined ? undefined : String(current));
  if (vary !== undefined) res.setHeader("Vary", vary);
  if (changes.setCookie.length > 0) {
    const existing = res.getHeader("set-cookie");
    const list = existing === undefined ? [] : Array.isArray(existing) ? existing : [String(existing)];
    res.setHeader("Set-Cookie", [...list, ...changes.setCookie]);
  }
  if (changes.noStore) res.setHeader("Cache-Control", "no-store");
}

/** A call held back until the session is committed. */
type Held = { method: "writeHead" | "write" | "end"; args: unknown[] };

/**
 * Holds back the response head until `beforeHead` has run: `writeHead`, `write` and `end` are queued from the
 * first call, `beforeHead` runs (it may be async, as a store write is), then the queue is replayed in order.
 * If `beforeHead` fails, the queued response is dropped and an error response sent instead.
 */
export function holdHead(res: ServerResponse, beforeHead: () => Promise<void>): { abandon(): void } {
  const original = { writeHead: res.writeHead, write: res.write, end: res.end };
  const queue: Held[] = [];
  let started = false;
  const restore = (): void => {
    res.writeHead = original.writeHead;
    res.write = original.write;
    res.end = original.end;
  };
  const flush = async (): Promise<void> => {
    try {
      await beforeHead();
    } catch (error) {
      restore();
      respondWithError(res, error);
      return;
    }
    restore();
    for (const held of queue) (original[held.method] as (...args: unknown[]) => unknown).apply(res, held.args);
  };
  const hold = (method: Held["method"]) =>
    function (this: ServerResponse, ...args: unknown[]) {
      queue.push({ method, args });
      if (method !== "writeHead" && !started) {
        started = true;
        void flush();
      }
      return method === "write" ? true : res;
    };
  res.writeHead = hold("writeHead") as ServerResponse["writeHead"];
  res.write = hold("write") as ServerResponse["write"];
  res.end = hold("end") as ServerResponse["end"];
  return {
    abandon() {
      queue.length = 0;
      restore();
    },
  };
}

/** 503 for a store that is down, 500 for anything else; never a stack trace or a message that could echo input. */
export function respondWithError(res: ServerResponse, error: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const unavailable = isStoreUnavailable(error);
  for (const name of res.getHeaderNames()) res.removeHeader(name);
  res.statusCode = unavailable ? 503 : 500;
  res.setHeader("Content-Type", "text/plain; charset=utf-8");
  res.setHeader("Cache-Control", "no-store");
  if (unavailable) res.setHeader("Retry-After", "5");
  res.end(unavailable ? "Service Unavailable\n" : "Internal Server Error\n");
}
