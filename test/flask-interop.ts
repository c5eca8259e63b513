// The real Flask, for the Flask codec's interop tests: Debian's python3-flask through ../shared/interop's verify_cookie.py.

import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");
/** The interop folder beside the repository: FORMAT.md, the vectors made by real Flask, verify_cookie.py. */
export const interopDir = resolve(repoRoot, "../shared/interop");
export const python = "/usr/bin/python3";
export const verifyCookiePath = resolve(interopDir, "verify_cookie.py");

/**
 * Fails with what to install when the real Flask or the interop folder is missing: these tests prove interop with
 * the real thing, so they never skip (CI installs python3-flask in .ci/run).
 */
export function requireRealFlask(): void {
  if (!existsSync(verifyCookiePath)) throw new Error(`${verifyCookiePath} is missing: the Flask interop tests read ../shared/interop beside the repository`);
  const probe = spawnSync(python, ["-c", "import flask"], { encoding: "utf8" });
  if (probe.status !== 0) throw new Error(`${python} cannot import flask (apt-get install python3-flask): ${probe.stderr.slice(0, 200)}`);
}

/** The vectors real Flask 2.2.2 made (FORMAT.md §4). */
export interface FlaskVector {
  id: string;
  description: string;
  category: "positive" | "negative" | "quirk";
  secret_key: string;
  secret_key_fallbacks: string[];
  /** The key that signed it (null: not signed at all). */
  signed_with: string | null;
  cookie_value: string;
  timestamp: number | null;
  verify_at: number;
  max_age: number;
  expected_valid: boolean;
  flask_http_status: number;
  compressed?: boolean;
  payload_json?: string | null;
}

export function flaskVectors(): FlaskVector[] {
  return (JSON.parse(readFileSync(resolve(interopDir, "flask_vectors.json"), "utf8")) as { vectors: FlaskVector[] }).vectors;
}

/** What Flask made of a cookie (verify_cookie.flask_load). */
export interface FlaskLoad {
  valid: boolean;
  reason: string | null;
  timestamp: number | null;
  flask_http_status: number;
  /** The session Flask loaded, re-serialized by Flask's TaggedJSONSerializer; "{}" when refused. */
  session_tagged_json: string | null;
}

export interface FlaskRequestResult {
  status: number;
  /** `get_flashed_messages(with_categories=True)` as Flask's tagged JSON. */
  flashes: string;
  /** The session after the view's changes, as Flask's tagged JSON. */
  session: string;
  /** Flask's new cookie value, or null when it wrote none. */
  cookie: string | null;
}

interface KeyOptions {
  secret: string;
  fallbacks?: string[];
  /** Flask's clock, epoch seconds. */
  now?: number;
  maxAge?: number;
}

/**
 * One long-lived Python process running test/fixtures/flask_interop.py: requests go in order, one JSON line each.
 *
 * @example
 * const flask = startRealFlask();
 * await flask.ready();
 * expect((await flask.load(cookie, { secret })).valid).toBe(true);
 * flask.close();
 */
export function startRealFlask() {
  requireRealFlask();
  const child: ChildProcessWithoutNullStreams = spawn(python, [resolve(repoRoot, "test/fixtures/flask_interop.py"), interopDir], { stdio: "pipe" });
  const waiting: { resolve: (value: unknown) => void; reject: (error: Error) => void }[] = [];
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  createInterface({ input: child.stdout }).on("line", (line) => {
    const answer = JSON.parse(line) as { error?: string };
    const next = waiting.shift()!;
    if (answer.error) next.reject(new Error(`Flask: ${answer.error}`));
    else next.resolve(answer);
  });
  child.on("exit", (code) => {
    for (const next of waiting.splice(0)) next.reject(new Error(`the Flask process exited (${code}): ${stderr}`));
  });
  const ask = <T>(request: Record<string, unknown>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      waiting.push({ resolve: resolve as (value: unknown) => void, reject });
      child.stdin.write(`${JSON.stringify(request)}\n`);
    });
  return {
    /** Resolves once Python has imported Flask (a second or more): await it in a test's setup. */
    ready: () => ask<{ ready: true }>({ op: "ready" }),
    /** Whether Flask accepts `cookie`, and the session it loads. */
    load: (cookie: string, keys: KeyOptions) =>
      ask<FlaskLoad>({ op: "load", cookie, secret: keys.secret, fallbacks: keys.fallbacks ?? [], now: keys.now, max_age: keys.maxAge ?? 2678400 }),
    /** The cookie Flask's own serializer writes for `session` (Flask's tagged JSON), signed at `now`. */
    sign: async (session: string, keys: KeyOptions) =>
      (await ask<{ cookie: string }>({ op: "sign", session, secret: keys.secret, fallbacks: keys.fallbacks ?? [], now: keys.now })).cookie,
    /** A request to a Flask view that shows the flashes, then changes the session as asked. */
    request: (cookie: string | undefined, keys: KeyOptions, changes: { set?: string; flash?: string; clear?: boolean } = {}) =>
      ask<FlaskRequestResult>({ op: "request", cookie, secret: keys.secret, fallbacks: keys.fallbacks ?? [], now: keys.now, max_age: keys.maxAge ?? 2678400, ...changes }),
    /** A GET on the Flask app a Python file defines as `app`. */
    app: (module: string, request: { path?: string; cookie?: string; env?: Record<string, string>; now?: number }) =>
      ask<{ status: number; body: string }>({ op: "app", module, ...request }),
    close(): void {
      child.stdin.end();
    },
  };
}

export type RealFlask = ReturnType<typeof startRealFlask>;

/**
 * Runs `verify_cookie.py SECRET COOKIE ...` as a user would: exit 0 and the session as Flask's tagged JSON, or
 * exit 1 and `INVALID`.
 */
export function verifyCookie(secret: string, cookie: string, options: { now?: number; fallbacks?: string[]; maxAge?: number } = {}): { status: number | null; stdout: string; stderr: string } {
  const args = [verifyCookiePath, secret, cookie];
  if (options.now !== undefined) args.push("--now", String(options.now));
  if (options.maxAge !== undefined) args.push("--max-age", String(options.maxAge));
  for (const fallback of options.fallbacks ?? []) args.push("--fallback", fallback);
  const run = spawnSync(python, args, { encoding: "utf8" });
  return { status: run.status, stdout: run.stdout.trim(), stderr: run.stderr.trim() };
}

/**
 * Runs a Python script on `input` (stdin) with Debian's /usr/bin/python3 and returns its stdout; throws with its
 * stderr when it fails. For differential tests against Python's own json module.
 */
export function runPython(script: string, input: string): string {
  const run = spawnSync(python, ["-c", script], { input, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
  if (run.status !== 0) throw new Error(`python3 failed (${run.status}): ${run.stderr.slice(-2000)}`);
  return run.stdout;
}
