// Fastify: a plugin that loads `request.session` in onRequest and commits it in onSend, before the head goes out.

import type { FastifyInstance, FastifyPluginAsync, FastifyReply } from "fastify";
import type { DeclaredSessionData } from "../../core/data.js";
import { isStoreUnavailable } from "../../core/errors.js";
import type { Session as TesseraSession } from "../../core/session.js";
import type { ResponseChanges } from "../../manager/changes.js";
import type { SessionManager } from "../../manager/sessions.js";
import { joined, writeChanges } from "../http.js";
import { factsOf } from "../node-http.js";

/** Options of the `fastifySessions` plugin. */
export interface FastifySessionsOptions {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any data type: the plugin only moves sessions
  sessions: SessionManager<any>;
}

declare module "fastify" {
  interface FastifyRequest {
    /**
     * The tessera session, set by the `fastifySessions` plugin (tessera/fastify), typed from the data the app
     * declared in `TesseraSessionData` (any JSON when it declared none).
     */
    session: TesseraSession<DeclaredSessionData>;
  }
}

/**
 * The session plugin for Fastify 4 and 5. A store that is down answers 503 through Fastify's error handler.
 * A request that fails (its error reaches Fastify's error handler), or a response of 500 or more, saves nothing the
 * request did to the session; a destroy stays done.
 *
 * @example
 * await fastify.register(fastifySessions, { sessions });
 * fastify.get("/", async (request) => `Hello ${request.session.get("username") ?? "guest"}`);
 */
export const fastifySessions: FastifyPluginAsync<FastifySessionsOptions> = Object.assign(
  async (fastify: FastifyInstance, options: FastifySessionsOptions) => {
    const { sessions } = options;
    fastify.decorateRequest("session", null as unknown as TesseraSession<DeclaredSessionData>);
    // Per request: its error reached the error handler ("failed"), or its session went through onSend ("sent").
    const outcome = new WeakMap<object, "failed" | "sent">();
    fastify.addHook("onError", async (request) => {
      if (!outcome.has(request)) outcome.set(request, "failed");
    });
    fastify.addHook("onRequest", async (request) => {
      try {
        request.session = await sessions.loadFrom(factsOf(request.raw, sessions.trustProxy));
      } catch (error) {
        throw asHttpError(error);
      }
    });
    fastify.addHook("onSend", async (request, reply, payload) => {
      const session = request.session;
      if (!session) return payload;
      const seen = outcome.get(request);
      outcome.set(request, "sent");
      let changes: ResponseChanges;
      try {
        // "sent": this is the error response for a commit that failed in an earlier onSend.
        if (seen === "sent") changes = { setCookie: [], vary: true, noStore: true };
        else if (seen === "failed" || reply.statusCode >= 500) changes = await sessions.commitHeaders(session, { failed: true });
        else changes = await sessions.commitHeaders(session);
      } catch (error) {
        throw asHttpError(error);
      }
      applyChanges(reply, changes);
      return payload;
    });
  },
  {
    // What fastify-plugin sets: the plugin decorates the parent scope rather than an encapsulated child.
    [Symbol.for("skip-override")]: true,
    [Symbol.for("fastify.display-name")]: "tessera",
  },
);

function applyChanges(reply: FastifyReply, changes: ResponseChanges): void {
  writeChanges(changes, {
    vary: () => joined(reply.getHeader("vary")),
    set: (name, value) => void reply.header(name, value),
    appendSetCookie: (values) => {
      // Fastify appends Set-Cookie values rather than replacing them.
      for (const value of values) reply.header("set-cookie", value);
    },
  });
}

function asHttpError(error: unknown): unknown {
  if (isStoreUnavailable(error)) Object.assign(error, { statusCode: 503 });
  return error;
}
