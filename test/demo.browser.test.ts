// The demo end to end in a real headless Chromium (Debian's, driven by playwright-core): log in, look at the
// cookie jar, set and get a cookie, survive a restart, log out with the button, and replay the old cookie; the
// Content-Security-Policy blocks nothing the pages need. Every page is photographed at desktop (1280 px) and phone
// (390 px) width into docs/screenshots/ (docs/demo.png is the signed-in index), and checked at both widths: its
// stylesheet applies (the font rule included), nothing overflows sideways, and no request fails.

import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, request, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDemo, type RunningDemo } from "./servers/demo.js";

const executablePath = "/usr/bin/chromium";
const haveChromium = existsSync(executablePath);
const docs = join(import.meta.dirname, "..", "docs");
const screenshots = join(docs, "screenshots");
const widths = { desktop: { width: 1280, height: 800 }, phone: { width: 390, height: 844 } };

if (!haveChromium && process.env.CI === "true") {
  throw new Error(`${executablePath} is missing: CI must run the browser test (.ci/run installs Debian's chromium)`);
}
if (!haveChromium) {
  console.warn(`skipping the browser test: ${executablePath} is not installed (apt-get install chromium); under CI=true it runs`);
}

describe.skipIf(!haveChromium)("the demo in headless Chromium", () => {
  let dir: string;
  let profile: string;
  let demo: RunningDemo;
  let context: BrowserContext;
  let page: Page;
  const consoleMessages: string[] = [];
  /** Responses of 400 or more, other than those the walk asks for on purpose (an empty login form, the 404 page). */
  const failed: string[] = [];
  const onPurpose = new Set(["400 /login", "404 /no-such-page"]);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "tessera-browser-"));
    profile = mkdtempSync(join(tmpdir(), "tessera-chromium-profile-"));
    mkdirSync(screenshots, { recursive: true });
    demo = await startDemo(dir);
    context = await chromium.launchPersistentContext(profile, {
      executablePath,
      headless: true,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on("console", (message) => consoleMessages.push(message.text()));
    page.on("response", (response) => {
      const path = new URL(response.url()).pathname;
      const seen = `${response.status()} ${path}`;
      if (response.status() >= 400 && !onPurpose.has(seen)) failed.push(seen);
    });
  });

  afterAll(async () => {
    await context?.close();
    await demo?.stop();
    rmSync(dir, { recursive: true, force: true });
    rmSync(profile, { recursive: true, force: true });
  });

  /**
   * Photographs the page at both widths into docs/screenshots/<name>-desktop.png and -phone.png, after checking at
   * each that the stylesheet applied and that nothing is wider than the window.
   */
  const shot = async (name: string) => {
    for (const [label, size] of Object.entries(widths)) {
      await page.setViewportSize(size);
      // The font rule survived (an escaped quote in the CSS would drop it, and every page would use the default font).
      expect(await page.evaluate("getComputedStyle(document.body).fontFamily"), name).toContain('"Segoe UI"');
      expect(await page.evaluate("document.compatMode"), name).toBe("CSS1Compat");
      const overflow = await page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth");
      expect(overflow, `${name} at ${label} width`).toBe(0);
      // Nor inside a box that scrolls on its own (the sessions table): every column is in view.
      const clipped = await page.evaluate("[...document.querySelectorAll('.scroll')].filter((e) => e.scrollWidth > e.clientWidth).length");
      expect(clipped, `${name} at ${label} width`).toBe(0);
      await page.screenshot({ path: join(screenshots, `${name}-${label}.png`), fullPage: true });
    }
    await page.setViewportSize(widths.desktop);
  };
  const sessionCookie = async () => (await context.cookies(demo.url)).find((c) => c.name === "sid");

  it("walks through login, cookies, a restart, logout with the button and a replayed cookie", async () => {
    await page.goto(`${demo.url}/`);
    expect(new URL(page.url()).pathname).toBe("/login");
    await shot("login");

    // The stylesheet loaded under the policy: the card's white background comes from /style.css.
    expect(await page.evaluate("getComputedStyle(document.querySelector('main')).backgroundColor")).toBe("rgb(255, 255, 255)");
    // The tab icon the pages name answers.
    expect((await page.request.get(`${demo.url}/favicon.svg`)).status()).toBe(200);
    expect((await page.request.get(`${demo.url}/favicon.ico`)).status()).toBe(200);

    await page.click('input[type="submit"]');
    expect(await page.textContent(".error")).toBe("Please enter a username.");
    await shot("login-error");

    await page.fill('input[name="username"]', "alice");
    await page.click('input[type="submit"]');
    await page.waitForURL(`${demo.url}/`);
    expect(await page.textContent("h1")).toBe("Hello alice!");
    expect(await page.textContent(".flash")).toBe("Welcome, alice!");
    await shot("index");
    await page.screenshot({ path: join(docs, "demo.png") });

    const cookie = await sessionCookie();
    expect(cookie).toBeDefined();
    expect(cookie!.httpOnly).toBe(true);
    expect(cookie!.sameSite).toBe("Lax");
    expect(cookie!.secure).toBe(false);
    expect(await page.content()).not.toContain(cookie!.value);
    // HttpOnly: scripts in the page cannot read the session cookie.
    expect(await page.evaluate("document.cookie")).not.toContain("sid=");

    // A signed-in user is greeted by name beside the Logout link (the tutorial's "Guest" is for visitors).
    await page.goto(`${demo.url}/setcookie`);
    expect(await page.textContent("h1")).toBe("Hello alice!");
    expect(await page.locator('main > a[href="/logout"]').count()).toBe(1);
    await shot("setcookie");
    const mine = (await context.cookies(demo.url)).find((c) => c.name === "my_cookie");
    expect(mine?.httpOnly).toBe(true);
    expect(mine?.sameSite).toBe("Lax");

    await page.goto(`${demo.url}/getcookie`);
    expect(await page.textContent("p")).toBe("Cookie value: This is a cookie value");
    await shot("getcookie");

    await page.goto(`${demo.url}/sessions`);
    expect(await page.textContent("h1")).toBe("Active sessions");
    expect(await page.textContent("tbody")).toContain("Headless Chromium");
    // Alone: the button is disabled, and looks it (not the accent colour of a live button).
    expect(await page.isDisabled("form button")).toBe(true);
    expect(await page.evaluate("getComputedStyle(document.querySelector('form button')).backgroundColor")).not.toBe("rgb(52, 81, 178)");
    await shot("sessions-alone");

    // A second client (its own cookie jar) signs in as alice: two sessions, the button live, and no date broken
    // over two lines. A form post from outside a page says where it comes from, as curl must (README).
    const second = await request.newContext({ baseURL: demo.url, extraHTTPHeaders: { Origin: demo.url } });
    const login = await second.post("/login", { form: { username: "alice" }, maxRedirects: 0 });
    expect(login.status()).toBe(303);
    await page.goto(`${demo.url}/sessions`);
    expect(await page.locator("tbody tr").count()).toBe(2);
    expect(await page.isDisabled("form button")).toBe(false);
    for (const [label, size] of Object.entries(widths)) {
      await page.setViewportSize(size);
      const lines = await page.evaluate(
        "[...document.querySelectorAll('td.time')].map((td) => { const r = document.createRange(); r.selectNodeContents(td); return new Set([...r.getClientRects()].map((rect) => Math.round(rect.top))).size; })",
      );
      expect(lines, `dates at ${label} width`).toEqual([1, 1, 1, 1]);
    }
    await shot("sessions");
    await second.dispose();

    // Restart the server on the same port: SQLite and the secret file keep alice logged in.
    const port = new URL(demo.url).port;
    expect(await demo.stop("SIGTERM")).toBe(0);
    demo = await startDemo(dir, { PORT: port });
    await page.goto(`${demo.url}/`);
    expect(await page.textContent("h1")).toBe("Hello alice!");

    const signedIn = (await sessionCookie())!.value;
    // The Logout link opens a page with the button; opening it changes nothing.
    await page.click('a[href="/logout"]');
    await page.waitForURL(`${demo.url}/logout`);
    expect(await page.textContent("h1")).toBe("Log out");
    expect((await sessionCookie())?.value).toBe(signedIn);
    await shot("logout");
    await page.click('button[type="submit"]');
    await page.waitForURL(`${demo.url}/login?logged_out`);
    expect(await page.textContent(".flash")).toBe("You have been logged out.");
    expect(await sessionCookie()).toBeUndefined();
    await shot("logged-out");

    // A visitor who is not signed in gets the tutorial's greeting, with a Login link.
    await page.goto(`${demo.url}/setcookie`);
    expect(await page.textContent("h1")).toBe("Hello Guest!");
    expect(await page.locator('main > a[href="/login"]').count()).toBe(1);
    await shot("setcookie-guest");

    const missing = await page.goto(`${demo.url}/no-such-page`);
    expect(missing?.status()).toBe(404);
    await shot("not-found");

    // Put the old cookie back, as a thief with a copy would: the session was destroyed on the server.
    await context.addCookies([{ name: "sid", value: signedIn, url: demo.url, httpOnly: true, sameSite: "Lax" }]);
    await page.goto(`${demo.url}/`);
    expect(new URL(page.url()).pathname).toBe("/login");
    expect(await page.textContent("h1")).toBe("Log in");

    // The theme toggle: a signed cookie beside the session, kept across pages, read back by the server.
    expect(await page.evaluate("document.body.className")).toBe("");
    await page.click("form.theme button");
    await page.waitForURL(`${demo.url}/login`);
    expect(await page.evaluate("document.body.className")).toBe("dark");
    expect(await page.evaluate("getComputedStyle(document.querySelector('main')).backgroundColor")).toBe("rgb(27, 31, 41)");
    await page.goto(`${demo.url}/getcookie`);
    expect(await page.evaluate("document.body.className")).toBe("dark");
    await shot("dark-theme");
    await page.click("form.theme button");
    await page.waitForURL(`${demo.url}/login`);
    expect(await page.evaluate("document.body.className")).toBe("");

    expect(consoleMessages.filter((text) => /Content Security Policy|Refused to/i.test(text))).toEqual([]);
    expect(failed).toEqual([]);
    // Room for a cold Chromium and a demo restart (tsx compiles the server again) on a busy two-core machine.
  }, 180_000);

  it("shows a styled 503 page, and logs the unreachable store at start-up", async () => {
    // Nothing listens on port 1: the store is down from the start.
    const down = await startDemo(dir, { SESSION_STORE: "redis://127.0.0.1:1" });
    try {
      expect(down.output()).toMatch(/warning: the session store \(redis\) (is unreachable|did not answer)/);
      const response = await page.goto(`${down.url}/login`);
      expect(response?.status()).toBe(503);
      expect(response?.headers()["retry-after"]).toBe("5");
      expect(await page.textContent("h1")).toBe("503");
      failed.length = 0;
      await shot("unavailable");
      expect(down.output()).not.toContain("redis://");
    } finally {
      await down.stop();
    }
  }, 120_000);
});
