// Where Secure comes from: the connection, and X-Forwarded-Proto only from trusted proxies, never the request-target.

import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSessions } from "tessera";
import { honoApp, nodeApp, type Data, type RunningApp } from "./servers/apps.js";
import { secret } from "./helpers.js";

/** Sends one raw HTTP/1.1 request over plain TCP and returns the response head. */
function rawRequest(url: string, lines: string[]): Promise<string> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), "127.0.0.1", () => socket.end(`${lines.join("\r\n")}\r\n\r\n`));
    let text = "";
    socket.on("data", (chunk: Buffer) => (text += chunk.toString("latin1")));
    socket.on("end", () => resolve(text.split("\r\n\r\n")[0]!));
    socket.on("error", reject);
  });
}

const setCookieLines = (head: string) => head.split("\r\n").filter((line) => line.toLowerCase().startsWith("set-cookie:"));

describe.each([
  ["Hono on @hono/node-server", honoApp],
  ["node:http", nodeApp],
])("the scheme on %s", (_name, start) => {
  let app: RunningApp;
  beforeAll(async () => {
    app = await start(createSessions<Data>({ secrets: [secret], trustProxy: 1 }));
  });
  afterAll(async () => {
    await app?.close();
  });

  it("gives a plain-http request written in absolute form (GET https://host/) no Secure cookie", async () => {
    const { port } = new URL(app.url);
    const head = await rawRequest(app.url, [`GET https://127.0.0.1:${port}/login?user=alice HTTP/1.1`, `Host: 127.0.0.1:${port}`, "Connection: close"]);
    const cookies = setCookieLines(head);
    expect(cookies).toHaveLength(1);
    expect(cookies[0]).toMatch(/^set-cookie: sid=/i);
    expect(cookies[0]).not.toMatch(/;\s*secure/i);
  });

  it("believes only the entry the one trusted proxy appended to X-Forwarded-Proto, not the client's", async () => {
    const { port } = new URL(app.url);
    const spoofed = await rawRequest(app.url, ["GET /login?user=alice HTTP/1.1", `Host: 127.0.0.1:${port}`, "X-Forwarded-Proto: https, http", "Connection: close"]);
    expect(setCookieLines(spoofed)[0]).not.toMatch(/;\s*secure/i);
    const proxied = await rawRequest(app.url, ["GET /login?user=alice HTTP/1.1", `Host: 127.0.0.1:${port}`, "X-Forwarded-Proto: http, https", "Connection: close"]);
    expect(setCookieLines(proxied)[0]).toMatch(/^set-cookie: __Host-sid=.*;\s*secure/i);
  });
});
