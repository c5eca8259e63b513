// `tessera sessions` and `tessera gc` run as the built binary against real SQLite, Redis and PostgreSQL, while this
// process plays the application sharing the store. No output may hold a token or a password (checked on every run).

import Database from "better-sqlite3";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { createClient } from "redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSessions, encodeRecord, type Sessions, type Store } from "../src/index.js";
import { postgresStore } from "../src/stores/postgres/index.js";
import { redisStore } from "../src/stores/redis/index.js";
import { sqliteStore } from "../src/stores/sqlite/index.js";
import { ensureBuilt, json, sensitive, tessera, type Run } from "./servers/cli.js";

const secret = "cli store test secret; 48 bytes long, for tests.";
sensitive.add(secret);
const redisUrl = "redis://127.0.0.1:6379";
const postgresUrl = process.env.TESSERA_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const run = `${process.pid.toString(36)}${Date.now().toString(36)}`;
const dir = mkdtempSync(join(tmpdir(), "tessera-cli-stores-"));
const admin = new pg.Pool({ connectionString: postgresUrl, max: 2 });
admin.on("error", () => undefined);

beforeAll(() => ensureBuilt(), 600_000);
afterAll(async () => {
  await admin.end();
  rmSync(dir, { recursive: true, force: true });
});

/** A store as the application opens it, and the same store as `--store ...` arguments. */
interface Backend {
  store: Store;
  args: string[];
  /** Adds `expired` sessions that expired a second ago and `live` ones that expire in an hour, in bulk. */
  seed?(expired: number, live: number): Promise<void>;
  /** Rows left in the store. */
  rows?(): Promise<number>;
  cleanup(): Promise<void>;
}

const backends: Record<string, () => Backend> = {
  sqlite: () => {
    const path = join(dir, `sessions-${randomBytes(4).toString("hex")}.db`);
    const store = sqliteStore({ path, gcInterval: false });
    return {
      store,
      args: ["--store", `sqlite:${path}`],
      async seed(expired, live) {
        const db = new Database(path);
        db.pragma("busy_timeout = 5000");
        const insert = db.prepare("INSERT INTO tessera_sessions (id, version, user_id, expires_at, record) VALUES (?, 1, ?, ?, ?)");
        const text = encodeRecord({ data: { cart: ["tea"] }, flash: {}, meta: { createdAt: 0, lastSeenAt: 0 } });
        db.transaction(() => {
          for (let i = 0; i < expired; i++) insert.run(`expired-${i}`, i % 10 === 0 ? `user${i}` : null, Date.now() - 1000, text);
          for (let i = 0; i < live; i++) insert.run(`live-${i}`, null, Date.now() + 3_600_000, text);
        })();
        db.close();
      },
      async rows() {
        const db = new Database(path, { readonly: true });
        try {
          return (db.prepare("SELECT count(*) FROM tessera_sessions").pluck().get() as number) ?? 0;
        } finally {
          db.close();
        }
      },
      cleanup: async () => store.close(),
    };
  },
  redis: () => {
    const prefix = `tessera-cli-test:${run}:${randomBytes(3).toString("hex")}:`;
    const store = redisStore({ url: redisUrl, prefix });
    return {
      store,
      args: ["--store", redisUrl, "--prefix", prefix],
      async cleanup() {
        await store.close();
        const client = createClient({ url: redisUrl });
        await client.connect();
        for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) if (keys.length > 0) await client.unlink(keys);
        await client.quit();
      },
    };
  },
  postgres: () => {
    const table = `tessera_cli_${run}_${randomBytes(3).toString("hex")}`;
    const store = postgresStore({ url: postgresUrl, table, gcInterval: false });
    return {
      store,
      args: ["--store", postgresUrl, "--table", table],
      async seed(expired, live) {
        // The table is created by the store's first call.
        await store.get("none");
        const text = encodeRecord({ data: { cart: ["tea"] }, flash: {}, meta: { createdAt: 0, lastSeenAt: 0 } });
        const now = Date.now();
        await admin.query(`INSERT INTO ${table} (id, version, user_id, expires_at, record) SELECT 'expired-' || g, 1, NULL, $1, $2 FROM generate_series(1, $3::int) g`, [now - 1000, text, expired]);
        await admin.query(`INSERT INTO ${table} (id, version, user_id, expires_at, record) SELECT 'live-' || g, 1, NULL, $1, $2 FROM generate_series(1, $3::int) g`, [now + 3_600_000, text, live]);
      },
      async rows() {
        const { rows } = await admin.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`);
        return Number(rows[0]!.n);
      },
      async cleanup() {
        await store.close();
        await admin.query(`DROP TABLE IF EXISTS ${table}`);
      },
    };
  },
};

/** Signs `userId` in on a new session from a browser named `agent`; returns its cookie header and at-rest id. */
async function signIn(sessions: Sessions, userId: string, agent: string): Promise<{ cookie: string; id: string }> {
  const session = await sessions.load(new Request("https://app.test/", { headers: { "user-agent": agent } }));
  session.set("seen", true);
  await session.signIn(userId);
  const response = await sessions.commit(session, new Response("ok"));
  const pair = response.headers.getSetCookie()[0]!.split(";")[0]!;
  const value = pair.slice(pair.indexOf("=") + 1);
  sensitive.add(value);
  sensitive.add(value.split(".")[0]!);
  return { cookie: pair, id: createHash("sha256").update(value).digest("base64url") };
}

/** Whether the application still finds a signed-in session behind `cookie`. */
async function signedIn(sessions: Sessions, cookie: string): Promise<boolean> {
  const session = await sessions.load(new Request("https://app.test/", { headers: { cookie } }));
  return session.userId !== undefined;
}

type Listing = { store: string; user: string; sessions: { id: string; createdAt: string; lastSeenAt: string; userAgent: string | null }[] };
type Revoked = { revoked: number; sessions: { id: string; ended: boolean }[] };
type Summary = { store: string; collected: boolean; scanned: number; expired: number; deleted: number; batches: number; seconds: number; longestPauseMs: number; interrupted: boolean; reason?: string };

describe.each(Object.keys(backends))("tessera sessions on %s", (name) => {
  let backend: Backend;
  let sessions: Sessions;
  beforeAll(() => {
    backend = backends[name]!();
    sessions = createSessions({ secrets: [secret], store: backend.store });
  });
  afterAll(async () => backend.cleanup());

  it("lists a user's sessions, revokes all but one with --except, then the rest with --all", async () => {
    const laptop = await signIn(sessions, "alice", "Firefox/130 (laptop)");
    const phone = await signIn(sessions, "alice", "Safari/18 (phone)");
    const tablet = await signIn(sessions, "alice", "Chrome/129 (tablet)");
    const bob = await signIn(sessions, "bob", "Edge/129");

    const [listed, table] = await Promise.all([
      tessera(["sessions", "list", ...backend.args, "--user", "alice", "--json"]),
      tessera(["sessions", "list", ...backend.args, "--user", "alice"]),
    ]);
    expect(listed.code).toBe(0);
    const listing = json<Listing>(listed);
    expect(listing.store).toBe(name);
    expect(listing.sessions.map((s) => s.id).sort()).toEqual([laptop.id, phone.id, tablet.id].sort());
    expect(listing.sessions.map((s) => s.userAgent).sort()).toEqual(["Chrome/129 (tablet)", "Firefox/130 (laptop)", "Safari/18 (phone)"]);
    expect(table.code).toBe(0);
    expect(table.stdout).toContain(`3 live sessions of alice in ${name}`);
    expect(table.stdout).toMatch(/^SESSION ID +CREATED +LAST SEEN +USER AGENT$/m);
    for (const session of [laptop, phone, tablet]) expect(table.stdout).toContain(session.id);

    const [neither, unknown] = await Promise.all([
      tessera(["sessions", "revoke", ...backend.args, "--user", "alice"]),
      tessera(["sessions", "revoke", ...backend.args, "--user", "alice", "--except", "no-such-session"]),
    ]);
    expect(neither.code).toBe(2);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("nothing was revoked");
    expect(await signedIn(sessions, laptop.cookie)).toBe(true);

    const kept = await tessera(["sessions", "revoke", ...backend.args, "--user", "alice", "--except", phone.id, "--json"]);
    expect(kept.code).toBe(0);
    const revoked = json<Revoked>(kept);
    expect(revoked.revoked).toBe(2);
    expect(revoked.sessions.filter((s) => !s.ended).map((s) => s.id)).toEqual([phone.id]);
    expect(await signedIn(sessions, laptop.cookie)).toBe(false);
    expect(await signedIn(sessions, tablet.cookie)).toBe(false);
    expect(await signedIn(sessions, phone.cookie)).toBe(true);

    const all = await tessera(["sessions", "revoke", ...backend.args, "--user", "alice", "--all"]);
    expect(all.code).toBe(0);
    expect(all.stdout).toContain(`revoked 1 session of alice in ${name}`);
    expect(all.stdout).toMatch(new RegExp(`^${phone.id} .* ended$`, "m"));
    expect(await signedIn(sessions, phone.cookie)).toBe(false);
    // Another user's sessions are untouched.
    expect(await signedIn(sessions, bob.cookie)).toBe(true);
    const after = await tessera(["sessions", "list", ...backend.args, "--user", "alice", "--json"]);
    expect(json<Listing>(after).sessions).toEqual([]);
  }, 120_000);
});

describe.each(["sqlite", "postgres"])("tessera gc on %s", (name) => {
  let backend: Backend;
  beforeAll(() => {
    backend = backends[name]!();
  });
  afterAll(async () => backend.cleanup());

  it("deletes 100,000 expired sessions in batches, keeping live ones, while the application keeps writing", async () => {
    await backend.seed!(100_000, 1_000);
    const sessions = createSessions({ secrets: [secret], store: backend.store });
    // The application: one session written over and over for as long as gc runs. No write may fail.
    const { cookie } = await signIn(sessions, "carol", "Firefox/130");
    let writes = 0;
    let failures = 0;
    let done = false;
    const collecting = tessera(["gc", ...backend.args, "--json"]).finally(() => (done = true));
    do {
      try {
        const session = await sessions.load(new Request("https://app.test/", { headers: { cookie } }));
        session.set("visits", writes);
        await sessions.commit(session, new Response("ok"));
        writes++;
      } catch {
        failures++;
      }
    } while (!done);
    const result: Run = await collecting;
    expect(result.code).toBe(0);
    const summary = json<Summary>(result);
    expect(summary).toMatchObject({ store: name, collected: true, deleted: 100_000, expired: 100_000, scanned: 101_001, interrupted: false });
    // Batches of 500 (the stores' default): 200 full ones and the last, which finds none left.
    expect(summary.batches).toBe(201);
    expect(summary.longestPauseMs).toBeGreaterThan(0);
    // Not a terminal: one plain line per batch on stderr.
    const lines = result.stderr.split("\n").filter((line) => line.startsWith("batch "));
    expect(lines).toHaveLength(201);
    expect(lines[0]).toMatch(/^batch 1: 500 deleted in [\d.]+ ms; 500 of 100,000 deleted$/);
    expect(writes).toBeGreaterThan(0);
    expect(failures).toBe(0);
    expect(await backend.rows!()).toBe(1_001);
    expect(await signedIn(sessions, cookie)).toBe(true);
  }, 300_000);

  it("takes --batch, and prints a summary line", async () => {
    await backend.seed!(0, 0);
    await backend.store.create(`expired-small-${randomBytes(4).toString("hex")}`, "{}", { now: Date.now(), expiresAt: Date.now() - 1000, ttlSeconds: 1, userId: undefined });
    const [small, usage] = await Promise.all([tessera(["gc", ...backend.args, "--batch", "1"]), tessera(["gc", ...backend.args, "--batch", "0"])]);
    expect(small.code).toBe(0);
    expect(small.stdout).toMatch(/^scanned [\d,]+ sessions \(1 expired\); deleted 1 in 2 batches, [\d.]+ s; longest pause [\d.]+ ms$/m);
    expect(usage.code).toBe(2);
  }, 120_000);
});

describe("tessera gc and sessions where the store cannot", () => {
  it.each([
    ["redis", redisUrl],
    ["memcached", "memcached://127.0.0.1:11211"],
  ])("gc says %s expires sessions itself and exits 0", async (name, url) => {
    const [text, asJson] = await Promise.all([tessera(["gc", "--store", url]), tessera(["gc", "--store", url, "--json"])]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`${name} expires sessions itself`);
    expect(json<Summary>(asJson)).toMatchObject({ store: name, collected: false, reason: "native_expiry" });
  }, 60_000);

  it("sessions list on memcached is refused with exit 1, naming why", async () => {
    const run = await tessera(["sessions", "list", "--store", "memcached://127.0.0.1:11211", "--user", "alice"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("ERR_NOT_SUPPORTED");
  }, 60_000);

  it("never prints a store URL's password, and refuses an unknown scheme with exit 2 without echoing it", async () => {
    const password = "pw-that-must-not-leak-7731";
    sensitive.add(password);
    const [refused, unknown] = await Promise.all([
      tessera(["gc", "--store", `postgres://postgres:${password}@127.0.0.1:1/test`]),
      tessera(["sessions", "list", "--user", "alice", "--store", `mysql://root:${password}@127.0.0.1/db`]),
    ]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("ECONNREFUSED");
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("--store` must be sqlite:<path>");
  }, 60_000);
});
