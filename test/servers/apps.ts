// The same small app on every adapter (node:http, Hono, Express 5, Express 4, Fastify), each listening on
// 127.0.0.1, for the adapter conformance suite. Routes:
//   /login?user=U    signIn(U) and set username      /whoami         the username or "anonymous"
//   /flash?msg=M     leave a flash message           /read-flash     read it once, or "none"
//   /regenerate      a new id, then a key set                       /destroy        end the session
//   /set?key=K&value=V  (after 50 ms, so concurrent requests overlap)   /get?key=K
//   /plain           never touches the session       /redirect       set a key, then 303 to /whoami
//   /set-then-fail?key=K&value=V   set a key, then throw    /set-then-500?key=K&value=V   set a key, answer 500
//   /signin-then-fail?user=U       signIn(U), then throw    /destroy-then-fail            destroy, set a key, throw
//   /set-then-fail-400?key=K&value=V   set a key, then throw an error whose status is 400

import { serve } from "@hono/node-server";
import express5 from "express";
import express4 from "express4";
import Fastify from "fastify";
import { Hono } from "hono";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Session, Sessions } from "tessera";
import { expressSessions } from "tessera/express";
import { fastifySessions } from "tessera/fastify";
import { honoSessions, type SessionEnv } from "tessera/hono";
import { nodeSessions } from "tessera/node";

export type Data = { username?: string; [key: string]: unknown };

export interface RunningApp {
  url: string;
  close(): Promise<void>;
}

type Reply = { status?: number; body?: string; location?: string };

/** The routes, written once against a tessera session; each adapter below maps them onto its framework. */
async function route(path: string, query: URLSearchParams, session: Session<Data>): Promise<Reply> {
  switch (path) {
    case "/login":
      await session.signIn(query.get("user")!);
      session.set("username", query.get("user")!);
      return { body: "ok" };
    case "/whoami":
      return { body: session.get("username") ?? "anonymous" };
    case "/flash":
      session.flash("notice", query.get("msg"));
      return { body: "ok" };
    case "/read-flash":
      return { body: String(session.readFlash("notice") ?? "none") };
    case "/regenerate":
      // Express keeps express-session's meaning (a new, empty session, bound to no user); the others keep the data
      // and the user.
      await session.regenerate();
      session.set("regenerated", "yes");
      return { body: "ok" };
    case "/destroy":
      await session.destroy();
      return { body: "ok" };
    case "/set":
      await new Promise((resolve) => setTimeout(resolve, 50));
      session.set(query.get("key")!, query.get("value"));
      return { body: "ok" };
    case "/get":
      return { body: String(session.get(query.get("key")!) ?? "none") };
    case "/redirect":
      session.set("redirected", "yes");
      return { status: 303, location: "/whoami" };
    case "/set-then-fail":
      session.set(query.get("key")!, query.get("value"));
      throw new Error("handler failed");
    case "/set-then-fail-400":
      session.set(query.get("key")!, query.get("value"));
      throw Object.assign(new Error("bad request"), { status: 400, statusCode: 400 });
    case "/set-then-500":
      session.set(query.get("key")!, query.get("value"));
      return { status: 500, body: "failed" };
    case "/signin-then-fail":
      await session.signIn(query.get("user")!);
      session.set("username", query.get("user")!);
      throw new Error("handler failed");
    case "/destroy-then-fail":
      await session.destroy();
      session.set("after", "destroy");
      throw new Error("handler failed");
    default:
      return { status: 404, body: "not found" };
  }
}

const paths = [
  "/login",
  "/whoami",
  "/flash",
  "/read-flash",
  "/regenerate",
  "/destroy",
  "/set",
  "/get",
  "/redirect",
  "/set-then-fail",
  "/set-then-fail-400",
  "/set-then-500",
  "/signin-then-fail",
  "/destroy-then-fail",
];

function listen(server: Server): Promise<RunningApp> {
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        close: () => new Promise((done) => server.close(() => done())),
      });
    });
  });
}

export async function nodeApp(sessions: Sessions<Data>): Promise<RunningApp> {
  const node = nodeSessions(sessions);
  const plain = (res: import("node:http").ServerResponse) => res.end("plain");
  return listen(
    createServer((req, res) => {
      const url = new URL(req.url!, "http://127.0.0.1");
      // /plain is served without loading the session at all.
      if (url.pathname === "/plain") return plain(res);
      void node.handler(async (_req, res, session) => {
        const reply = await route(url.pathname, url.searchParams, session);
        if (reply.location) res.setHeader("location", reply.location);
        res.statusCode = reply.status ?? 200;
        res.end(reply.body ?? "");
      })(req, res);
    }),
  );
}

export async function honoApp(sessions: Sessions<Data>): Promise<RunningApp> {
  const app = new Hono<SessionEnv<Data>>();
  app.get("/plain", (c) => c.text("plain"));
  app.onError((error, c) => {
    const status = (error as { status?: number }).status ?? 500;
    return c.text(status === 400 ? "Bad Request" : "Internal Server Error", status as 400 | 500);
  });
  app.use(honoSessions(sessions));
  for (const path of paths) {
    app.get(path, async (c) => {
      const reply = await route(path, new URL(c.req.url).searchParams, c.get("session"));
      if (reply.location) return c.redirect(reply.location, 303);
      return c.text(reply.body ?? "", (reply.status ?? 200) as 200);
    });
  }
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, (info) => {
      resolve({
        url: `http://127.0.0.1:${info.port}`,
        close: () => new Promise((done) => server.close(() => done())),
      });
    });
  });
}

function expressApp(express: typeof express5) {
  return async (sessions: Sessions<Data>): Promise<RunningApp> => {
    const app = express();
    app.get("/plain", (_req, res) => {
      res.send("plain");
    });
    app.use(expressSessions(sessions));
    for (const path of paths) {
      app.get(path, (req, res, next) => {
        route(path, new URL(req.url, "http://127.0.0.1").searchParams, req.session as unknown as Session<Data>).then((reply) => {
          if (reply.location) res.redirect(303, reply.location);
          else res.status(reply.status ?? 200).send(reply.body ?? "");
        }, next);
      });
    }
    app.use((error: { status?: number }, _req: unknown, res: import("express").Response, _next: unknown) => {
      res.status(error.status ?? 500).send(error.status === 503 ? "Service Unavailable" : "Internal Server Error");
    });
    return listen(createServer(app));
  };
}

export const express5App = expressApp(express5);
export const express4App = expressApp(express4 as unknown as typeof express5);

export async function fastifyApp(sessions: Sessions<Data>): Promise<RunningApp> {
  const fastify = Fastify();
  await fastify.register(async (scope) => {
    scope.get("/plain", async () => "plain");
  });
  await fastify.register(async (scope) => {
    await scope.register(fastifySessions, { sessions });
    for (const path of paths) {
      scope.get(path, async (request, reply) => {
        const result = await route(path, new URL(request.url, "http://127.0.0.1").searchParams, request.session as unknown as Session<Data>);
        if (result.location) return reply.redirect(result.location, 303);
        return reply.code(result.status ?? 200).type("text/plain").send(result.body ?? "");
      });
    }
  });
  const address = await fastify.listen({ port: 0, host: "127.0.0.1" });
  return { url: address, close: () => fastify.close() };
}

export const adapters = {
  "node:http": nodeApp,
  Hono: honoApp,
  "Express 5": express5App,
  "Express 4": express4App,
  Fastify: fastifyApp,
} as const;
