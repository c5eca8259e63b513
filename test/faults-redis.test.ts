// Fault injection on a private Redis: killed with SIGKILL under load through the demo and every adapter, and
// killed while a handler is inside a session call.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCookieJar, createSessions } from "tessera";
import { redisStore } from "tessera/stores/redis";
import { createApp, type Data as DemoData } from "../demo/app.js";
import { counterApps, type AdapterName, type CounterData } from "./servers/counter-apps.js";
import { gatedStore } from "./servers/gated-store.js";
import { describeServerKill, faultSecret, storeTimeoutMs } from "./servers/fault-suite.js";
import { redisCommand, startRedisServer, type RedisServer } from "./servers/redis-server.js";
import { CookieJar } from "./servers/traffic.js";

/** Client connections on `port` other than the one asking, from CLIENT LIST (one line per connection). */
async function clientCount(port: number): Promise<number> {
  const list = await redisCommand(port, ["CLIENT", "LIST"]);
  return list.split("\n").filter((line) => line.startsWith("id=") && !/ cmd=client\|list /.test(line)).length;
}

describeServerKill("Redis", {
  // AOF with fsync on every write: a write Redis acknowledged survives SIGKILL.
  start: () => startRedisServer({ args: ["--appendonly", "yes", "--appendfsync", "always"] }),
  store: (server, adapter) => redisStore({ url: server.url, prefix: `faults:${adapter}:` }),
  connections: (server) => clientCount((server as RedisServer).port),
  // One client per store: the demo's and the four counter apps'.
  maxConnections: 5,
});

describe("Redis killed while a request is inside a session call", () => {
  let server: RedisServer | undefined;
  beforeAll(async () => {
    server = await startRedisServer({ args: ["--appendonly", "yes", "--appendfsync", "always"] });
  });
  afterAll(async () => {
    await server?.stop();
  });

  /**
   * Signs in on `adapter`'s counter app, holds the next `method` call of the store at a barrier while `path` runs
   * with the session's cookie, kills Redis there, lets the call go on, and returns the response.
   */
  const killDuring = async (adapter: AdapterName, method: "delete" | "listByUser", path: string): Promise<Response> => {
    const gated = gatedStore(redisStore({ url: server!.url, prefix: `faults-handler-${method}:${adapter}:` }));
    const sessions = createSessions<CounterData>({ secrets: [faultSecret], store: gated.store, storeTimeout: storeTimeoutMs / 1000 });
    const app = await counterApps[adapter](sessions);
    const silenced = silenceConsoleError();
    try {
      const jar = new CookieJar();
      const first = await fetch(`${app.url}/login?user=alice`);
      jar.take(first);
      expect([first.status, await first.text()]).toEqual([200, "ok"]);
      const held = gated.hold(method);
      const pending = fetch(app.url + path, { headers: { cookie: jar.header() }, signal: AbortSignal.timeout(5 * storeTimeoutMs) });
      await held.reached;
      await server!.kill();
      held.release();
      const response = await pending;
      await response.text();
      return response;
    } finally {
      silenced.restore();
      await app.close();
      await sessions.close();
      await server!.restart();
    }
  };

  it.each(Object.keys(counterApps) as AdapterName[])("%s answers 503, with no cookie, when Redis dies while a sign-in retires the old session id", async (adapter) => {
    const response = await killDuring(adapter, "delete", "/login?user=alice");
    expect(response.status).toBe(503);
    expect(response.headers.getSetCookie()).toEqual([]);
  });

  // A StoreUnavailableError thrown by a session call inside the handler (destroy()'s delete, userSessions) must reach
  // the client as 503 whatever the framework's error handling (Hono's default onError answers 500 for an error
  // without getResponse(); Express's and Fastify's read the error's status). The barrier makes the kill land inside
  // the call every time.
  describe("a store failure thrown inside the handler answers 503, not 500", () => {
    it.each(Object.keys(counterApps) as AdapterName[])("%s answers 503 when Redis dies while destroy() deletes the session in the handler", async (adapter) => {
      const response = await killDuring(adapter, "delete", "/logout");
      expect(response.status).toBe(503);
    });

    it.each(Object.keys(counterApps) as AdapterName[])("%s answers 503 when Redis dies while the handler lists the user's sessions", async (adapter) => {
      const response = await killDuring(adapter, "listByUser", "/sessions");
      expect(response.status).toBe(503);
    });

    it("the demo answers 503 when Redis dies while its sessions page lists the user's sessions", async () => {
      const gated = gatedStore(redisStore({ url: server!.url, prefix: "faults-handler:demo:" }));
      const sessions = createSessions<DemoData>({ secrets: [faultSecret], store: gated.store, storeTimeout: storeTimeoutMs / 1000 });
      const app = createApp(sessions, createCookieJar({ secrets: [faultSecret] }));
      const silenced = silenceConsoleError();
      try {
        const jar = new CookieJar();
        const login = await app.request("http://localhost/login", {
          method: "POST",
          body: new URLSearchParams({ username: "alice" }),
          headers: { origin: "http://localhost" },
        });
        jar.take(login);
        expect(login.status).toBe(303);
        const held = gated.hold("listByUser");
        const pending = app.request("http://localhost/sessions", { headers: { cookie: jar.header() } });
        await held.reached;
        await server!.kill();
        held.release();
        const response = await pending;
        await response.text();
        expect(response.status).toBe(503);
        expect(silenced.lines.join("\n")).not.toContain(jar.header().split("=")[1]!);
      } finally {
        silenced.restore();
        await sessions.close();
        await server!.restart();
      }
    });
  });
});

/** Keeps console.error quiet (frameworks log the failures these tests cause) and keeps what was logged. */
function silenceConsoleError(): { lines: string[]; restore(): void } {
  const original = console.error;
  const lines: string[] = [];
  console.error = (...args: unknown[]) => void lines.push(args.map(String).join(" "));
  return { lines, restore: () => void (console.error = original) };
}
