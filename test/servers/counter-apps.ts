// A counter app on each adapter (node:http, Hono, Express 5, Fastify) for the fault tests, with each framework's
// own default error handling, as an application that adds none gets it. Routes:
//   /login?user=U   signIn(U), then set the username      /count      increment the counter; the body is its new value
//   /whoami         {"username","count"} as JSON          /sessions   how many sessions the signed-in user has
//   /logout         destroy() the session

import { serve } from "@hono/node-server";
import express from "express";
import Fastify from "fastify";
import { Hono } from "hono";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Session, Sessions } from "tessera";
import { expressSessions } from "tessera/express";
import { fastifySessions } from "tessera/fastify";
import { honoSessions, type SessionEnv } from "tessera/hono";
import { nodeSessions } from "tessera/node";

/** The counter app's session data. */
export type CounterData = { username?: string; count?: number };

/** A counter app listening on 127.0.0.1. */
export interface CounterApp {
  url: string;
  close(): Promise<void>;
}

/** The routes, written once against a tessera session; each adapter maps them onto its framework. */
async function route(path: string, query: URLSearchParams, session: Session<CounterData>, sessions: Sessions<CounterData>): Promise<{ status: number; body: string }> {
  switch (path) {
    case "/login": {
      const user = query.get("user") ?? "";
      await session.signIn(user);
      session.set("username", user);
      return { status: 200, body: "ok" };
    }
    case "/count":
      session.update("count", (n) => (n ?? 0) + 1);
      return { status: 200, body: String(session.get("count")) };
    case "/whoami":
      return { status: 200, body: JSON.stringify({ username: session.get("username") ?? null, count: session.get("count") ?? 0 }) };
    case "/logout":
      await session.destroy();
      return { status: 200, body: "ok" };
    case "/sessions": {
      if (session.userId === undefined) return { status: 401, body: "sign in first" };
      const list = await sessions.userSessions(session.userId, { current: session });
      return { status: 200, body: String(list.length) };
    }
    default:
      return { status: 404, body: "not found" };
  }
}

const paths = ["/login", "/count", "/whoami", "/sessions", "/logout"];

function listen(server: Server): Promise<CounterApp> {
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        close: () =>
          new Promise((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}

/**
 * The counter app on plain node:http through `tessera/node`.
 *
 * @example
 * const app = await nodeCounterApp(sessions);
 * await fetch(`${app.url}/count`);
 */
export function nodeCounterApp(sessions: Sessions<CounterData>): Promise<CounterApp> {
  const node = nodeSessions(sessions);
  return listen(
    createServer((req, res) => {
      const url = new URL(req.url!, "http://127.0.0.1");
      void node.handler(async (_req, res, session) => {
        const reply = await route(url.pathname, url.searchParams, session, sessions);
        res.statusCode = reply.status;
        res.end(reply.body);
      })(req, res);
    }),
  );
}

/**
 * The counter app on Hono through `tessera/hono`, served by @hono/node-server. No `onError`: Hono's default.
 *
 * @example
 * const app = await honoCounterApp(sessions);
 */
export function honoCounterApp(sessions: Sessions<CounterData>): Promise<CounterApp> {
  const app = new Hono<SessionEnv<CounterData>>();
  app.use(honoSessions(sessions));
  for (const path of paths) {
    app.get(path, async (c) => {
      const reply = await route(path, new URL(c.req.url).searchParams, c.get("session"), sessions);
      return c.text(reply.body, reply.status as 200);
    });
  }
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, (info) => {
      resolve({
        url: `http://127.0.0.1:${info.port}`,
        close: () =>
          new Promise((done) => {
            server.close(() => done());
            (server as Server).closeAllConnections();
          }),
      });
    });
  });
}

/**
 * The counter app on Express 5 through `tessera/express`. No error middleware: Express's final handler.
 *
 * @example
 * const app = await expressCounterApp(sessions);
 */
export function expressCounterApp(sessions: Sessions<CounterData>): Promise<CounterApp> {
  const app = express();
  app.use(expressSessions(sessions));
  for (const path of paths) {
    app.get(path, async (req, res) => {
      // Express 5 passes a rejected handler's error to next(err).
      const reply = await route(path, new URL(req.url, "http://127.0.0.1").searchParams, req.session as unknown as Session<CounterData>, sessions);
      res.status(reply.status).send(reply.body);
    });
  }
  return listen(createServer(app));
}

/**
 * The counter app on Fastify through `tessera/fastify`. No error handler: Fastify's default.
 *
 * @example
 * const app = await fastifyCounterApp(sessions);
 */
export async function fastifyCounterApp(sessions: Sessions<CounterData>): Promise<CounterApp> {
  const fastify = Fastify();
  await fastify.register(fastifySessions, { sessions });
  for (const path of paths) {
    fastify.get(path, async (request, reply) => {
      const result = await route(path, new URL(request.url, "http://127.0.0.1").searchParams, request.session as unknown as Session<CounterData>, sessions);
      return reply.code(result.status).type("text/plain").send(result.body);
    });
  }
  const address = await fastify.listen({ port: 0, host: "127.0.0.1" });
  return { url: address, close: () => fastify.close() };
}

/** Every adapter's counter app, by the name tests print. */
export const counterApps = {
  "node:http": nodeCounterApp,
  Hono: honoCounterApp,
  "Express 5": expressCounterApp,
  Fastify: fastifyCounterApp,
} as const;

/** An adapter's name, as `counterApps` keys them. */
export type AdapterName = keyof typeof counterApps;
