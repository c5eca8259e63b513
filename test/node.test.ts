// tessera/node over real HTTP on 127.0.0.1, through the package's public entry points, with a SQLite store on disk.

import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSessions, type Sessions } from "tessera";
import { nodeSessions } from "tessera/node";
import { sqliteStore } from "tessera/stores/sqlite";
import { secret } from "./helpers.js";

type Data = { username?: string; count?: number; a?: number; b?: number };

describe("tessera/node over real HTTP", () => {
  let dir: string;
  let server: Server;
  let sessions: Sessions<Data>;
  let base: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "tessera-node-"));
    const store = sqliteStore({ path: join(dir, "sessions.db"), gcInterval: false, busyTimeout: 0.1 });
    sessions = createSessions<Data>({ secrets: [secret], store, storeTimeout: 1 });
    const node = nodeSessions(sessions);
    server = createServer(
      node.handler(async (req, res, session) => {
        const url = new URL(req.url!, "http://127.0.0.1");
        switch (url.pathname) {
          case "/login":
            await session.signIn(url.searchParams.get("user")!);
            session.set("username", url.searchParams.get("user")!);
            res.writeHead(303, { location: "/" }).end();
            return;
          case "/":
            res.setHeader("content-type", "text/plain");
            res.end(session.has("username") ? `Hello ${session.get("username")}!` : "Please log in.");
            return;
          case "/logout":
            await session.destroy();
            res.statusCode = 303;
            res.setHeader("location", "/");
            res.end();
            return;
          case "/count":
            session.update("count", (n) => (n ?? 0) + 1);
            res.end(String(session.get("count")));
            return;
          case "/set": {
            const key = url.searchParams.get("key") as "a" | "b";
            // Both requests load before either commits, so their writes really race.
            await new Promise((resolve) => setTimeout(resolve, 50));
            session.set(key, 1);
            res.end("ok");
            return;
          }
          case "/stream":
            session.set("username", "streamer");
            res.write("part one, ");
            res.write("part two");
            res.end();
            return;
          case "/plain":
            res.end("no session here");
            return;
          case "/own-headers":
            session.set("username", "headers");
            res.writeHead(200, { "Set-Cookie": "theme=dark", Vary: "Accept-Encoding", "Cache-Control": "public, max-age=60" }).end("ok");
            return;
          case "/throws":
            throw new Error("handler failed");
          case "/stream-then-throw":
            session.set("username", "half");
            res.write("part one, ");
            throw new Error("handler failed midway");
          default:
            res.statusCode = 404;
            res.end("not found");
        }
      }),
    );
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await sessions.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const get = (path: string, cookie?: string) =>
    fetch(base + path, { redirect: "manual", headers: cookie ? { cookie } : {} });
  const sessionCookie = (response: Response): string | undefined => {
    const header = response.headers.getSetCookie().find((h) => h.startsWith("sid="));
    return header?.split(";")[0];
  };

  it("logs in with a new id, greets the user, and logs out so that the old cookie is dead", async () => {
    const anonymous = await get("/count");
    const planted = sessionCookie(anonymous)!;
    expect(planted).toMatch(/^sid=[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{22}$/);

    const login = await get("/login?user=alice", planted);
    expect(login.status).toBe(303);
    const cookie = sessionCookie(login)!;
    expect(cookie).not.toBe(planted);
    expect(login.headers.get("cache-control")).toBe("no-store");
    expect(login.headers.get("vary")).toBe("Cookie");
    expect(await (await get("/", cookie)).text()).toBe("Hello alice!");
    // The id planted before login was retired: session fixation is closed.
    expect(await (await get("/", planted)).text()).toBe("Please log in.");

    const logout = await get("/logout", cookie);
    expect(logout.headers.getSetCookie()[0]).toMatch(/^sid=; Max-Age=0; Path=\//);
    expect(await (await get("/", cookie)).text()).toBe("Please log in.");
  });

  it("commits before the head goes out when the handler streams with write()", async () => {
    const response = await get("/stream");
    expect(await response.text()).toBe("part one, part two");
    const cookie = sessionCookie(response)!;
    expect(await (await get("/", cookie)).text()).toBe("Hello streamer!");
  });

  it("sets no cookie on a response that never touched the session, and still varies on Cookie", async () => {
    const response = await get("/plain");
    expect(await response.text()).toBe("no session here");
    expect(response.headers.getSetCookie()).toEqual([]);
    expect(response.headers.get("vary")).toBe("Cookie");
    expect(response.headers.get("cache-control")).toBeNull();
  });

  it("keeps the session cookie, Vary: Cookie and no-store when writeHead passes its own Set-Cookie, Vary and Cache-Control", async () => {
    const response = await get("/own-headers");
    expect(response.headers.getSetCookie().map((header) => header.split("=")[0])).toEqual(["theme", "sid"]);
    expect(response.headers.get("vary")).toBe("Accept-Encoding, Cookie");
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(await (await get("/", sessionCookie(response))).text()).toBe("Hello headers!");
  });

  it("answers a tampered or hostile cookie as a logged-out visitor, never a 500", async () => {
    for (const cookie of ["sid=" + "A".repeat(43), "sid=%00%ff", "sid=" + "x".repeat(4000), ";".repeat(8000), "sid=a; sid=b; sid=c; sid=d; sid=e"]) {
      const response = await get("/", cookie);
      expect(response.status).toBe(200);
      expect(await response.text()).toBe("Please log in.");
    }
  });

  it("keeps every increment of 50 concurrent requests on one session", async () => {
    const cookie = sessionCookie(await get("/count"))!;
    const responses = await Promise.all(Array.from({ length: 50 }, () => get("/count", cookie)));
    expect(responses.every((r) => r.status === 200)).toBe(true);
    expect(await (await get("/count", cookie)).text()).toBe("52");
  });

  it("keeps both keys when two concurrent requests set different keys", async () => {
    const cookie = sessionCookie(await get("/count"))!;
    await Promise.all([get("/set?key=a", cookie), get("/set?key=b", cookie)]);
    const session = await sessions.load(new Request(base, { headers: { cookie } }));
    expect([session.get("a"), session.get("b")]).toEqual([1, 1]);
  });

  it("answers 500 without a stack trace when a handler throws", async () => {
    const response = await get("/throws");
    expect(response.status).toBe(500);
    const body = await response.text();
    expect(body).toBe("Internal Server Error\n");
  });

  it("cuts off a streamed response whose handler throws midway, instead of finishing it or leaving it hanging", async () => {
    // Cut off before or after the first bytes leave, the client sees a failed request, never a complete answer.
    const outcome = await get("/stream-then-throw").then(
      (response) => response.text().then(() => `complete ${response.status}`, () => "cut off"),
      () => "cut off",
    );
    expect(outcome).toBe("cut off");
  });

  it("answers 503 while the store is locked by another process, then recovers without a restart", async () => {
    const cookie = sessionCookie(await get("/count"))!;
    // Another connection holds the write lock past the store's busy timeout: writes fail, as in an outage.
    const other = new Database(join(dir, "sessions.db"));
    other.exec("BEGIN EXCLUSIVE");
    try {
      const down = await get("/count", cookie);
      expect(down.status).toBe(503);
      expect(down.headers.getSetCookie()).toEqual([]);
      expect(await down.text()).toBe("Service Unavailable\n");
    } finally {
      other.exec("ROLLBACK");
      other.close();
    }
    // Nothing was half-written: the failed increment is not there, and the next one succeeds.
    expect(await (await get("/count", cookie)).text()).toBe("2");
  });
});

describe("tessera/node when a handler misuses the response or the client goes away", () => {
  let child: ChildProcessWithoutNullStreams;
  let stderr = "";
  let tessera: string;
  let plain: string;
  /** Lines the child printed that no test has waited for yet, and the tests waiting for a line. */
  const printed: string[] = [];
  const waiting: { line: string; resolve: () => void }[] = [];
  const exited = () => child.exitCode !== null || child.signalCode !== null;

  /** Resolves once the child prints `line` (now or earlier); rejects if it exits first. */
  const printedLine = (line: string): Promise<void> => {
    const index = printed.indexOf(line);
    if (index >= 0) {
      printed.splice(index, 1);
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      waiting.push({ line, resolve });
      child.once("exit", () => reject(new Error(`the server process died: ${stderr}`)));
    });
  };

  beforeAll(async () => {
    const fixture = fileURLToPath(new URL("./fixtures/node-hazards.ts", import.meta.url));
    child = spawn(process.execPath, ["--import", "tsx", fixture], { cwd: process.cwd() });
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const ports = new Promise<string>((resolve, reject) => {
      child.once("exit", () => reject(new Error(`the server process did not start: ${stderr}`)));
      createInterface({ input: child.stdout }).on("line", (line) => {
        if (line.startsWith("listening ")) return resolve(line);
        const at = waiting.findIndex((w) => w.line === line);
        if (at >= 0) waiting.splice(at, 1)[0]!.resolve();
        else printed.push(line);
      });
    });
    // Readiness: the child prints its two ports once both servers listen.
    const [, tesseraPort, plainPort] = (await ports).split(" ");
    tessera = `http://127.0.0.1:${tesseraPort}`;
    plain = `http://127.0.0.1:${plainPort}`;
  });

  afterAll(() => {
    if (child && !exited()) child.kill();
  });

  /** The process is still up and serving: an unhandled rejection or an uncaught 'error' event would have ended it. */
  const expectAlive = async () => {
    const response = await fetch(`${tessera}/alive`);
    expect(await response.text()).toBe("alive");
    expect(exited()).toBe(false);
    expect(stderr).toBe("");
  };
  const answer = async (base: string, path: string) => {
    const response = await fetch(base + path);
    return { status: response.status, body: await response.text(), setCookie: response.headers.getSetCookie() };
  };

  for (const path of ["/writehead-42-caught", "/bad-header-caught", "/bad-reason-caught", "/bad-chunk-caught", "/writehead-twice-caught"]) {
    it(`throws at the handler's own call on ${path}, as plain node:http does, so its catch decides the answer`, async () => {
      const expected = await answer(plain, path);
      expect(expected.body).toMatch(/^caught ERR_/);
      const got = await answer(tessera, path);
      expect({ status: got.status, body: got.body }).toEqual({ status: expected.status, body: expected.body });
      await expectAlive();
    });
  }

  it("answers 500 and stays up when writeHead(42) throws out of the handler", async () => {
    const got = await answer(tessera, "/writehead-42");
    expect(got.status).toBe(500);
    expect(got.body).toBe("Internal Server Error\n");
    expect(got.setCookie).toEqual([]);
    await expectAlive();
  });

  it("drops a write after end, where plain node:http would crash on an unhandled 'error' event", async () => {
    expect((await answer(tessera, "/write-after-end")).body).toBe("done");
    await expectAlive();
    expect((await answer(tessera, "/end-twice")).body).toBe("first");
    await expectAlive();
  });

  it("stays up when the client disconnects while the session is being committed", async () => {
    const aborted = new AbortController();
    const request = fetch(`${tessera}/held-commit`, { signal: aborted.signal }).catch((error: unknown) => error);
    await printedLine("commit-held");
    aborted.abort();
    await printedLine("client-closed");
    expect(await (await fetch(`${plain}/release`)).text()).toBe("released");
    expect(await request).toBeInstanceOf(Error);
    await expectAlive();
  });

  it("stays up when the commit fails after the client disconnected", async () => {
    const aborted = new AbortController();
    const request = fetch(`${tessera}/held-commit`, { signal: aborted.signal }).catch((error: unknown) => error);
    await printedLine("commit-held");
    aborted.abort();
    await printedLine("client-closed");
    expect(await (await fetch(`${plain}/release?fail=1`)).text()).toBe("released");
    expect(await request).toBeInstanceOf(Error);
    await expectAlive();
  });

  it("commits and answers when the held store write goes on", async () => {
    const request = fetch(`${tessera}/held-commit`);
    await printedLine("commit-held");
    expect(await (await fetch(`${plain}/release`)).text()).toBe("released");
    const response = await request;
    expect(await response.text()).toBe("committed");
    expect(response.headers.getSetCookie()).toHaveLength(1);
    await expectAlive();
  });
});
