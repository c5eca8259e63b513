// examples/cookie-jar.ts over real HTTP on 127.0.0.1, and the README showing it verbatim.

import { serve } from "@hono/node-server";
import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCookieJar } from "tessera";
import { themeHandler } from "../examples/cookie-jar.js";
import { secret } from "./helpers.js";

describe("examples/cookie-jar.ts: a signed theme preference", () => {
  let url: string;
  let close: () => Promise<void>;
  beforeAll(async () => {
    await new Promise<void>((resolve) => {
      const server = serve({ fetch: themeHandler(createCookieJar({ secrets: [secret] })), port: 0, hostname: "127.0.0.1" }, () => {
        url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
        close = () => new Promise((done) => server.close(() => done()));
        resolve();
      });
    });
  });
  afterAll(() => close());

  it("keeps the theme a form chose, a year long, and ignores a cookie changed by hand", async () => {
    const posted = await fetch(`${url}/theme`, { method: "POST", body: new URLSearchParams({ theme: "dark" }), redirect: "manual" });
    expect(posted.status).toBe(303);
    const [setCookie] = posted.headers.getSetCookie();
    expect(setCookie).toMatch(/^theme=ZGFyaw\.[A-Za-z0-9_-]{50}; Max-Age=31536000; Path=\/; Expires=[^;]+; HttpOnly; Secure; SameSite=Lax$/);
    const cookie = setCookie!.split(";")[0]!;
    expect(await (await fetch(url, { headers: { cookie } })).text()).toBe("theme: dark");
    expect(await (await fetch(url)).text()).toBe("theme: light");
    // "light" in the payload with dark's signature: refused, so the default.
    const forged = cookie.replace("ZGFyaw", "bGlnaHQ");
    expect(await (await fetch(url, { headers: { cookie: forged } })).text()).toBe("theme: light");
  });

  it("is shown in the README as written", () => {
    const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
    expect(readme).toContain(readFileSync(new URL("../examples/cookie-jar.ts", import.meta.url), "utf8").trim());
  });
});
