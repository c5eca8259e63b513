// The Next.js example (examples/next) built with `next build`, served by `next start` on 127.0.0.1 and driven over
// HTTP: Route Handlers counting visits (Node.js and edge runtime), a Server Action login and logout, a read-only
// Server Component, a tampered cookie. The build runs in a copy under test-output/ (it writes .next/ and next-env.d.ts) from the built dist/.

import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseSetCookie, type SetCookie } from "cookie";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { secret } from "./helpers.js";

const repository = fileURLToPath(new URL("..", import.meta.url));
const nextBin = join(repository, "node_modules", ".bin", "next");
let app: string;
let server: ChildProcess | undefined;
let base: string;

/** The newest modification time under `dir`, in ms. */
function newest(dir: string): number {
  let time = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.endsWith(".ts")) time = Math.max(time, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return time;
}

/** dist/ as `npm test`'s pretest leaves it; rebuilt here when a source is newer (a single test file run). */
function ensureBuilt(): void {
  let built = 0;
  try {
    built = statSync(join(repository, "dist", "adapters", "next", "index.js")).mtimeMs;
  } catch {
    built = 0;
  }
  if (built >= newest(join(repository, "src"))) return;
  const result = spawnSync(process.execPath, [join(repository, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.json"], { cwd: repository, encoding: "utf8" });
  if (result.status !== 0) throw new Error(`tsc failed:\n${result.stdout}${result.stderr}`);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

function run(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(nextBin, args, { cwd: app, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk));
    child.on("close", (code) => resolve({ code, output }));
  });
}

/** Waits until `next start` answers (a readiness probe, polled) or has exited. */
async function ready(child: ChildProcess, url: string, output: () => string): Promise<void> {
  for (let attempt = 0; attempt < 600; attempt++) {
    if (child.exitCode !== null) throw new Error(`next start exited:\n${output()}`);
    try {
      const response = await fetch(url);
      await response.body?.cancel();
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`next start did not answer:\n${output()}`);
}

const env = (): NodeJS.ProcessEnv => ({ ...process.env, SECRET_KEY: secret, NEXT_TELEMETRY_DISABLED: "1", NODE_ENV: "production" });

beforeAll(async () => {
  ensureBuilt();
  const output = join(repository, "test-output");
  // test-output/ is not in the repository: a fresh clone has none until a test makes it.
  mkdirSync(output, { recursive: true });
  cpSync(join(repository, "examples", "next"), (app = mkdtempSync(join(output, "next-example-"))), { recursive: true });
  const build = await run(["build"], env());
  if (build.code !== 0) throw new Error(`next build failed:\n${build.output}`);
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  let log = "";
  server = spawn(nextBin, ["start", "-H", "127.0.0.1", "-p", String(port)], { cwd: app, env: env(), stdio: ["ignore", "pipe", "pipe"] });
  server.stdout!.on("data", (chunk: Buffer) => (log += chunk));
  server.stderr!.on("data", (chunk: Buffer) => (log += chunk));
  await ready(server, `${base}/_not-found`, () => log);
}, 600_000);

afterAll(async () => {
  if (server && server.exitCode === null) {
    const exited = new Promise((resolve) => server!.once("exit", resolve));
    server.kill("SIGTERM");
    await exited;
  }
  if (app) rmSync(app, { recursive: true, force: true });
}, 60_000);

/** `name=value` of the session cookie a response set, or undefined. */
function sessionCookie(response: Response): SetCookie | undefined {
  return response.headers.getSetCookie().map((header) => parseSetCookie(header)).find((cookie) => cookie.name === "sid");
}

const get = (path: string, cookie?: string) => fetch(`${base}${path}`, { headers: cookie ? { cookie } : {}, redirect: "manual" });

/** Submits the page's first form as a browser without JavaScript does: its Server Action id plus `fields`. */
async function submit(cookie: string | undefined, fields: Record<string, string> = {}, origin = base, path = "/"): Promise<Response> {
  const page = await (await get(path, cookie)).text();
  const action = /name="(\$ACTION_ID_[0-9a-f]+)"/.exec(page)?.[1];
  expect(action).toBeDefined();
  const form = new FormData();
  form.set(action!, "");
  for (const [name, value] of Object.entries(fields)) form.set(name, value);
  return fetch(`${base}${path}`, { method: "POST", body: form, headers: { origin, ...(cookie ? { cookie } : {}) }, redirect: "manual" });
}

const greeting = async (cookie?: string) => /<p>Hello (?:<!-- -->)?([^<]+)<\/p>/.exec(await (await get("/", cookie)).text())?.[1];

describe("the Next.js example", () => {
  it("counts visits in a Route Handler, with tessera's cookie, Vary and Cache-Control", async () => {
    const first = await get("/api/visits");
    expect(await first.json()).toEqual({ username: null, visits: 1 });
    expect(first.headers.get("cache-control")).toBe("no-store");
    expect(first.headers.get("vary")).toMatch(/\bCookie\b/);
    const cookie = sessionCookie(first)!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: "lax", path: "/", maxAge: 1800 });
    expect(cookie.secure).toBeFalsy(); // plain http and no trusted proxy: the plain name, without Secure
    const second = await get("/api/visits", `sid=${cookie.value}`);
    expect(await second.json()).toEqual({ username: null, visits: 2 });
  });

  it("does not believe a client's X-Forwarded-Proto: no trusted proxy is configured", async () => {
    const response = await fetch(`${base}/api/visits`, { headers: { "x-forwarded-proto": "https" } });
    expect(response.headers.getSetCookie().map((header) => parseSetCookie(header).name)).toEqual(["sid"]);
  });

  it("logs in with a Server Action: the cookie it sets has the attributes tessera writes", async () => {
    const visit = sessionCookie(await get("/api/visits"))!;
    expect(await greeting(`sid=${visit.value}`)).toBe("guest");
    const login = await submit(`sid=${visit.value}`, { username: "alice" });
    expect(login.status).toBe(303);
    expect(login.headers.get("location")).toBe("/");
    expect(login.headers.get("cache-control")).toMatch(/no-store/);
    const cookie = sessionCookie(login)!;
    expect(cookie.value).not.toBe(visit.value);
    // Written through cookies().set from the manager's own Set-Cookie: the same attributes as the Route Handler's.
    const { value: _v, expires, ...attributes } = cookie;
    const { value: _w, expires: visitExpires, ...visitAttributes } = visit;
    expect(attributes).toEqual(visitAttributes);
    expect(Math.abs(expires!.getTime() - visitExpires!.getTime())).toBeLessThan(60_000);
    expect(await greeting(`sid=${cookie.value}`)).toBe("alice");
    // signIn keeps the data: the visit counted before the login is still there.
    expect(await (await get("/api/visits", `sid=${cookie.value}`)).json()).toEqual({ username: "alice", visits: 2 });
  });

  it("refuses a Server Action posted from another origin (Next's check) and changes no session", async () => {
    const response = await submit(undefined, { username: "mallory" }, "http://evil.example");
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(sessionCookie(response)).toBeUndefined();
  });

  it("refuses a bad login without setting a cookie", async () => {
    const response = await submit(undefined, { username: "not a name" });
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("/?error=username");
    expect(sessionCookie(response)).toBeUndefined();
  });

  it("reads the session in a Server Component, where a change is ERR_SESSION_READ_ONLY", async () => {
    const cookie = sessionCookie(await submit(undefined, { username: "bob" }))!;
    const page = await get("/read-only", `sid=${cookie.value}`);
    expect(await page.text()).toMatch(/<p>bob(?:<!-- -->)?: (?:<!-- -->)?ERR_SESSION_READ_ONLY ERR_SESSION_READ_ONLY<\/p>/);
    expect(sessionCookie(page)).toBeUndefined();
    // A page that reads cookies() is dynamic: Next answers it uncacheable, where tessera cannot set headers.
    expect(page.headers.get("cache-control")).toMatch(/no-store/);
  });

  it("logs out with getSession and commitSession: the cookie is cleared", async () => {
    const cookie = sessionCookie(await submit(undefined, { username: "carol" }))!;
    expect(await greeting(`sid=${cookie.value}`)).toBe("carol");
    const logout = await submit(`sid=${cookie.value}`);
    expect(logout.status).toBe(303);
    const cleared = sessionCookie(logout)!;
    expect(cleared.value).toBe("");
    expect(cleared.expires!.getTime()).toBeLessThanOrEqual(Date.now());
    expect(await greeting()).toBe("guest");
  });

  it("saves nothing of a Server Action that throws", async () => {
    const cookie = `sid=${sessionCookie(await submit(undefined, { username: "frank" }))!.value}`;
    const failed = await submit(cookie, {}, base, "/failure");
    expect(failed.status).toBe(500);
    expect(sessionCookie(failed)).toBeUndefined();
    expect(await greeting(cookie)).toBe("frank");
  });

  it("reads and changes the same session in a Route Handler on the edge runtime", async () => {
    const cookie = `sid=${sessionCookie(await submit(undefined, { username: "erin" }))!.value}`;
    const edge = await get("/api/edge-visits", cookie);
    expect(await edge.json()).toEqual({ username: "erin", visits: 1, runtime: "edge" });
    expect(edge.headers.get("cache-control")).toBe("no-store");
    const fromEdge = sessionCookie(edge)!;
    expect(fromEdge).toMatchObject({ httpOnly: true, sameSite: "lax", path: "/" });
    expect(fromEdge.maxAge).toBeGreaterThan(1700); // the idle timeout, counted from the login
    // The cookie the edge runtime sealed opens on Node.js, and the other way round.
    expect(await (await get("/api/visits", `sid=${fromEdge.value}`)).json()).toEqual({ username: "erin", visits: 2 });
    expect((await (await get("/api/edge-visits", "sid=not-a-session")).json()) as object).toEqual({ username: null, visits: 1, runtime: "edge" });
  });

  it("treats a tampered cookie as a new visitor", async () => {
    const value = sessionCookie(await submit(undefined, { username: "dave" }))!.value!;
    const flipped = value.slice(0, -2) + (value.at(-2) === "A" ? "B" : "A") + value.at(-1)!;
    expect(await greeting(`sid=${flipped}`)).toBe("guest");
    expect(await (await get("/api/visits", `sid=${flipped}`)).json()).toEqual({ username: null, visits: 1 });
    expect(await (await get("/api/edge-visits", `sid=${flipped}`)).json()).toEqual({ username: null, visits: 1, runtime: "edge" });
  });
});
