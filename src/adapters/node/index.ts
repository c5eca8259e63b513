// node:http: load a session from an IncomingMessage and commit it onto a ServerResponse before its head is written.

import type { IncomingMessage, ServerResponse } from "node:http";
import type { SessionData } from "../../core/data.js";
import { TesseraError } from "../../core/errors.js";
import type { Session } from "../../core/session.js";
import type { SessionManager } from "../../manager/sessions.js";
import { applyChanges, factsOf, holdHead, respondWithError } from "../node-http.js";


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
   * A handler that throws, or answers 500 or more, saves nothing it did to the session (a destroy stays done).
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
export function nodeSessions<D extends SessionData>(sessions: SessionManager<D>): NodeSessions<D> {
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
        const held = holdHead(res, async (failed) => {
          if (failed) applyChanges(res, await sessions.commitHeaders(session, { failed: true }));
          else await commit(session, res);
        });
        try {
          await handle(req, res, session);
        } catch (error) {
          held.fail(error);
        }
      };
    },
  };
}

