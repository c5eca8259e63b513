// withSession outside a Next.js server: what it does with the Request and the Response a handler returns.

import { describe, expect, it } from "vitest";
import type { Store } from "../../core/store.js";
import { createSessions } from "../fetch/index.js";
import { memoryStore } from "../../stores/memory/index.js";
import { withSession } from "./route.js";

const secret = "0123456789abcdef0123456789abcdef-current";

/** A memory store that fails every call while `down` is set. */
function switchableStore(): { store: Store; down: (value: boolean) => void } {
  let down = false;
  const inner = memoryStore({ gcInterval: false });
  const store = new Proxy(inner, {
    get(target, key, receiver) {
      const member = Reflect.get(target, key, receiver);
      if (typeof member !== "function" || key === "close") return member;
      return (...args: unknown[]) => {
        if (down) return Promise.reject(new Error("connection refused"));
        return (member as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store, down: (value) => (down = value) };
}

const sid = (response: Response) => response.headers.getSetCookie().find((h) => h.startsWith("sid="))?.split(";")[0];

describe("withSession", () => {
  it("commits onto the Response: Set-Cookie, Vary: Cookie, Cache-Control: no-store", async () => {
    const sessions = createSessions<{ visits?: number }>({ secrets: [secret], store: memoryStore() });
    const handler = withSession(sessions, async (_request, session) => Response.json({ visits: session.update("visits", (n) => (n ?? 0) + 1) }));
    const first = await handler(new Request("http://app.test/"), undefined);
    expect(await first.json()).toEqual({ visits: 1 });
    expect(first.headers.get("vary")).toBe("Cookie");
    expect(first.headers.get("cache-control")).toBe("no-store");
    const second = await handler(new Request("http://app.test/", { headers: { cookie: sid(first)! } }), undefined);
    expect(await second.json()).toEqual({ visits: 2 });
  });

  it("takes https from a trusted proxy only, never from the URL Next writes from a client's header", async () => {
    const handle = (trustProxy: number) =>
      withSession(createSessions<{ n?: number }>({ secrets: [secret], trustProxy }), async (_request, session) => {
        session.set("n", 1);
        return new Response("ok");
      })(new Request("https://app.test/", { headers: { "x-forwarded-proto": "https" } }), undefined);
    expect((await handle(0)).headers.getSetCookie()[0]).toMatch(/^sid=/);
    expect((await handle(1)).headers.getSetCookie()[0]).toMatch(/^__Host-sid=.*; Secure/);
  });

  it("saves nothing for a response of 500 or more", async () => {
    const sessions = createSessions<{ n?: number }>({ secrets: [secret] });
    const response = await withSession(sessions, async (_request, session) => {
      session.set("n", 1);
      return new Response("broken", { status: 500 });
    })(new Request("http://app.test/"), undefined);
    expect(response.headers.getSetCookie()).toEqual([]);
    expect(response.headers.get("cache-control")).toBe("no-store");
  });

  it("rethrows a handler's error (Next answers 500 and logs it)", async () => {
    const sessions = createSessions({ secrets: [secret] });
    const failing = withSession(sessions, async () => {
      throw new TypeError("handler bug");
    });
    await expect(failing(new Request("http://app.test/"), undefined)).rejects.toThrow("handler bug");
  });

  it("answers 503 while the store is down, then recovers", async () => {
    const { store, down } = switchableStore();
    const sessions = createSessions<{ n?: number }>({ secrets: [secret], store, storeTimeout: 1 });
    const handler = withSession(sessions, async (_request, session) => {
      session.set("n", 1);
      return new Response("ok");
    });
    const cookie = sid(await handler(new Request("http://app.test/"), undefined))!;
    down(true);
    const outage = await handler(new Request("http://app.test/", { headers: { cookie } }), undefined);
    expect(outage.status).toBe(503);
    expect(outage.headers.get("retry-after")).toBe("5");
    expect(await outage.text()).not.toContain(cookie.slice(4));
    down(false);
    expect((await handler(new Request("http://app.test/", { headers: { cookie } }), undefined)).status).toBe(200);
  });
});
