// `npm start`: the demo app on tessera, configured from the environment, shut down cleanly on Ctrl-C or SIGTERM.

import { serve } from "@hono/node-server";
import type { Server } from "node:http";
import type { Socket } from "node:net";
import { createCookieJar, createSessions, TesseraError } from "tessera";
import { createApp, type Data } from "./app.js";
import { ConfigError, loadConfig } from "./config.js";
import { cookieSession, describeStore, openStore, probeStore, storeErrorLogger } from "./store.js";

async function main(): Promise<void> {
  const config = loadConfig();
  for (const warning of config.warnings) console.warn(`warning: ${warning}`);
  const store = await openStore(config.store);
  const inCookie = await cookieSession(config);
  const sessions = createSessions<Data>({
    secrets: config.secrets,
    store,
    ...inCookie,
    idleTimeout: config.idleTimeout,
    absoluteTimeout: config.absoluteTimeout,
    // A store-mode session moves to a new token every 15 minutes of use (cookie mode has no token to replace).
    ...(store ? { renewAfter: "15m" as const } : {}),
    trustProxy: config.trustProxy,
    onEvent: storeErrorLogger((line) => console.error(line)),
  });
  const problem = store && (await probeStore(store, describeStore(config.store)));
  if (problem) console.warn(`warning: ${problem}`);
  const app = createApp(sessions, createCookieJar({ secrets: config.secrets }), { cookieRevocation: inCookie.revocation !== undefined });
  const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, (info) => {
    console.log(`tessera demo listening on http://${config.host}:${info.port}/ (sessions: ${describeStore(config.store)})`);
  }) as Server;
  server.on("connection", closeGently);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: finishing requests in flight, then closing the session store`);
    // Stop accepting; idle keep-alive connections close now, busy ones after their response.
    server.close(() => {
      void sessions.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    });
    server.closeIdleConnections();
    setTimeout(() => server.closeAllConnections(), 10_000).unref();
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
}

/** How long a closing connection still reads what the client sends, before it is dropped. */
const lingerMs = 2_000;

/**
 * Closes a connection after a response that says `Connection: close` (the 413 for an oversized body) the way
 * RFC 9112 §9.6 asks: FIN once the response is out, then keep reading (Node's parser drops the unread body) until
 * the client closes its side or `lingerMs` passes. Node's own `destroySoon` closes the socket at once, and a client
 * still uploading then gets a TCP reset that can destroy the response it has not read yet (fetch fails with EPIPE).
 */
function closeGently(socket: Socket): void {
  let closing = false;
  socket.destroySoon = () => {
    if (closing) return;
    closing = true;
    socket.end();
    const timer = setTimeout(() => socket.destroy(), lingerMs);
    timer.unref();
    socket.once("close", () => clearTimeout(timer));
  };
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof TesseraError) {
    console.error(`Cannot start: ${error.message}`);
  } else {
    console.error("Cannot start:", error);
  }
  process.exit(1);
});
