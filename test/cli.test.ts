// The `tessera` command line, run as a built binary in a child process: the bin itself, keygen, and inspect of
// every format with its failures. No output may hold a secret or a cookie's token (checked on every run).

import { execFile } from "node:child_process";
import { createHash, generateKeyPairSync, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { flaskCodec } from "../src/codecs/flask/index.js";
import { jwtCodec } from "../src/codecs/jwt/index.js";
import { createKeyRing, createSessions, type Codec, type Store } from "../src/index.js";
import { sqliteStore } from "../src/stores/sqlite/index.js";
import { bin, ensureBuilt, json, sensitive, tessera } from "./servers/cli.js";

const secret = "cli test secret: the current one; 48 bytes long.";
const oldSecret = "cli test secret: the previous one; 48 bytes long";
const otherSecret = "cli test secret: another app's key; 48 bytes lo.";
for (const value of [secret, oldSecret, otherSecret]) sensitive.add(value);
const env = { SECRET_KEY: secret };
const day = 86_400_000;

const dir = mkdtempSync(join(tmpdir(), "tessera-cli-"));
const dbPath = join(dir, "sessions.db");

beforeAll(() => ensureBuilt(), 600_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A session cookie as the application sets it over HTTPS: `__Host-sid=<value>`, signed in as alice. */
async function cookieOf(options: { secrets?: string[]; codec?: "sealed" | "signed"; store?: Store; clock?: () => number; data?: Record<string, string> } = {}) {
  const sessions = createSessions({ secrets: options.secrets ?? [secret], codec: options.codec, store: options.store, clock: options.clock });
  const session = await sessions.load(new Request("https://app.test/", { headers: { "user-agent": "Firefox/130" } }));
  for (const [key, value] of Object.entries(options.data ?? { theme: "dark" })) session.set(key, value);
  await session.signIn("alice");
  const response = await sessions.commit(session, new Response("ok"));
  const [name, value] = response.headers.getSetCookie()[0]!.split(";")[0]!.split(/=(.*)/s) as [string, string];
  sensitive.add(value);
  return { name, value, header: `${name}=${value}` };
}

/** `value` with the character at `index` changed to another base64url character. */
function flip(value: string, index: number): string {
  const replacement = value[index] === "A" ? "B" : "A";
  return value.slice(0, index) + replacement + value.slice(index + 1);
}

describe("the tessera bin", () => {
  it("is dist/cli/main.js, starts with a node shebang and is executable after the build", () => {
    expect(bin.endsWith(join("dist", "cli", "main.js"))).toBe(true);
    expect(readFileSync(bin, "utf8").startsWith("#!/usr/bin/env node\n")).toBe(true);
    expect(statSync(bin).mode & 0o111).toBe(0o111);
  });

  it("runs through npx from an application that installed the package", async () => {
    // What npm install leaves: the package under node_modules and its bin linked into node_modules/.bin.
    const app = join(dir, "app");
    mkdirSync(join(app, "node_modules", ".bin"), { recursive: true });
    writeFileSync(join(app, "package.json"), '{ "name": "app", "private": true }\n');
    symlinkSync(join(dirname(bin), "..", ".."), join(app, "node_modules", "tessera"));
    symlinkSync(join("..", "tessera", "dist", "cli", "main.js"), join(app, "node_modules", ".bin", "tessera"));
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile("npx", ["--no", "tessera", "keygen"], { cwd: app, env: { PATH: process.env.PATH ?? "", HOME: dir } }, (error, out) =>
        error ? reject(error) : resolve(out),
      ),
    );
    expect(stdout).toMatch(/^[A-Za-z0-9_-]{43}\n$/);
  }, 60_000);

  it("prints its usage with exit 0 for --help, and exit 2 with no command or an unknown one", async () => {
    const [help, none, unknown] = await Promise.all([tessera(["--help"]), tessera([]), tessera(["keygne"])]);
    expect(help.code).toBe(0);
    for (const command of ["keygen", "inspect", "sessions", "gc"]) expect(help.stdout).toContain(`  ${command}`);
    expect(help.stdout).toContain("Exit codes");
    expect(none.code).toBe(2);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown command");
  });

  it.each(["keygen", "inspect", "sessions", "sessions list", "sessions revoke", "gc"])("tessera %s --help prints usage and exit codes", async (command) => {
    const run = await tessera([...command.split(" "), "--help"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Usage: tessera ${command.split(" ")[0]}`);
    expect(run.stdout).toContain("Exit codes");
  });

  it("answers an unknown option or a stray argument with exit 2, echoing neither", async () => {
    const [option, stray] = await Promise.all([tessera(["keygen", `--secret=${secret}`]), tessera(["gc", secret])]);
    expect(option.code).toBe(2);
    expect(option.stderr).toContain("unknown option `--secret`");
    expect(stray.code).toBe(2);
  });
  it("takes arguments that start with a dash, as one base64url value in 64 does", async () => {
    // A sealed value's first byte is its version, so a dash can only start a store token, a session id or junk.
    const cookie = await cookieOf({ codec: "signed" });
    const dashed = `-${cookie.value.slice(1)}`;
    sensitive.add(dashed);
    const [asPositional, asOptionValue] = await Promise.all([
      tessera(["inspect", dashed, "--json"], { env }),
      tessera(["inspect", "--cookie-name", "sid", "--secret-env", "SECRET_KEY", "--json", "--", dashed], { env }),
    ]);
    // Read as the cookie (which no longer verifies), not as options.
    expect(asPositional.code).toBe(1);
    expect(json<Report>(asPositional).reason).toBe("unknown_format");
    expect(json<Report>(asOptionValue).reason).toBe("unknown_format");
    const idFromDash = await tessera(["sessions", "list", "--user", "-alice", "--store", "sqlite:/nonexistent/x.db"]);
    expect(idFromDash.code).toBe(1);
    expect(idFromDash.stderr).toContain("no SQLite database");
  });
});

describe("tessera keygen", () => {
  it("prints 32 random bytes in base64url that createSessions accepts, different every time", async () => {
    const [a, b] = await Promise.all([tessera(["keygen"]), tessera(["keygen"])]);
    expect(a.code).toBe(0);
    const key = a.stdout.trim();
    expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(key, "base64url")).toHaveLength(32);
    expect(b.stdout.trim()).not.toBe(key);
    expect(() => createKeyRing([key])).not.toThrow();
  });

  it("takes --bytes, prints SECRET_KEY=... with --env and JSON with --json", async () => {
    const [long, dotenv, asJson] = await Promise.all([tessera(["keygen", "--bytes", "64"]), tessera(["keygen", "--env"]), tessera(["keygen", "--json"])]);
    expect(Buffer.from(long.stdout.trim(), "base64url")).toHaveLength(64);
    expect(dotenv.stdout).toMatch(/^SECRET_KEY=[A-Za-z0-9_-]{43}\n$/);
    const parsed = json<{ secret: string; bytes: number }>(asJson);
    expect(parsed.bytes).toBe(32);
    expect(Buffer.from(parsed.secret, "base64url")).toHaveLength(32);
  });

  it("refuses fewer than 32 bytes with exit 1, and a --bytes that is not a number with exit 2", async () => {
    const [short, word] = await Promise.all([tessera(["keygen", "--bytes", "31"]), tessera(["keygen", "--bytes", "lots"])]);
    expect(short.code).toBe(1);
    expect(short.stdout).toBe("");
    expect(short.stderr).toContain("32 or more");
    expect(word.code).toBe(2);
  });

  it("is the command the missing-secret error tells users to run", () => {
    expect(() => createSessions({ secrets: [] })).toThrow(/npx tessera keygen/);
  });
});

type Report = {
  valid: boolean;
  reason?: string;
  timeout?: string;
  format?: string;
  cookieName?: string;
  madeFor?: string;
  keyIndex?: number;
  key?: string;
  store?: string;
  sessionId?: string;
  createdAt?: string;
  lastSeenAt?: string;
  idleExpiresAt?: string;
  absoluteExpiresAt?: string;
  userId?: string | null;
  userAgent?: string;
  data?: Record<string, unknown>;
};

describe("tessera inspect", () => {
  it.each(["sealed", "signed"] as const)("opens a %s cookie: format, key index, times, user and data", async (codec) => {
    const before = Date.now();
    const cookie = await cookieOf({ codec, data: { theme: "dark", cart: "tea" } });
    const run = await tessera(["inspect", cookie.value, "--json"], { env });
    expect(run.code).toBe(0);
    const report = json<Report>(run);
    expect(report).toMatchObject({ valid: true, format: codec, cookieName: "__Host-sid", keyIndex: 0, key: "SECRET_KEY", userId: "alice", userAgent: "Firefox/130" });
    expect(report.data).toEqual({ theme: "dark", cart: "tea" });
    const created = Date.parse(report.createdAt!);
    expect(created).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    expect(Date.parse(report.idleExpiresAt!)).toBe(Date.parse(report.lastSeenAt!) + day);
    expect(Date.parse(report.absoluteExpiresAt!)).toBe(created + 30 * day);
    const text = await tessera(["inspect", cookie.value], { env });
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^result +valid$/m);
    expect(text.stdout).toMatch(new RegExp(`^format +${codec} `, "m"));
    expect(text.stdout).toMatch(/^key +0 \(SECRET_KEY\)$/m);
    expect(text.stdout).toMatch(/^user +alice$/m);
    expect(text.stdout).toContain('"cart":"tea"');
  });

  it("reads the cookie as name=value, as a whole Cookie header, or from stdin with -", async () => {
    const cookie = await cookieOf();
    const runs = await Promise.all([
      tessera(["inspect", cookie.header, "--json"], { env }),
      tessera(["inspect", `Cookie: theme=light; ${cookie.header}; _ga=GA1.2.3`, "--json"], { env }),
      tessera(["inspect", "-", "--json"], { env, input: `${cookie.header}\n` }),
    ]);
    for (const run of runs) {
      expect(run.code).toBe(0);
      expect(json<Report>(run)).toMatchObject({ valid: true, format: "sealed", cookieName: "__Host-sid", userId: "alice" });
    }
  });

  it("names a fallback key by index and variable after a rotation, never by value", async () => {
    const cookie = await cookieOf({ secrets: [oldSecret] });
    const run = await tessera(["inspect", cookie.value, "--json"], { env: { SECRET_KEY: secret, SECRET_KEY_FALLBACKS: `${otherSecret}, ${oldSecret}` } });
    expect(run.code).toBe(0);
    expect(json<Report>(run)).toMatchObject({ valid: true, keyIndex: 2, key: "SECRET_KEY_FALLBACKS[1]" });
  });

  it("reads the keys from --secret-env NAME and NAME_FALLBACKS, or from --secret-file", async () => {
    const cookie = await cookieOf({ secrets: [oldSecret] });
    const file = join(dir, "keys.txt");
    writeFileSync(file, `${secret}\n\n${oldSecret}\n`, { mode: 0o600 });
    const [fromEnv, fromFile] = await Promise.all([
      tessera(["inspect", cookie.value, "--json", "--secret-env", "APP_KEY"], { env: { APP_KEY: secret, APP_KEY_FALLBACKS: oldSecret } }),
      tessera(["inspect", cookie.value, "--json", "--secret-file", file]),
    ]);
    expect(json<Report>(fromEnv)).toMatchObject({ valid: true, keyIndex: 1, key: "APP_KEY_FALLBACKS[0]" });
    expect(json<Report>(fromFile)).toMatchObject({ valid: true, keyIndex: 1, key: `line 3 of ${file}` });
  });

  it("says a changed cookie was tampered with, and exits 1", async () => {
    const cookie = await cookieOf();
    const changed = flip(cookie.value, 60);
    sensitive.add(changed);
    const [asJson, text] = await Promise.all([tessera(["inspect", changed, "--json"], { env }), tessera(["inspect", changed], { env })]);
    expect(asJson.code).toBe(1);
    expect(json<Report>(asJson)).toMatchObject({ valid: false, reason: "tampered", format: "sealed" });
    expect(json<Report>(asJson).data).toBeUndefined();
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/^result +invalid: tampered/m);
  });

  it("says a cookie made with a secret it was not given has an unknown key", async () => {
    const cookie = await cookieOf({ secrets: [otherSecret] });
    const run = await tessera(["inspect", cookie.value, "--json"], { env });
    expect(run.code).toBe(1);
    expect(json<Report>(run)).toMatchObject({ valid: false, reason: "unknown_key" });
  });

  it("says a cookie sent under another name was made for its own, since the name is bound into it", async () => {
    const cookie = await cookieOf({ codec: "signed" });
    const run = await tessera(["inspect", `sid=${cookie.value}`, "--json"], { env });
    expect(run.code).toBe(1);
    expect(json<Report>(run)).toMatchObject({ valid: false, reason: "wrong_cookie_name", cookieName: "sid", madeFor: "__Host-sid", keyIndex: 0 });
  });

  it("says which timeout ended an expired session, still showing what it held", async () => {
    const idle = await cookieOf({ clock: () => Date.now() - 25 * 3_600_000 });
    const old = await cookieOf({ clock: () => Date.now() - 31 * day });
    const [idleRun, oldRun, shortIdle] = await Promise.all([
      tessera(["inspect", idle.value, "--json"], { env }),
      tessera(["inspect", old.value, "--json"], { env }),
      // The application's own timeouts, from its environment as the demo reads them.
      tessera(["inspect", idle.value, "--json"], { env: { ...env, SESSION_IDLE_TIMEOUT: "2d" } }),
    ]);
    expect(idleRun.code).toBe(1);
    expect(json<Report>(idleRun)).toMatchObject({ valid: false, reason: "expired", timeout: "idle", userId: "alice" });
    expect(json<Report>(oldRun)).toMatchObject({ valid: false, reason: "expired", timeout: "absolute" });
    expect(shortIdle.code).toBe(0);
    expect(json<Report>(shortIdle)).toMatchObject({ valid: true });
  });

  it("refuses what is no session cookie, and a header without one, with exit 1", async () => {
    const [junk, header] = await Promise.all([
      tessera(["inspect", "hello-world", "--json"], { env }),
      tessera(["inspect", "Cookie: a=1; b=2"], { env }),
    ]);
    expect(junk.code).toBe(1);
    expect(json<Report>(junk)).toMatchObject({ valid: false, reason: "unknown_format" });
    expect(header.code).toBe(1);
    expect(header.stderr).toContain("none of the 2 cookies is named __Host-sid, __Secure-sid, sid");
  });

  it("asks for a secret with exit 2, and refuses a weak one with exit 1 without printing it", async () => {
    const cookie = await cookieOf();
    const weak = "short-secret-value";
    sensitive.add(weak);
    const [none, short, noCookie] = await Promise.all([
      tessera(["inspect", cookie.value]),
      tessera(["inspect", cookie.value], { env: { SECRET_KEY: secret, SECRET_KEY_FALLBACKS: weak } }),
      tessera(["inspect"], { env }),
    ]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("SECRET_KEY is not set");
    expect(short.code).toBe(1);
    expect(short.stderr).toContain("SECRET_KEY_FALLBACKS[0] must be at least 32 bytes");
    expect(noCookie.code).toBe(2);
  });

  describe("a store token", () => {
    let store: Store;
    beforeAll(() => {
      store = sqliteStore({ path: dbPath, gcInterval: false });
    });
    afterAll(() => store.close());

    it("is looked up in --store by its SHA-256 and never printed, not even in --json", async () => {
      const cookie = await cookieOf({ store });
      const [token] = cookie.value.split(".");
      sensitive.add(token!);
      const [asJson, text] = await Promise.all([
        tessera(["inspect", cookie.header, "--store", `sqlite:${dbPath}`, "--json"], { env }),
        tessera(["inspect", "-", "--store", `sqlite:${dbPath}`], { env, input: cookie.value }),
      ]);
      expect(asJson.code).toBe(0);
      const report = json<Report>(asJson);
      expect(report).toMatchObject({ valid: true, format: "store token", store: "sqlite", keyIndex: 0, userId: "alice", data: { theme: "dark" } });
      expect(report.sessionId).toBe(createHash("sha256").update(cookie.value).digest("base64url"));
      expect(text.code).toBe(0);
      expect(text.stdout).toMatch(/^store +sqlite$/m);
    });

    it("verifies its tag without a store, then asks for --store with exit 2", async () => {
      const cookie = await cookieOf({ store });
      const run = await tessera(["inspect", cookie.value, "--json"], { env });
      expect(run.code).toBe(2);
      expect(json<Report>(run)).toMatchObject({ valid: false, reason: "store_required", keyIndex: 0, cookieName: "__Host-sid" });
    });

    it("is an unknown session once the session is gone, and tampered when its tag does not verify", async () => {
      const cookie = await cookieOf({ store });
      const sessions = createSessions({ secrets: [secret], store });
      expect(await sessions.revokeUserSessions("alice")).toBeGreaterThan(0);
      const forged = flip(cookie.value, 50);
      sensitive.add(forged);
      const [gone, tampered] = await Promise.all([
        tessera(["inspect", cookie.value, "--store", `sqlite:${dbPath}`, "--json"], { env }),
        tessera(["inspect", forged, "--store", `sqlite:${dbPath}`, "--json"], { env }),
      ]);
      expect(gone.code).toBe(1);
      expect(json<Report>(gone)).toMatchObject({ valid: false, reason: "unknown_session", keyIndex: 0 });
      expect(tampered.code).toBe(1);
      expect(json<Report>(tampered)).toMatchObject({ valid: false, reason: "tampered", format: "store token" });
    });

    it("says renewed for a token its session moved away from (renewAfter), and opens the new one", async () => {
      const cookie = await cookieOf({ store });
      const later = Date.now() + 16 * 60_000;
      const sessions = createSessions({ secrets: [secret], store, clock: () => later, renewAfter: "15m" });
      const renewing = await sessions.load(new Request("https://app.test/", { headers: { cookie: cookie.header } }));
      const response = await sessions.commit(renewing, new Response("ok"));
      const renewed = response.headers.getSetCookie()[0]!.split(";")[0]!.split(/=(.*)/s)[1]!;
      sensitive.add(renewed);
      const [old, fresh] = await Promise.all([
        tessera(["inspect", cookie.value, "--store", `sqlite:${dbPath}`, "--json"], { env }),
        tessera(["inspect", renewed, "--store", `sqlite:${dbPath}`, "--json"], { env }),
      ]);
      expect(old.code).toBe(1);
      expect(json<Report>(old)).toMatchObject({ valid: false, reason: "renewed", keyIndex: 0 });
      expect(json<Report>(fresh)).toMatchObject({ valid: true, userId: "alice", data: { theme: "dark" } });
    });

    it("refuses a SQLite path with no database, creating none", async () => {
      const missing = join(dir, "typo.db");
      const cookie = await cookieOf({ store });
      const run = await tessera(["inspect", cookie.value, "--store", `sqlite:${missing}`], { env });
      expect(run.code).toBe(1);
      expect(run.stderr).toContain("no SQLite database at");
      expect(existsSync(missing)).toBe(false);
    });
  });
});

describe("tessera inspect: the formats of Flask, JWT sessions and express-session", () => {
  const interop = join(import.meta.dirname, "..", "..", "shared", "interop");
  /** A short key, as Flask apps often have: Flask takes it, tessera's own formats would refuse it. */
  const flaskKey = "flask-dev-key";
  sensitive.add(flaskKey);

  /** A cookie as `codec` writes it for alice through createSessions, and the session's data. */
  async function issued(codec: Codec, name = "session") {
    const sessions = createSessions({ secrets: [secret], codec, cookie: { name, prefix: "none", secure: false } });
    const session = await sessions.load(new Request("http://app.test/", { headers: { "user-agent": "Firefox/130" } }));
    session.set("cart", "tea");
    await session.signIn("alice");
    const response = await sessions.commit(session, new Response("ok"));
    const value = response.headers.getSetCookie()[0]!.split(";")[0]!.split(/=(.*)/s)[1]!;
    sensitive.add(value);
    return value;
  }

  it("opens a Flask session cookie with the Flask app's short SECRET_KEY, and says when another key made it", async () => {
    const value = await issued(flaskCodec({ secretKey: flaskKey }));
    const [good, fallback, wrong] = await Promise.all([
      tessera(["inspect", `session=${value}`, "--json"], { env: { SECRET_KEY: flaskKey } }),
      tessera(["inspect", value, "--json"], { env: { SECRET_KEY: "another-flask-key", SECRET_KEY_FALLBACKS: flaskKey } }),
      tessera(["inspect", value, "--json"], { env: { SECRET_KEY: "another-flask-key" } }),
    ]);
    expect(good.code).toBe(0);
    expect(json<Report>(good)).toMatchObject({ valid: true, format: "flask", keyIndex: 0, key: "SECRET_KEY", userId: "alice", data: { cart: "tea" } });
    expect(good.stderr).toContain("TESSERA_WEAK_FLASK_KEY");
    expect(fallback.code).toBe(0);
    expect(json<Report>(fallback)).toMatchObject({ valid: true, format: "flask", keyIndex: 1, key: "SECRET_KEY_FALLBACKS[0]" });
    expect(wrong.code).toBe(1);
    expect(json<Report>(wrong)).toMatchObject({ valid: false, format: "flask", reason: "tampered" });
  });

  it("says a cookie the real Flask signed in 2023 is past Flask's max age", async () => {
    const vectors = JSON.parse(readFileSync(join(interop, "flask_vectors.json"), "utf8")) as {
      vectors: { id: string; category: string; secret_key: string; cookie_value: string }[];
    };
    const vector = vectors.vectors.find((entry) => entry.id === "simple_username")!;
    sensitive.add(vector.cookie_value);
    const run = await tessera(["inspect", vector.cookie_value, "--json"], { env: { SECRET_KEY: vector.secret_key } });
    expect(run.code).toBe(1);
    expect(json<Report>(run)).toMatchObject({ valid: false, format: "flask", reason: "expired" });
  });

  it("opens an HS256 JWT with the secrets under the cookie name it was made for, and one with an issuer only when told the issuer", async () => {
    const plain = await issued(jwtCodec({ alg: "HS256", key: secret }));
    const withIssuer = await issued(jwtCodec({ alg: "HS256", key: secret, issuer: "https://app.test" }));
    const [good, noIssuer, issuer, wrong] = await Promise.all([
      tessera(["inspect", `session=${plain}`, "--json"], { env }),
      tessera(["inspect", `session=${withIssuer}`, "--json"], { env }),
      tessera(["inspect", withIssuer, "--json", "--cookie-name", "session", "--issuer", "https://app.test"], { env }),
      tessera(["inspect", `session=${plain}`, "--json"], { env: { SECRET_KEY: otherSecret } }),
    ]);
    expect(good.code).toBe(0);
    expect(json<Report>(good)).toMatchObject({ valid: true, format: "jwt", keyIndex: 0, userId: "alice", data: { cart: "tea" } });
    expect(noIssuer.code).toBe(1);
    expect(json<Report>(noIssuer)).toMatchObject({ valid: false, format: "jwt" });
    expect(issuer.code).toBe(0);
    expect(json<Report>(issuer)).toMatchObject({ valid: true, format: "jwt", userId: "alice" });
    expect(wrong.code).toBe(1);
    expect(json<Report>(wrong)).toMatchObject({ valid: false, format: "jwt" });
  });

  it("opens an EdDSA JWT only with --public-key-file, and a dir JWE with a 32-byte base64url secret", async () => {
    const { privateKey, publicKey } = generateKeyPairSync("ed25519");
    const signed = await issued(jwtCodec({ alg: "EdDSA", key: privateKey.export({ format: "pem", type: "pkcs8" }).toString() }));
    const pem = join(dir, "jwt-public.pem");
    writeFileSync(pem, publicKey.export({ format: "pem", type: "spki" }).toString());
    const dirKey = randomBytes(32);
    sensitive.add(dirKey.toString("base64url"));
    const encrypted = await issued(jwtCodec({ alg: "dir", key: dirKey }));
    const [withKey, withoutKey, jwe] = await Promise.all([
      tessera(["inspect", `session=${signed}`, "--json", "--public-key-file", pem], { env }),
      tessera(["inspect", `session=${signed}`, "--json"], { env }),
      tessera(["inspect", `session=${encrypted}`, "--json"], { env: { SECRET_KEY: secret, SECRET_KEY_FALLBACKS: dirKey.toString("base64url") } }),
    ]);
    expect(withKey.code).toBe(0);
    expect(json<Report>(withKey)).toMatchObject({ valid: true, format: "jwt", key: "--public-key-file", userId: "alice" });
    expect(withoutKey.code).toBe(1);
    expect(json<Report>(withoutKey)).toMatchObject({ valid: false, format: "jwt", reason: "unknown_key" });
    expect(jwe.code).toBe(0);
    expect(json<Report>(jwe)).toMatchObject({ valid: true, format: "jwt", keyIndex: 1, userId: "alice", data: { cart: "tea" } });
  });

  it("verifies an express-session cookie with the old app's secret, never printing the session id", async () => {
    const vectors = JSON.parse(readFileSync(join(interop, "express_vectors.json"), "utf8")) as {
      vectors: { id: string; secret: string; session_id: string; cookie_value: string; cookie_value_decoded: string }[];
    };
    const vector = vectors.vectors.find((entry) => entry.id === "simple")!;
    sensitive.add(vector.session_id);
    const [encoded, decoded, wrong, changed] = await Promise.all([
      tessera(["inspect", `connect.sid=${vector.cookie_value}`, "--json"], { env: { SECRET_KEY: vector.secret } }),
      tessera(["inspect", vector.cookie_value_decoded], { env: { SECRET_KEY: "keyboard cat", SECRET_KEY_FALLBACKS: vector.secret } }),
      tessera(["inspect", vector.cookie_value, "--json"], { env: { SECRET_KEY: "keyboard cat" } }),
      tessera(["inspect", vector.cookie_value.replace(/.$/, (last) => (last === "A" ? "B" : "A")), "--json"], { env: { SECRET_KEY: vector.secret } }),
    ]);
    expect(encoded.code).toBe(0);
    expect(json<Report>(encoded)).toMatchObject({ valid: true, format: "express-session", keyIndex: 0, cookieName: "connect.sid" });
    expect(json<Report & { message: string }>(encoded).message).toContain("express-session store");
    expect(decoded.code).toBe(0);
    expect(decoded.stdout).toMatch(/^format +express-session /m);
    expect(decoded.stdout).toMatch(/^key +1 \(SECRET_KEY_FALLBACKS\[0\]\)$/m);
    expect(wrong.code).toBe(1);
    expect(json<Report>(wrong)).toMatchObject({ valid: false, format: "express-session", reason: "tampered" });
    expect(changed.code).toBe(1);
    expect(json<Report>(changed)).toMatchObject({ valid: false, reason: "tampered" });
  });
});
