// The demo's Hono app in process: its error page, and the 503 a store outage gives through tessera/hono.

import { describe, expect, it } from "vitest";
import { createSessions } from "tessera";
import { memoryStore } from "tessera/stores/memory";
import { createApp, usernameProblem } from "../demo/app.js";
import { describeBrowser } from "../demo/views.js";
import { secret } from "./helpers.js";

describe("the demo app's error handling", () => {
  it("answers an error in a handler with a 500 page that shows no message or stack trace", async () => {
    const app = createApp(createSessions({ secrets: [secret], store: memoryStore() }));
    app.get("/boom", () => {
      throw new Error("internal detail that must not reach the page");
    });
    const errors: unknown[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => errors.push(args);
    try {
      const response = await app.request("/boom");
      expect(response.status).toBe(500);
      const html = await response.text();
      expect(html).toContain("Something went wrong on our side.");
      expect(html).not.toContain("internal detail");
      expect(html).not.toMatch(/\.(ts|js):\d+/);
      expect(JSON.stringify(errors)).not.toContain("internal detail");
    } finally {
      console.error = original;
    }
  });

  it("answers 503 when the session store is down", async () => {
    const store = memoryStore();
    const app = createApp(createSessions({ secrets: [secret], store }));
    await store.close();
    // A cookie that names a session, so the store must be asked.
    const response = await app.request("/login", { headers: { cookie: `sid=${"A".repeat(43)}` } });
    expect(response.status).toBe(503);
    expect(response.headers.getSetCookie()).toEqual([]);
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

  it("names browsers from their User-Agent", () => {
    expect(describeBrowser("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 HeadlessChrome/156.0 Safari/537.36")).toBe("Headless Chromium on Linux");
    expect(describeBrowser("Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 Chrome/140.0 Safari/537.36 Edg/140.0")).toBe("Edge on Windows");
    expect(describeBrowser(undefined)).toBe("Unknown browser");
  });
});
