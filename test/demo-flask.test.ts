// The demo with SESSION_STORE=flask, over real HTTP: its login is the session of a Flask app holding the same
// SECRET_KEY (checked with verify_cookie.py and the README's Flask app), and Flask's login is the demo's.

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot, startRealFlask, verifyCookie, type RealFlask } from "./flask-interop.js";
import { failingDemo, startDemo, type RunningDemo } from "./servers/demo.js";

const flaskSecretKey = "flask-demo-secret-key-0123456789abcdef";
const env = { SESSION_STORE: "flask", FLASK_SECRET_KEY: flaskSecretKey, SECRET_KEY: "tessera-demo-test-secret-0123456789abcdef" };
/** The README's "ten-line Flask app that reads the same login". */
const readmeFlaskApp = resolve(repoRoot, "examples/flask_app.py");

describe("the demo with SESSION_STORE=flask", () => {
  let dir: string;
  let demo: RunningDemo;
  let flask: RealFlask;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "tessera-demo-flask-"));
    flask = startRealFlask();
    await flask.ready();
    demo = await startDemo(dir, env);
  });

  afterAll(async () => {
    flask?.close();
    await demo?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The `session` cookie's value from a response's Set-Cookie headers. */
  const sessionCookie = (response: Response): string | undefined => {
    const header = response.headers.getSetCookie().find((h) => h.startsWith("session="));
    return header?.slice("session=".length, header.indexOf(";"));
  };

  const login = (username: string) =>
    fetch(`${demo.url}/login`, {
      method: "POST",
      body: new URLSearchParams({ username }),
      headers: { origin: demo.url },
      redirect: "manual",
    });

  it("signs in with a cookie named session that the real Flask loads, with the user logged in", { timeout: 60_000 }, async () => {
    const response = await login("alice");
    expect(response.status).toBe(303);
    const cookie = sessionCookie(response)!;
    expect(cookie).toMatch(/^\.?[\w-]+\.[\w-]+\.[\w-]{27}$/);
    // verify_cookie.py on Flask's real clock, as a Flask app beside the demo would read it now.
    const run = verifyCookie(flaskSecretKey, cookie);
    expect(run.status, run.stderr).toBe(0);
    const session = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(session).toMatchObject({ _user_id: "alice", username: "alice", _flashes: [{ " t": ["notice", "Welcome, alice!"] }] });
  });

  it("the README shows its Flask app verbatim", () => {
    expect(readFileSync(resolve(repoRoot, "README.md"), "utf8")).toContain(`\`\`\`python\n${readFileSync(readmeFlaskApp, "utf8")}\`\`\``);
  });

  it("the README's Flask app greets the user the demo signed in", async () => {
    const cookie = sessionCookie(await login("bob"))!;
    expect(await flask.app(readmeFlaskApp, { cookie, env: { FLASK_SECRET_KEY: flaskSecretKey } })).toEqual({ status: 200, body: "Hello bob!" });
    expect(await flask.app(readmeFlaskApp, { env: { FLASK_SECRET_KEY: flaskSecretKey } })).toEqual({ status: 401, body: "Not signed in" });
  });

  it("greets a user the Flask app signed in, and shows the message Flask flashed", async () => {
    const cookie = await flask.sign('{"_flashes":[{" t":["notice","Signed in from Flask"]}],"_user_id":"carol","username":"carol"}', { secret: flaskSecretKey });
    const page = await (await fetch(`${demo.url}/`, { headers: { cookie: `session=${cookie}` }, redirect: "manual" })).text();
    expect(page).toContain("<h1>Hello carol!</h1>");
    expect(page).toContain("Signed in from Flask");
  });

  it("refuses a cookie signed with another key, as the Flask app would", async () => {
    const cookie = await flask.sign('{"_user_id":"mallory","username":"mallory"}', { secret: "not-the-flask-apps-key-0123456789" });
    const response = await fetch(`${demo.url}/`, { headers: { cookie: `session=${cookie}` }, redirect: "manual" });
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("/login");
  });

  it("will not start without FLASK_SECRET_KEY", async () => {
    const { code, output } = await failingDemo(dir, { ...env, FLASK_SECRET_KEY: "" });
    expect(code).toBe(1);
    expect(output).toContain("FLASK_SECRET_KEY must be set with SESSION_STORE=flask");
  });
});
