// The demo's Hono app in process: its error pages, the headers they carry, and the 503 a store outage gives.

import { describe, expect, it } from "vitest";
import { createCookieJar, createSessions, type Store } from "tessera";
import { memoryStore } from "tessera/stores/memory";
import { createApp, usernameProblem } from "../demo/app.js";
import { storeErrorLogger } from "../demo/store.js";
import { describeBrowser } from "../demo/views.js";
import { secret } from "./helpers.js";

/** The headers every demo response carries, whatever its status. */
function expectSecurityHeaders(response: Response): void {
  const csp = response.headers.get("content-security-policy") ?? "";
  expect(csp).toContain("script-src 'none'");
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).not.toContain("unsafe-inline");
  expect(response.headers.get("referrer-policy")).toBe("same-origin");
  expect(response.headers.get("x-content-type-options")).toBe("nosniff");
}

/** Runs `fn` with console.error captured, and returns what it printed. */
async function capturingErrors(fn: () => Promise<void>): Promise<unknown[]> {
  const errors: unknown[] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => errors.push(args);
  try {
    await fn();
  } finally {
    console.error = original;
  }
  return errors;
}

/** A memory store whose writes and deletes fail while it is down, as a store that goes down mid-request does. */
function faultyStore(): { store: Store; setDown: (down: boolean) => void } {
  const inner = memoryStore();
  let down = false;
  const failing = new Set<PropertyKey>(["create", "update", "delete", "deleteByUser"]);
  const store = new Proxy(inner, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (down && failing.has(property)) {
        return () => Promise.reject(new Error("connection refused"));
      }
      return value;
    },
  });
  return { store, setDown: (value) => (down = value) };
}

describe("the demo app's error handling", () => {
  it("answers an error in a handler with a 500 page that shows no message or stack trace", async () => {
    const app = createApp(createSessions({ secrets: [secret], store: memoryStore() }), createCookieJar({ secrets: [secret] }));
    app.get("/boom", () => {
      throw new Error("internal detail that must not reach the page");
    });
    let response!: Response;
    const errors = await capturingErrors(async () => {
      response = await app.request("/boom");
    });
    expect(response.status).toBe(500);
    const html = await response.text();
    expect(html).toContain("Something went wrong on our side.");
    expect(html).not.toContain("internal detail");
    expect(html).not.toMatch(/\.(ts|js):\d+/);
    expect(JSON.stringify(errors)).not.toContain("internal detail");
    expectSecurityHeaders(response);
  });

  it("answers 503 with a page, Retry-After and its security headers when the session store is down", async () => {
    const store = memoryStore();
    const app = createApp(createSessions({ secrets: [secret], store }), createCookieJar({ secrets: [secret] }));
    const login = await app.request("/login", {
      method: "POST",
      headers: { origin: "http://localhost", "content-type": "application/x-www-form-urlencoded" },
      body: "username=alice",
    });
    const cookie = login.headers.getSetCookie()[0]!.split(";")[0]!;
    await store.close();
    // A real session's cookie, so the store must be asked.
    const response = await app.request("/login", { headers: { cookie } });
    expect(response.status).toBe(503);
    expect(response.headers.getSetCookie()).toEqual([]);
    expect(response.headers.get("retry-after")).toBe("5");
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(await response.text()).toContain("Sessions are unavailable for a moment.");
    expectSecurityHeaders(response);
  });

  it("answers 503, not 500, when the store fails inside a handler, and keeps the user signed in", async () => {
    const { store, setDown } = faultyStore();
    const app = createApp(createSessions({ secrets: [secret], store }), createCookieJar({ secrets: [secret] }));
    const origin = { origin: "http://localhost", "content-type": "application/x-www-form-urlencoded" };
    const login = await app.request("/login", { method: "POST", headers: origin, body: "username=alice" });
    const cookie = login.headers.getSetCookie()[0]!.split(";")[0]!;
    setDown(true);
    let response!: Response;
    const errors = await capturingErrors(async () => {
      response = await app.request("/logout", { method: "POST", headers: { ...origin, cookie } });
    });
    expect(response.status).toBe(503);
    expect(response.headers.getSetCookie()).toEqual([]);
    expect(await response.text()).toContain("Sessions are unavailable for a moment.");
    expectSecurityHeaders(response);
    expect(errors).toEqual([]);
    setDown(false);
    expect(await (await app.request("/", { headers: { cookie } })).text()).toContain("Hello alice!");
  });
});

describe("the demo app's 503 when the store fails at commit", () => {
  it("carries none of the handler's response headers: no Location, no cookie the handler set", async () => {
    const { store, setDown } = faultyStore();
    const app = createApp(createSessions({ secrets: [secret], store }), createCookieJar({ secrets: [secret] }));
    setDown(true);
    // The login handler redirects; the sign-in's write at commit fails, and the redirect becomes the 503 page.
    const response = await app.request("/login", {
      method: "POST",
      headers: { origin: "http://localhost", "content-type": "application/x-www-form-urlencoded" },
      body: "username=alice",
    });
    expect(response.status).toBe(503);
    expect(response.headers.get("location")).toBeNull();
    expect(response.headers.getSetCookie()).toEqual([]);
    expect(await response.text()).toContain("Sessions are unavailable for a moment.");
    expectSecurityHeaders(response);
  });
});

describe("the demo's helpers", () => {
  it("accepts ordinary names, including non-Latin ones, and refuses the rest with a reason", () => {
    expect(usernameProblem("alice")).toBeUndefined();
    expect(usernameProblem("Zoë 李")).toBeUndefined();
    expect(usernameProblem("😀".repeat(64))).toBeUndefined();
    expect(usernameProblem("😀".repeat(65))).toContain("64");
    expect(usernameProblem("a\u0000b")).toContain("control");
    expect(usernameProblem("")).toContain("enter");
  });

  it("logs store errors by operation and code, at most once per interval, counting the rest", () => {
    const lines: string[] = [];
    let now = 0;
    const log = storeErrorLogger((line) => lines.push(line), 10_000, () => now);
    log({ type: "session_created", store: "redis" });
    log({ type: "store_error", operation: "get", code: "ECONNREFUSED" });
    log({ type: "store_error", operation: "get", code: "ECONNREFUSED" });
    log({ type: "store_error", operation: "update", code: "ETIMEDOUT" });
    now = 10_000;
    log({ type: "store_error", operation: "create", code: "ECONNREFUSED" });
    expect(lines).toEqual([
      "session store error: get failed (ECONNREFUSED)",
      "session store error: create failed (ECONNREFUSED); 2 more since the last report",
    ]);
  });

  it("names browsers from their User-Agent", () => {
    expect(describeBrowser("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 HeadlessChrome/156.0 Safari/537.36")).toBe("Headless Chromium on Linux");
    expect(describeBrowser("Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 Chrome/140.0 Safari/537.36 Edg/140.0")).toBe("Edge on Windows");
    expect(describeBrowser(undefined)).toBe("Unknown browser");
  });
});
