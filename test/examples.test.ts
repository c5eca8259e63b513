// The README's framework examples (examples/*.ts) run as written, over real HTTP on 127.0.0.1, and the README
// shows each of them verbatim.

import { serve } from "@hono/node-server";
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createSessions } from "tessera";
import { memoryStore } from "tessera/stores/memory";
import { expressApp } from "../examples/express.js";
import { fastifyApp } from "../examples/fastify.js";
import { fetchHandler } from "../examples/fetch.js";
import { honoApp } from "../examples/hono.js";
import { nodeServer } from "../examples/node.js";
import { cartHandler, cartSessions } from "../examples/schema.js";
import { request, secret } from "./helpers.js";

type Data = { views?: number; username?: string };
type Started = { url: string; close(): Promise<void> };

const listen = (server: Server): Promise<Started> =>
  new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        close: () => new Promise((done) => server.close(() => done())),
      }),
    ),
  );

const examples: Record<string, (sessions: ReturnType<typeof createSessions<Data>>) => Promise<Started>> = {
  express: (sessions) => listen(createServer(expressApp(sessions))),
  fastify: async (sessions) => {
    const app = await fastifyApp(sessions);
    const url = await app.listen({ port: 0, host: "127.0.0.1" });
    return { url, close: () => app.close() };
  },
  hono: (sessions) =>
    new Promise((resolve) => {
      const server = serve({ fetch: honoApp(sessions).fetch, port: 0, hostname: "127.0.0.1" }, (info) =>
        resolve({ url: `http://127.0.0.1:${info.port}`, close: () => new Promise((done) => server.close(() => done())) }),
      );
    }),
  node: (sessions) => listen(nodeServer(sessions)),
  fetch: (sessions) =>
    new Promise((resolve) => {
      const server = serve({ fetch: fetchHandler(sessions), port: 0, hostname: "127.0.0.1" }, (info) =>
        resolve({ url: `http://127.0.0.1:${info.port}`, close: () => new Promise((done) => server.close(() => done())) }),
      );
    }),
};

const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");

it("shows in the README the one declaration of session data the examples compile with", () => {
  const source = readFileSync(new URL("../examples/session-data.ts", import.meta.url), "utf8").trim();
  expect(source).toContain("interface TesseraSessionData");
  expect(readme).toContain(source);
});

describe.each(Object.keys(examples))("the %s example", (name) => {
  let running: Started | undefined;
  afterEach(async () => running?.close());

  it.each(["cookie mode", "store mode"])("counts visits and signs in with a new session id (%s)", async (mode) => {
    const sessions = createSessions<Data>({ secrets: [secret], store: mode === "store mode" ? memoryStore() : undefined });
    running = await examples[name]!(sessions);
    const get = (cookie?: string, method = "GET") =>
      fetch(`${running!.url}/${method === "POST" ? "login" : ""}`, { method, headers: cookie ? { cookie } : {}, redirect: "manual" });
    const cookieOf = (response: Response) => response.headers.getSetCookie().find((h) => h.startsWith("sid="))?.split(";")[0];

    const first = await get();
    expect(await first.text()).toBe("guest, visit 1");
    const cookie = cookieOf(first)!;
    expect(await (await get(cookie)).text()).toBe("guest, visit 2");
    const login = await get(cookie, "POST");
    expect(login.status).toBe(303);
    const signedIn = cookieOf(login)!;
    expect(signedIn).not.toBe(cookie);
    const after = await get(signedIn);
    expect(await after.text()).toMatch(/^alice, visit \d$/);
  });

  it("is shown in the README as it is tested", () => {
    const source = readFileSync(new URL(`../examples/${name}.ts`, import.meta.url), "utf8").trim();
    expect(readme).toContain(source);
  });
});

describe("the schema example", () => {
  let running: Started | undefined;
  afterEach(async () => running?.close());

  it.each(["cookie mode", "store mode"])("keeps a valid cart, refuses a bad item with 400 saving nothing, and migrates a version 1 cart (%s)", async (mode) => {
    const store = mode === "store mode" ? memoryStore() : undefined;
    const sessions = cartSessions([secret], store);
    running = await new Promise<Started>((resolve) => {
      const server = serve({ fetch: cartHandler(sessions), port: 0, hostname: "127.0.0.1" }, (info) =>
        resolve({ url: `http://127.0.0.1:${info.port}`, close: () => new Promise((done) => server.close(() => done())) }),
      );
    });
    const call = (cookie: string | undefined, query = "", method = "GET") => fetch(`${running!.url}/${query}`, { method, headers: cookie ? { cookie } : {} });
    const cookieOf = (response: Response, previous?: string) => response.headers.getSetCookie().find((h) => h.startsWith("sid="))?.split(";")[0] ?? previous;

    const added = await call(undefined, "?add=book", "POST");
    expect(await added.text()).toBe("book x1");
    const cookie = cookieOf(added)!;
    const refused = await call(cookie, "?add=", "POST");
    expect([refused.status, await refused.text()]).toEqual([400, "bad item"]);
    expect(await (await call(cookie)).text()).toBe("book x1");

    // A session saved before the cart held quantities (version 1, a list of SKUs), by the app as it was then.
    const before = createSessions<{ cart: string[] }>({ secrets: [secret], store });
    const old = await before.load(request());
    old.set("cart", ["pen", "ink"]);
    const oldCookie = cookieOf(await before.commit(old, new Response("ok")))!;
    const migrated = await call(oldCookie);
    expect(await migrated.text()).toBe("pen x1, ink x1");
    expect(await (await call(cookieOf(migrated, oldCookie))).text()).toBe("pen x1, ink x1");
  });

  it("is shown in the README as it is tested", () => {
    expect(readme).toContain(readFileSync(new URL("../examples/schema.ts", import.meta.url), "utf8").trim());
  });
});

it.each(["react-router.ts", "next/app/actions.ts", "next/app/api/visits/route.ts", "next/app/page.tsx"])(
  "the README shows examples/%s as it is tested",
  (file) => {
    expect(readme).toContain(readFileSync(new URL(`../examples/${file}`, import.meta.url), "utf8").trim());
  },
);
