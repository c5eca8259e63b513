// Every contestant of the HTTP benchmark: the bare frameworks (ceilings), tessera on each adapter and mode, and
// the peers configured as their READMEs recommend. Each serves the same three routes:
//   GET /login  creates a session holding username "alice" (the client keeps the cookie)
//   GET /w1     reads the session and greets the user by name              (workload W1)
//   GET /w2     changes the session (a visit counter) on every request      (workload W2)

import { createServer, type IncomingMessage, type ServerResponse } from "node:http";

export type Group = "bare" | "tessera" | "peer";
export interface Contestant {
  name: string;
  group: Group;
  /** The bare framework this one is measured against ("node", "fastify", "express", "hono"). */
  framework: "node" | "fastify" | "express" | "hono";
  /** The peer family it competes in: "cookie" (state in the cookie) or "store" (state on the server). */
  kind: "none" | "cookie" | "store";
  /** Needs Redis or PostgreSQL running on 127.0.0.1. */
  needs?: "redis" | "postgres";
  /** In the quick run. */
  quick?: boolean;
  /** Starts the server on `port` and resolves when it listens. */
  start(port: number): Promise<void>;
}

export const secret = "bench-secret-bench-secret-bench-secret-0123456789";
const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const postgresUrl = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

type Data = { username?: string; visits?: number };

function listenNode(handler: (req: IncomingMessage, res: ServerResponse) => void, port: number): Promise<void> {
  const server = createServer(handler);
  server.keepAliveTimeout = 60_000;
  return new Promise((resolve) => server.listen(port, "127.0.0.1", () => resolve()));
}

const greet = (name: unknown) => `Hello ${typeof name === "string" ? name : "guest"}!`;

// ---------------------------------------------------------------------------------------------- bare ceilings

const bareNode = (port: number) =>
  listenNode((req, res) => {
    res.setHeader("content-type", "text/plain");
    res.end(greet(req.url === "/login" ? undefined : "alice"));
  }, port);

async function bareFastify(port: number) {
  const { default: Fastify } = await import("fastify");
  const app = Fastify();
  for (const path of ["/login", "/w1", "/w2"]) app.get(path, async () => greet("alice"));
  await app.listen({ port, host: "127.0.0.1" });
}

async function bareExpress(port: number) {
  const { default: express } = await import("express");
  const app = express();
  for (const path of ["/login", "/w1", "/w2"]) app.get(path, (_req, res) => void res.send(greet("alice")));
  await listenNode(app, port);
}

async function bareHono(port: number) {
  const { Hono } = await import("hono");
  const { serve } = await import("@hono/node-server");
  const app = new Hono();
  for (const path of ["/login", "/w1", "/w2"]) app.get(path, (c) => c.text(greet("alice")));
  await new Promise<void>((resolve) => serve({ fetch: app.fetch, port, hostname: "127.0.0.1" }, () => resolve()));
}

// ---------------------------------------------------------------------------------------------- tessera

/** `xchacha`: the sealed codec with `cipher: "xchacha20-poly1305"` (sodium-native). */
type Mode = "sealed" | "xchacha" | "signed" | "memory" | "sqlite" | "redis" | "postgres";

/**
 * What this server process counted, reported to the orchestrator on request (bench/server.ts): compare-and-set
 * conflicts, from tessera's `write_conflict` events. Writers of one session in one process queue and never conflict.
 */
export const counters = { conflicts: 0 };

async function tesseraSessions(mode: Mode) {
  const { createSessions } = await import("tessera");
  let store;
  if (mode === "memory") store = (await import("tessera/stores/memory")).memoryStore({ maxEntries: 1_000_000 });
  if (mode === "sqlite") {
    const { mkdtempSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    store = (await import("tessera/stores/sqlite")).sqliteStore({ path: join(mkdtempSync(join(tmpdir(), "tessera-bench-")), "s.db") });
  }
  if (mode === "redis") {
    const specifier = "tessera/stores/redis";
    const { redisStore } = await import(specifier);
    store = redisStore({ url: redisUrl, prefix: `bench:${process.pid}:` });
  }
  if (mode === "postgres") {
    const specifier = "tessera/stores/postgres";
    const { postgresStore } = await import(specifier);
    store = postgresStore({ url: postgresUrl, table: `bench_${process.pid}` });
  }
  return createSessions<Data>({
    secrets: [secret],
    store,
    codec: mode === "signed" ? "signed" : "sealed",
    ...(mode === "xchacha" ? { cipher: "xchacha20-poly1305" as const } : {}),
    onEvent: (event) => {
      if (event.type === "write_conflict") counters.conflicts++;
    },
  });
}

type TesseraSession = import("tessera").Session<Data>;

/** The three routes against a tessera session, shared by every adapter. */
async function tesseraRoute(path: string, session: TesseraSession): Promise<string> {
  if (path === "/login") {
    session.set("username", "alice");
    return "ok";
  }
  if (path === "/w2") return `visit ${session.update("visits", (n) => (n ?? 0) + 1)}`;
  return greet(session.get("username"));
}

const tesseraNode = (mode: Mode) => async (port: number) => {
  const { nodeSessions } = await import("tessera/node");
  const node = nodeSessions(await tesseraSessions(mode));
  await listenNode(
    node.handler(async (req, res, session) => {
      const body = await tesseraRoute(req.url!, session);
      res.setHeader("content-type", "text/plain");
      res.end(body);
    }),
    port,
  );
};

const tesseraFastify = (mode: Mode) => async (port: number) => {
  const { default: Fastify } = await import("fastify");
  const { fastifySessions } = await import("tessera/fastify");
  const app = Fastify();
  await app.register(fastifySessions, { sessions: await tesseraSessions(mode) });
  for (const path of ["/login", "/w1", "/w2"]) app.get(path, async (request) => tesseraRoute(path, request.session as TesseraSession));
  await app.listen({ port, host: "127.0.0.1" });
};

const tesseraExpress = (mode: Mode) => async (port: number) => {
  const { default: express } = await import("express");
  const { expressSessions } = await import("tessera/express");
  const app = express();
  app.use(expressSessions(await tesseraSessions(mode)));
  for (const path of ["/login", "/w1", "/w2"]) {
    app.get(path, (req, res, next) => {
      tesseraRoute(path, req.session as unknown as TesseraSession).then((body) => void res.send(body), next);
    });
  }
  await listenNode(app, port);
};

const tesseraHono = (mode: Mode) => async (port: number) => {
  const { Hono } = await import("hono");
  const { serve } = await import("@hono/node-server");
  const { honoSessions } = await import("tessera/hono");
  const app = new Hono<import("tessera/hono").SessionEnv<Data>>();
  app.use(honoSessions(await tesseraSessions(mode)));
  for (const path of ["/login", "/w1", "/w2"]) app.get(path, async (c) => c.text(await tesseraRoute(path, c.get("session"))));
  await new Promise<void>((resolve) => serve({ fetch: app.fetch, port, hostname: "127.0.0.1" }, () => resolve()));
};

// ---------------------------------------------------------------------------------------------- peers

type PlainSession = { username?: string; visits?: number } | null | undefined;

function peerRoute(path: string, session: PlainSession & object): string {
  if (path === "/login") {
    session.username = "alice";
    return "ok";
  }
  if (path === "/w2") {
    session.visits = (session.visits ?? 0) + 1;
    return `visit ${session.visits}`;
  }
  return greet(session.username);
}

const expressSession = (store: "memory" | "redis") => async (port: number) => {
  const { default: express } = await import("express");
  const { default: session } = await import("express-session");
  let storeOption = {};
  if (store === "redis") {
    const { createClient } = await import("redis");
    const { RedisStore } = await import("connect-redis");
    const client = createClient({ url: redisUrl });
    await client.connect();
    storeOption = { store: new RedisStore({ client, prefix: `bench:es:${process.pid}:` }) };
  }
  const app = express();
  app.use(session({ secret, resave: false, saveUninitialized: false, ...storeOption }));
  for (const path of ["/login", "/w1", "/w2"]) app.get(path, (req, res) => void res.send(peerRoute(path, req.session as never)));
  await listenNode(app, port);
};

async function cookieSessionPeer(port: number) {
  const { default: express } = await import("express");
  const { default: cookieSession } = await import("cookie-session");
  const app = express();
  app.use(cookieSession({ name: "session", keys: [secret] }));
  for (const path of ["/login", "/w1", "/w2"]) app.get(path, (req, res) => void res.send(peerRoute(path, req.session as never)));
  await listenNode(app, port);
}

async function ironSessionPeer(port: number) {
  const { getIronSession } = await import("iron-session");
  await listenNode(async (req, res) => {
    const session = await getIronSession<{ username?: string; visits?: number }>(req, res, { password: secret, cookieName: "iron" });
    const body = peerRoute(req.url!, session);
    if (req.url !== "/w1") await session.save();
    res.setHeader("content-type", "text/plain");
    res.end(body);
  }, port);
}

async function fastifySecureSessionPeer(port: number) {
  const { default: Fastify } = await import("fastify");
  const { default: secureSession } = await import("@fastify/secure-session");
  const app = Fastify();
  await app.register(secureSession, { key: Buffer.alloc(32, 7), cookie: { path: "/", httpOnly: true } });
  for (const path of ["/login", "/w1", "/w2"]) {
    app.get(path, async (request) => {
      const session = request.session as unknown as { get(k: string): unknown; set(k: string, v: unknown): void };
      if (path === "/login") {
        session.set("username", "alice");
        return "ok";
      }
      if (path === "/w2") {
        const visits = ((session.get("visits") as number | undefined) ?? 0) + 1;
        session.set("visits", visits);
        return `visit ${visits}`;
      }
      return greet(session.get("username"));
    });
  }
  await app.listen({ port, host: "127.0.0.1" });
}

async function fastifySessionPeer(port: number) {
  const { default: Fastify } = await import("fastify");
  const { default: fastifyCookie } = await import("@fastify/cookie");
  const { default: fastifySession } = await import("@fastify/session");
  const app = Fastify();
  await app.register(fastifyCookie);
  await app.register(fastifySession, { secret, saveUninitialized: false, cookie: { secure: false } });
  for (const path of ["/login", "/w1", "/w2"]) {
    app.get(path, async (request) => peerRoute(path, request.session as never));
  }
  await app.listen({ port, host: "127.0.0.1" });
}

// ---------------------------------------------------------------------------------------------- the list

const modes: { mode: Mode; kind: "cookie" | "store"; needs?: "redis" | "postgres" }[] = [
  { mode: "sealed", kind: "cookie" },
  { mode: "xchacha", kind: "cookie" },
  { mode: "signed", kind: "cookie" },
  { mode: "memory", kind: "store" },
  { mode: "sqlite", kind: "store" },
  { mode: "redis", kind: "store", needs: "redis" },
  { mode: "postgres", kind: "store", needs: "postgres" },
];

const adapters = [
  { framework: "node", make: tesseraNode },
  { framework: "hono", make: tesseraHono },
  { framework: "express", make: tesseraExpress },
  { framework: "fastify", make: tesseraFastify },
] as const;

export const contestants: Contestant[] = [
  { name: "bare node:http", group: "bare", framework: "node", kind: "none", quick: true, start: bareNode },
  { name: "bare Fastify", group: "bare", framework: "fastify", kind: "none", quick: true, start: bareFastify },
  { name: "bare Express", group: "bare", framework: "express", kind: "none", quick: true, start: bareExpress },
  { name: "bare Hono", group: "bare", framework: "hono", kind: "none", quick: true, start: bareHono },
  ...adapters.flatMap(({ framework, make }) =>
    modes.map(({ mode, kind, needs }) => ({
      name: `tessera ${framework === "node" ? "node:http" : framework[0]!.toUpperCase() + framework.slice(1)} ${mode}`,
      group: "tessera" as const,
      framework,
      kind,
      needs,
      quick: framework === "node" ? mode !== "signed" && mode !== "postgres" : mode === "sealed" || (framework === "fastify" && mode === "xchacha"),
      start: make(mode),
    })),
  ),
  { name: "express-session MemoryStore", group: "peer", framework: "express", kind: "store", quick: true, start: expressSession("memory") },
  { name: "express-session connect-redis", group: "peer", framework: "express", kind: "store", needs: "redis", start: expressSession("redis") },
  { name: "cookie-session", group: "peer", framework: "express", kind: "cookie", start: cookieSessionPeer },
  { name: "iron-session", group: "peer", framework: "node", kind: "cookie", start: ironSessionPeer },
  { name: "@fastify/secure-session", group: "peer", framework: "fastify", kind: "cookie", quick: true, start: fastifySecureSessionPeer },
  { name: "@fastify/session", group: "peer", framework: "fastify", kind: "store", start: fastifySessionPeer },
];
