// examples/big-session.ts over real HTTP on 127.0.0.1, and the README showing it verbatim.

import { serve } from "@hono/node-server";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { parseSetCookie } from "cookie";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { cartHandler, cartSessions } from "../examples/big-session.js";
import { secret } from "./helpers.js";

describe("examples/big-session.ts: a cart split over several cookies", () => {
  let url: string;
  let close: () => Promise<void>;
  beforeAll(async () => {
    await new Promise<void>((resolve) => {
      const server = serve({ fetch: cartHandler(cartSessions(secret)), port: 0, hostname: "127.0.0.1" }, () => {
        url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
        close = () => new Promise((done) => server.close(() => done()));
        resolve();
      });
    });
  });
  afterAll(() => close());

  it("grows from one cookie to chunks, reads them back, and answers 413 past the budget keeping the cart", async () => {
    vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const jar = new Map<string, string>();
    const send = async (item?: string): Promise<Response> => {
      const cookie = [...jar].map(([name, value]) => `${name}=${value}`).join("; ");
      const response = await fetch(url, {
        method: item === undefined ? "GET" : "POST",
        headers: cookie ? { cookie } : {},
        body: item === undefined ? undefined : new URLSearchParams({ item }),
      });
      for (const header of response.headers.getSetCookie()) {
        const set = parseSetCookie(header);
        if (set.maxAge === 0) jar.delete(set.name);
        else jar.set(set.name, set.value ?? "");
      }
      return response;
    };
    // Random items: they do not compress, so the cart grows as they do.
    const item = () => randomBytes(150).toString("base64url");

    expect(await (await send(item())).text()).toBe("1 items");
    expect([...jar.keys()]).toEqual(["sid"]);
    let count = 1;
    while (!jar.has("sid.0")) expect(await (await send(item())).text()).toBe(`${++count} items`);
    expect(jar.has("sid")).toBe(false);
    expect(await (await send()).text()).toBe(`${count} items`);

    let response = await send(item());
    while (response.status === 200) {
      expect(await response.text()).toBe(`${++count} items`);
      response = await send(item());
    }
    expect(response.status).toBe(413);
    expect(await response.text()).toBe("cart full");
    expect(await (await send()).text()).toBe(`${count} items`);
    expect([...jar.keys()].sort()).toEqual(["sid.0", "sid.1"]);
  });

  it("is shown in the README as written", () => {
    const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
    expect(readme).toContain(readFileSync(new URL("../examples/big-session.ts", import.meta.url), "utf8").trim());
  });
});
