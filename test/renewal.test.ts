// Renewal over real HTTP: the README's example (examples/renewal.ts) with two tabs racing a renewal, and Express's
// req.sessionID across one. The store-level cases run on every store in test/renewal-scenarios.ts.

import { serve } from "@hono/node-server";
import express from "express";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { createSessions, decodeRecord, encodeRecord, type SessionEvent, type Store } from "tessera";
import { expressSessions } from "tessera/express";
import { memoryStore } from "tessera/stores/memory";
import { sqliteStore } from "tessera/stores/sqlite";
import { cartHandler, cartSessions } from "../examples/renewal.js";
import { manualClock, secret } from "./helpers.js";

const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
const minute = 60_000;
const dir = mkdtempSync(join(tmpdir(), "tessera-renewal-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Started = { url: string; close(): Promise<void> };

/** `handler` served over HTTP on a free port of 127.0.0.1. */
function start(handler: (request: Request) => Promise<Response>): Promise<Started> {
  return new Promise((resolve) => {
    const server = serve({ fetch: handler, port: 0, hostname: "127.0.0.1" }, (info) =>
      resolve({ url: `http://127.0.0.1:${info.port}`, close: () => new Promise((done) => server.close(() => done())) }),
    );
  });
}

/** `name=value` of the session cookie a response set, or undefined when it set none. */
const sessionCookieOf = (response: Response): string | undefined => response.headers.getSetCookie().find((h) => h.startsWith("sid="))?.split(";")[0];

it("shows in the README the renewal example as it is tested", () => {
  expect(readme).toContain(readFileSync(new URL("../examples/renewal.ts", import.meta.url), "utf8").trim());
});

const stores: Record<string, () => Store> = {
  memory: () => memoryStore(),
  sqlite: () => sqliteStore({ path: join(dir, `renewal-${Date.now()}-${Math.random()}.db`), gcInterval: false }),
};

describe.each(Object.keys(stores))("the renewal example over HTTP (%s store)", (name) => {
  let running: Started | undefined;
  let store: Store | undefined;
  afterEach(async () => {
    await running?.close();
    await store?.close();
  });

  it("two tabs sending the old cookie while one renews both succeed, both items land, and the old cookie dies after the grace", async () => {
    const clock = manualClock(Date.now());
    store = stores[name]!();
    running = await start(cartHandler(cartSessions(store, secret, clock.now)));
    const call = (method: string, cookie?: string, item?: string) =>
      fetch(`${running!.url}/cart${item === undefined ? "" : `?item=${item}`}`, { method, headers: cookie ? { cookie } : {} });

    const first = await call("POST", undefined, "book");
    const old = sessionCookieOf(first)!;
    expect(await first.json()).toEqual(["book"]);
    clock.advance(15 * minute);

    // Two tabs, one request each, sent together with the old cookie: one renews, the other follows it.
    const [one, two] = await Promise.all([call("POST", old, "pen"), call("POST", old, "ink")]);
    expect([one.status, two.status]).toEqual([200, 200]);
    const renewed = sessionCookieOf(one);
    expect(renewed).toBeDefined();
    expect(renewed).not.toBe(old);
    expect(sessionCookieOf(two), "both tabs are handed the same new cookie").toBe(renewed);
    expect(((await (await call("GET", renewed)).json()) as string[]).sort()).toEqual(["book", "ink", "pen"]);

    // A request still carrying the old cookie inside the grace reaches the cart and gets the new cookie.
    clock.advance(29_000);
    const late = await call("GET", old);
    expect(((await late.json()) as string[]).sort()).toEqual(["book", "ink", "pen"]);
    expect(sessionCookieOf(late)).toBe(renewed);

    // After the grace the old cookie is anonymous; the new one is the session.
    clock.advance(1_000);
    expect(await (await call("GET", old)).json()).toEqual([]);
    expect(((await (await call("GET", renewed)).json()) as string[]).sort()).toEqual(["book", "ink", "pen"]);
  });
});

describe("Express's req.sessionID across a renewal", () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise((done) => (server ? server.close(done) : done(undefined)));
  });

  it("names the successor after a renewal, also for a request that still carries the old cookie", async () => {
    const clock = manualClock(Date.now());
    const events: SessionEvent[] = [];
    const sessions = createSessions<{ n?: number }>({
      secrets: [secret],
      store: memoryStore(),
      clock: clock.now,
      renewAfter: "15m",
      onEvent: (event) => events.push(event),
    });
    const app = express();
    app.use(expressSessions(sessions));
    app.get("/", (req, res) => {
      req.session.n = (req.session.n ?? 0) + 1;
      res.json({ sessionID: req.sessionID });
    });
    server = createServer(app);
    await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const call = async (cookie?: string) => {
      const response = await fetch(url, { headers: cookie ? { cookie } : {} });
      return { cookie: sessionCookieOf(response), id: ((await response.json()) as { sessionID: string }).sessionID };
    };

    const first = await call();
    const second = await call(first.cookie);
    expect(second.id).not.toBe("");
    clock.advance(15 * minute);
    const renewing = await call(first.cookie);
    // The handler ran before the renewal at commit: it saw the id the request came with.
    expect(renewing.id).toBe(second.id);
    expect(renewing.cookie).not.toBe(first.cookie);
    expect(events).toContainEqual({ type: "session_renewed" });
    const after = await call(renewing.cookie);
    const late = await call(first.cookie);
    expect(after.id).not.toBe(second.id);
    expect(late.id, "a request with the old cookie inside the grace is the successor's").toBe(after.id);
    expect(late.cookie).toBe(renewing.cookie);
  });
});

describe("a forwarder in the store", () => {
  const sha256 = (value: string): string => createHash("sha256").update(value).digest("base64url");
  const open = (store: Store, clock: () => number, events: SessionEvent[] = []) =>
    createSessions<{ name?: string }>({ secrets: [secret], store, clock, renewAfter: "15m", onEvent: (event) => events.push(event) });
  /** A session renewed once; returns the old cookie value and the new one. */
  const renewedOnce = async (sessions: ReturnType<typeof open>, advance: (ms: number) => void): Promise<[string, string]> => {
    const first = await sessions.load(new Request("http://app.test/"));
    first.set("name", "alice");
    const old = sessionCookieOf(await sessions.commit(first, new Response("ok")))!;
    advance(15 * minute);
    const renewing = await sessions.load(new Request("http://app.test/", { headers: { cookie: old } }));
    const renewed = sessionCookieOf(await sessions.commit(renewing, new Response("ok")))!;
    return [old.slice(4), renewed.slice(4)];
  };

  it("leads nowhere when its sealed successor was changed or names another session: a fresh session, no error", async () => {
    const clock = manualClock(Date.now());
    const store = memoryStore();
    const events: SessionEvent[] = [];
    const sessions = open(store, clock.now, events);
    const [old] = await renewedOnce(sessions, clock.advance);
    const [otherOld] = await renewedOnce(sessions, clock.advance);
    const stored = (await store.get(sha256(old)))!;
    const forwarder = decodeRecord(stored.text);
    const otherForwarder = decodeRecord((await store.get(sha256(otherOld)))!.text);
    const sealed = forwarder.forward!.sealed;
    const flipped = sealed.slice(0, -2) + (sealed.endsWith("AA") ? "BB" : "AA");
    const variants = [
      { ...forwarder, forward: { ...forwarder.forward!, sealed: flipped } },
      // A successor sealed for another forwarder cannot be moved here.
      { ...forwarder, forward: { ...forwarder.forward!, sealed: otherForwarder.forward!.sealed } },
      // The id and the sealed value must name the same successor: here the id is another live session's.
      { ...forwarder, forward: { ...forwarder.forward!, to: otherForwarder.forward!.to } },
    ];
    clock.advance(-15 * minute);
    let version = stored.version;
    for (const variant of variants) {
      version = (await store.update(sha256(old), encodeRecord(variant), version, { now: clock.now(), expiresAt: clock.now() + minute, ttlSeconds: 60, userId: undefined }))!;
      const session = await sessions.load(new Request("http://app.test/", { headers: { cookie: `sid=${old}` } }));
      expect([session.isNew, session.get("name")]).toEqual([true, undefined]);
    }
    expect(events.filter((event) => event.type === "cookie_rejected")).toEqual(variants.map(() => ({ type: "cookie_rejected", reason: "unknown_session" })));
  });

  it("is never written without renewAfter: records keep the format they had", async () => {
    const store = memoryStore();
    const sessions = createSessions<{ name?: string }>({ secrets: [secret], store });
    const session = await sessions.load(new Request("http://app.test/"));
    session.set("name", "alice");
    const token = sessionCookieOf(await sessions.commit(session, new Response("ok")))!.slice(4);
    expect(Object.keys(JSON.parse((await store.get(sha256(token)))!.text) as object)).toEqual(["v", "c", "s", "d"]);
  });
});
