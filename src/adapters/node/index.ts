// node:http: load a session from an IncomingMessage and commit it onto a ServerResponse before its head is written.

import type { IncomingMessage, ServerResponse } from "node:http";
import type { TLSSocket } from "node:tls";
import type { SessionData } from "../../core/data.js";
import { isStoreUnavailable, TesseraError } from "../../core/errors.js";
import type { Session } from "../../core/session.js";
import type { RequestFacts, ResponseChanges, Sessions } from "../../manager/sessions.js";

/** A request handler that receives the loaded session; it is committed before the response head goes out. */
export type NodeSessionHandler<D extends SessionData> = (
  req: IncomingMessage,
  res: ServerResponse,
  session: Session<D>,
) => void | Promise<void>;

/** tessera on node:http. */
export interface NodeSessions<D extends SessionData> {
  /** Loads the request's session. Throws `ERR_STORE_UNAVAILABLE` when the store fails. */
  load(req: IncomingMessage): Promise<Session<D>>;
  /** Saves the session and sets its headers on `res`; throws `ERR_HEADERS_SENT` if the head already went out. */
  commit(session: Session<D>, res: ServerResponse): Promise<void>;
  /**
   * Wraps a handler: loads the session, runs the handler, and commits when the handler first writes or ends
   * the response, however it does so. A failing store answers 503; a handler that throws before responding, 500.
   */
  handler(handle: NodeSessionHandler<D>): (req: IncomingMessage, res: ServerResponse) => Promise<void>;
}

/**
 * tessera for plain node:http.
 *
 * @example
 * const node = nodeSessions(sessions);
 * http.createServer(node.handler(async (req, res, session) => {
 *   session.update("visits", (n) => (n ?? 0) + 1);
 *   res.end(`visit ${session.get("visits")}`);
 * }));
 */
export function nodeSessions<D extends SessionData>(sessions: Sessions<D>): NodeSessions<D> {
  const load = (req: IncomingMessage): Promise<Session<D>> => sessions.loadFrom(factsOf(req, sessions.trustProxy));
  const commit = async (session: Session<D>, res: ServerResponse): Promise<void> => {
    if (res.headersSent) {
      throw new TesseraError("ERR_HEADERS_SENT", "the response head was already sent; commit the session before writing");
    }
    applyChanges(res, await sessions.commitHeaders(session));
  };
  return {
    load,
    commit,
    handler(handle) {
      return async (req, res) => {
        let session: Session<D>;
        try {
          session = await load(req);
        } catch (error) {
          respondWithError(res, error);
          return;
        }
        const release = holdHead(res, () => commit(session, res));
        try {
          await handle(req, res, session);
        } catch (error) {
          release.abandon();
          respondWithError(res, error);
        }
      };
    },
  };
}

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
  const vary = res.getHeader("vary");
  const varyText = Array.isArray(vary) ? vary.join(", ") : vary === undefined ? "" : String(vary);
  if (varyText === "") res.setHeader("Vary", "Cookie");
  else if (!/(^|,)\s*(cookie|\*)\s*(,|$)/i.test(varyText)) res.setHeader("Vary", `${varyText}, Cookie`);
  if (changes.setCookie.length > 0) {
    const existing = res.getHeader("set-cookie");
    const list = existing === undefined ? [] : Array.isArray(existing) ? existing : [String(existing)];
    res.setHeader("Set-Cookie", [...list, ...changes.setCookie]);
  }
  if (changes.noStore) res.setHeader("Cache-Control", "no-store");
}

type Held = { method: "writeHead" | "write" | "end"; args: unknown[] };

/**
 * Holds back the response head until `beforeHead` has run: `writeHead`, `write` and `end` are queued from the
 * first call, `beforeHead` runs (it may be async, as a store write is), then the queue is replayed in order.
 * If `beforeHead` fails, the queued response is dropped and an error response sent instead.
 */
function holdHead(res: ServerResponse, beforeHead: () => Promise<void>): { abandon(): void } {
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
function respondWithError(res: ServerResponse, error: unknown): void {
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
