// examples/revocation.ts over real HTTP on 127.0.0.1: two servers (two processes of one app) share the revocation
// store, two browsers keep their own cookie jars, and a thief replays a copied cookie; the README shows the example.

import { serve } from "@hono/node-server";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sessions } from "tessera";
import { accountHandler, accountSessions } from "../examples/revocation.js";
import { secret } from "./helpers.js";

/** A browser: keeps the session cookie the servers set, and sends it back. */
class Browser {
  cookie: string | undefined;
  async send(url: string, method = "GET", form?: Record<string, string>): Promise<string> {
    const body = form === undefined ? undefined : new URLSearchParams(form);
    const response = await fetch(url, { method, body, headers: this.cookie ? { cookie: this.cookie } : {} });
    for (const header of response.headers.getSetCookie()) {
      const [pair = ""] = header.split(";");
      if (!pair.startsWith("sid=")) continue;
      this.cookie = pair === "sid=" ? undefined : pair;
    }
    return response.text();
  }
}

describe("examples/revocation.ts: sign-out that holds in cookie mode", () => {
  const dir = mkdtempSync(join(tmpdir(), "tessera-revocation-example-"));
  const servers: { url: string; sessions: Sessions<{ username?: string }>; close: () => Promise<void> }[] = [];

  beforeAll(async () => {
    for (let i = 0; i < 2; i++) {
      const sessions = accountSessions(secret, join(dir, "revocation.db"));
      await new Promise<void>((resolve) => {
        const server = serve({ fetch: accountHandler(sessions), port: 0, hostname: "127.0.0.1" }, () => {
          const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
          servers.push({ url, sessions, close: () => new Promise((done) => server.close(() => done())) });
          resolve();
        });
      });
    }
  });
  afterAll(async () => {
    for (const server of servers) {
      await server.close();
      await server.sessions.close();
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it("refuses a stolen copy of the cookie after logout, on the server that logged out and on the other", async () => {
    const [one, two] = servers;
    const alice = new Browser();
    expect(await alice.send(`${one!.url}/login`, "POST", { username: "alice" })).toBe("alice");
    const stolen = alice.cookie;
    const thief = new Browser();
    thief.cookie = stolen;
    expect(await thief.send(one!.url)).toBe("alice");
    expect(await alice.send(`${one!.url}/logout`, "POST")).toBe("guest");
    expect(alice.cookie).toBeUndefined();
    expect(await thief.send(one!.url)).toBe("guest");
    const copied = new Browser();
    copied.cookie = stolen;
    // The other server had not read alice's record yet, so nothing stale is cached there.
    expect(await new Browser().send(two!.url)).toBe("guest");
    expect(await copied.send(two!.url)).toBe("guest");
  });

  it("signs out every other browser of the user, on both servers, and keeps this one", async () => {
    const [one, two] = servers;
    const laptop = new Browser();
    const phone = new Browser();
    // Another user than the test above: server two read alice's record then, and may reuse it for cacheFor.
    expect(await laptop.send(`${one!.url}/login`, "POST", { username: "bob" })).toBe("bob");
    expect(await phone.send(`${one!.url}/login`, "POST", { username: "bob" })).toBe("bob");
    const phoneCookie = phone.cookie;
    expect(await laptop.send(`${one!.url}/logout-others`, "POST")).toBe("bob");
    expect(await phone.send(one!.url)).toBe("guest");
    const onTwo = new Browser();
    onTwo.cookie = phoneCookie;
    expect(await onTwo.send(two!.url)).toBe("guest");
    expect(await laptop.send(one!.url)).toBe("bob");
    expect(await laptop.send(two!.url)).toBe("bob");
  });

  it("is shown in the README as written", () => {
    const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
    expect(readme).toContain(readFileSync(new URL("../examples/revocation.ts", import.meta.url), "utf8").trim());
  });
});
