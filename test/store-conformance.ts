// The store conformance suite: the same cases for every Store, at the contract and through createSessions.

import { createHash, randomBytes } from "node:crypto";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import {
  createSessions,
  hasUserIndex,
  TesseraError,
  type JsonValue,
  type SessionEvent,
  type SessionRecord,
  type SessionsOptions,
  type Store,
  type UserIndex,
} from "../src/index.js";
import { z } from "zod";
import { describeRaces } from "./race-scenarios.js";
import { describeRenewal } from "./renewal-scenarios.js";
import { describeRevocation } from "./revocation-scenarios.js";
import { recordView, type RecordWriteOptions } from "./record-store.js";

/** How the suite makes, inspects and tidies up after one kind of store. */
export interface StoreSetup {
  /** A new, empty store; called once or more per test. The suite closes every store it made after each test. */
  make: () => Promise<Store> | Store;
  /** Every key and row the backend holds for `store`, as text, so a test can search it for raw tokens. */
  dump?: (store: Store) => Promise<string> | string;
  /** Runs once after the suite, to remove files or stop servers. */
  cleanup?: () => Promise<void> | void;
  /**
   * The optional capabilities the store has; the cases that need one it lacks are skipped, saying why. The suite
   * checks each declaration against the store itself, so a store that lost a capability fails instead of skipping.
   */
  capabilities?: StoreCapabilities;
}

/** Optional capabilities of the Store contract a store declares. */
export interface StoreCapabilities {
  /**
   * The user index (`listByUser` and `deleteByUser`, `hasUserIndex(store)`). A backend that cannot find keys by
   * user (memcached) declares `false` and has neither method: no stub that throws. @default true
   */
  userIndex?: boolean;
}

/** The store methods the suite can watch or break, by name. */
export type StoreOperation = "get" | "create" | "update" | "delete" | "listByUser" | "deleteByUser" | "gc" | "close";

/** Stands between the manager and a store: `forward` runs the real call. */
export type StoreHook = (operation: StoreOperation, args: unknown[], forward: () => unknown) => unknown;

/**
 * A store that sends every call through `hook` before the real one, for counting calls or making them fail. It has
 * the optional capabilities (`gc`, the user index) exactly when `store` has them.
 *
 * @example
 * const broken = intercept(store, (op, _args, forward) => (op === "get" ? Promise.reject(new Error("down")) : forward()));
 */
export function intercept(store: Store, hook: StoreHook): Store {
  const through =
    (operation: StoreOperation) =>
    (...args: unknown[]): never => {
      const method = (store as Store & Partial<UserIndex>)[operation] as ((...a: unknown[]) => unknown) | undefined;
      return hook(operation, args, () => method!.apply(store, args)) as never;
    };
  return {
    name: store.name,
    get: through("get"),
    create: through("create"),
    update: through("update"),
    delete: through("delete"),
    ...(hasUserIndex(store) ? { listByUser: through("listByUser"), deleteByUser: through("deleteByUser") } : {}),
    ...(store.gc ? { gc: through("gc") } : {}),
    close: through("close"),
  };
}

/**
 * The user index of `store`, failing the test when it has none.
 *
 * @example
 * expect(await userIndex(store).listByUser("alice")).toEqual([]);
 */
export function userIndex(store: Store): UserIndex {
  if (!hasUserIndex(store)) throw new Error(`the ${store.name} store has no user index`);
  return store;
}

/**
 * A store that counts its calls and keeps their arguments as JSON, forwarding each one to `store`.
 *
 * @example
 * const { store: counted, calls } = spy(store);
 * expect(calls.create).toBe(0);
 */
export function spy(store: Store): { store: Store; calls: Record<StoreOperation, number>; log: string[] } {
  const calls: Record<StoreOperation, number> = { get: 0, create: 0, update: 0, delete: 0, listByUser: 0, deleteByUser: 0, gc: 0, close: 0 };
  const log: string[] = [];
  const counted = intercept(store, (operation, args, forward) => {
    calls[operation]++;
    log.push(`${operation} ${JSON.stringify(args)}`);
    return forward();
  });
  return { store: counted, calls, log };
}

/**
 * Asserts that a store factory refuses each option name of an earlier release with `ERR_OPTION_RENAMED`, naming the
 * old option and every option that replaces it.
 *
 * @example
 * expectRenamed((old) => redisStore({ url, ...old }), { connectTimeoutMs: ["connectTimeout"] });
 */
export function expectRenamed(make: (old: Record<string, unknown>) => unknown, renamed: Record<string, string[]>): void {
  for (const [old, replacements] of Object.entries(renamed)) {
    let error: unknown;
    try {
      make({ [old]: 1 });
    } catch (e) {
      error = e;
    }
    expect(error, old).toBeInstanceOf(TesseraError);
    expect(error, old).toMatchObject({ code: "ERR_OPTION_RENAMED", message: expect.stringContaining(`\`${old}\``) });
    for (const name of replacements) expect((error as Error).message, old).toContain(`\`${name}\``);
  }
}

/** The at-rest id of a token, computed here independently of tessera: SHA-256, base64url. */
export function sha256(token: string): string {
  return createHash("sha256").update(token).digest("base64url");
}

/** A cookie from a response's `Set-Cookie` headers: its value and `Max-Age`. */
export interface SetCookie {
  name: string;
  value: string;
  maxAge: number | undefined;
}

/**
 * Every cookie a Fetch API response sets.
 *
 * @example
 * setCookies(response); // [{ name: "sid", value: "…", maxAge: 86400 }]
 */
export function setCookies(response: Response): SetCookie[] {
  return response.headers.getSetCookie().map((header) => {
    const [pair = "", ...attributes] = header.split(";");
    const eq = pair.indexOf("=");
    const maxAge = attributes.map((a) => a.trim()).find((a) => a.toLowerCase().startsWith("max-age="));
    return { name: pair.slice(0, eq).trim(), value: pair.slice(eq + 1).trim(), maxAge: maxAge === undefined ? undefined : Number(maxAge.slice(8)) };
  });
}

/** The session cookie's name on the suite's HTTPS requests: the default `__Host-` prefix applies. */
export const sessionCookie = "__Host-sid";

/** The session token a response issued, failing the test when it issued none. */
export function issuedToken(response: Response): string {
  const cookies = setCookies(response).filter((c) => c.name === sessionCookie && c.value !== "");
  expect(cookies, "the response should set exactly one session cookie").toHaveLength(1);
  return cookies[0]!.value;
}

type Data = { count?: number; a?: string; b?: string; name?: string; cart?: string[] };

const secret = "conformance suite secret, 48 bytes long........";
const hour = 3_600_000;

/** A request to the app, with the session cookie when one is given. */
export function request(token?: string, userAgent = "conformance/1.0"): Request {
  const headers: Record<string, string> = { "user-agent": userAgent };
  if (token !== undefined) headers.cookie = `theme=dark; ${sessionCookie}=${token}`;
  return new Request("https://app.test/account", { headers });
}

function freshId(): string {
  return sha256(randomBytes(32).toString("base64url"));
}

function recordOf(data: Record<string, JsonValue>, meta: Partial<SessionRecord["meta"]> = {}, flash: Record<string, JsonValue> = {}): SessionRecord {
  const at = 1_700_000_000_000;
  return { data, flash, meta: { createdAt: at, lastSeenAt: at, ...meta } };
}

function writeAt(expiresAt: number): RecordWriteOptions {
  return { expiresAt, ttlSeconds: Math.max(1, Math.ceil((expiresAt - Date.now()) / 1000)) };
}

/** A promise that never settles: a store that hangs. */
function never(): Promise<never> {
  return new Promise<never>(() => undefined);
}

/** Asserts that `promise` rejects with a TesseraError coded `ERR_STORE_UNAVAILABLE`, and returns the error. */
async function expectUnavailable(promise: Promise<unknown>): Promise<TesseraError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TesseraError);
  expect((error as TesseraError).code).toBe("ERR_STORE_UNAVAILABLE");
  return error as TesseraError;
}

/**
 * Registers the conformance suite for one store: the Store contract method by method, then the guarantees the
 * manager makes on top of it (no lost updates, no resurrection, hashed ids, failing closed).
 *
 * @example
 * describeStore("memory", { make: () => memoryStore() });
 */
export function describeStore(name: string, setup: StoreSetup): void {
  describe(`${name} store conformance`, () => {
    const canList = setup.capabilities?.userIndex !== false;
    const cannotList = "this store has no user index to find a user's sessions by (capabilities.userIndex: false)";
    let made: Store[] = [];
    const make = async (): Promise<Store> => {
      const store = await setup.make();
      made.push(store);
      return store;
    };
    afterEach(async () => {
      // close() is idempotent by contract, so stores a test already closed are closed again here.
      for (const store of made) await store.close();
      made = [];
    });
    afterAll(async () => {
      await setup.cleanup?.();
    });

    describe("the Store contract", () => {
      const later = Date.now() + hour;

      it("returns undefined for an id it has never seen", async () => {
        const store = recordView(await make());
        expect(await store.get(freshId())).toBeUndefined();
      });

      it("gives back what create wrote, data, flash and metadata, at version 1", async () => {
        const store = recordView(await make());
        const id = freshId();
        const record = recordOf(
          { name: "Zoë 🍪", cart: ["a", "b"], nested: { deep: [1, 2.5, null, true] } },
          { userId: "alice", userAgent: "Mozilla/5.0 (X11)", lastSeenAt: 1_700_000_000_500 },
          { notice: "Saved" },
        );
        expect(await store.create(id, record, writeAt(later))).toBe(true);
        expect(await store.get(id)).toEqual({ record, version: 1 });
      });

      it("refuses to create over an existing id and leaves the record as it was", async () => {
        const store = recordView(await make());
        const id = freshId();
        await store.create(id, recordOf({ name: "first" }, { userId: "alice" }), writeAt(later));
        expect(await store.create(id, recordOf({ name: "second" }, { userId: "bob" }), writeAt(later))).toBe(false);
        expect(await store.get(id)).toEqual({ record: recordOf({ name: "first" }, { userId: "alice" }), version: 1 });
        if (canList) expect(await store.listByUser!("bob")).toEqual([]);
      });

      it("keeps its own copy, so changing the caller's object afterwards changes nothing stored", async () => {
        const store = recordView(await make());
        const id = freshId();
        const record = recordOf({ cart: ["a"] });
        await store.create(id, record, writeAt(later));
        (record.data.cart as string[]).push("b");
        record.data.name = "changed";
        const first = await store.get(id);
        expect(first?.record.data).toEqual({ cart: ["a"] });
      });

      it("replaces the record on update at the current version and returns the next version", async () => {
        const store = recordView(await make());
        const id = freshId();
        await store.create(id, recordOf({ count: 1 }), writeAt(later));
        expect(await store.update(id, recordOf({ count: 2 }), 1, writeAt(later))).toBe(2);
        expect(await store.update(id, recordOf({ count: 3 }), 2, writeAt(later))).toBe(3);
        expect(await store.get(id)).toEqual({ record: recordOf({ count: 3 }), version: 3 });
      });

      it("refuses an update at a stale version and leaves the record unchanged", async () => {
        const store = recordView(await make());
        const id = freshId();
        await store.create(id, recordOf({ count: 1 }), writeAt(later));
        await store.update(id, recordOf({ count: 2 }), 1, writeAt(later));
        expect(await store.update(id, recordOf({ count: 99 }), 1, writeAt(later))).toBeUndefined();
        expect(await store.update(id, recordOf({ count: 99 }), 3, writeAt(later))).toBeUndefined();
        expect(await store.get(id)).toEqual({ record: recordOf({ count: 2 }), version: 2 });
      });

      it("never creates a record when updating an id that does not exist", async () => {
        const store = recordView(await make());
        const id = freshId();
        expect(await store.update(id, recordOf({ count: 1 }, { userId: "ghost" }), 1, writeAt(later))).toBeUndefined();
        expect(await store.update(id, recordOf({ count: 1 }, { userId: "ghost" }), 0, writeAt(later))).toBeUndefined();
        expect(await store.get(id)).toBeUndefined();
        if (canList) expect(await store.listByUser!("ghost")).toEqual([]);
      });

      it("lets exactly one of two concurrent updates at the same version win", async () => {
        const store = recordView(await make());
        const id = freshId();
        await store.create(id, recordOf({ count: 0 }), writeAt(later));
        const results = await Promise.all([
          store.update(id, recordOf({ count: 1 }), 1, writeAt(later)),
          store.update(id, recordOf({ count: 2 }), 1, writeAt(later)),
        ]);
        expect(results.filter((v) => v === 2)).toHaveLength(1);
        expect(results.filter((v) => v === undefined)).toHaveLength(1);
        const winner = results[0] === 2 ? 1 : 2;
        expect(await store.get(id)).toEqual({ record: recordOf({ count: winner }), version: 2 });
      });

      it("deletes a record, and deleting an id that is not there is harmless", async () => {
        const store = recordView(await make());
        const id = freshId();
        const other = freshId();
        await store.create(id, recordOf({ a: "1" }, { userId: "alice" }), writeAt(later));
        await store.create(other, recordOf({ a: "2" }), writeAt(later));
        await store.delete(id);
        await store.delete(id);
        await store.delete(freshId());
        expect(await store.get(id)).toBeUndefined();
        if (canList) expect(await store.listByUser!("alice")).toEqual([]);
        expect(await store.update(id, recordOf({ a: "3" }), 1, writeAt(later))).toBeUndefined();
        expect((await store.get(other))?.record.data).toEqual({ a: "2" });
      });

      it(`has the user index exactly as declared (${canList ? "it has one" : "none, and no stub methods"})`, async () => {
        const store = await make();
        expect(hasUserIndex(store)).toBe(canList);
        if (!canList) expect(["listByUser", "deleteByUser"].filter((method) => method in store)).toEqual([]);
      });

      it("lists a user's sessions by at-rest id with their records and versions, and nobody else's", async (context) => {
        if (!canList) {
          context.skip(cannotList);
          return;
        }
        const store = recordView(await make());
        const [a1, a2, b1, anon] = [freshId(), freshId(), freshId(), freshId()];
        await store.create(a1, recordOf({ n: 1 }, { userId: "alice", userAgent: "phone" }), writeAt(later));
        await store.create(a2, recordOf({ n: 2 }, { userId: "alice" }), writeAt(later));
        await store.create(b1, recordOf({ n: 3 }, { userId: "bob" }), writeAt(later));
        await store.create(anon, recordOf({ n: 4 }), writeAt(later));
        await store.update(a2, recordOf({ n: 5 }, { userId: "alice" }), 1, writeAt(later));
        const listed = (await store.listByUser!("alice")).sort((x, y) => (x.record.data.n as number) - (y.record.data.n as number));
        expect(listed).toEqual([
          { id: a1, record: recordOf({ n: 1 }, { userId: "alice", userAgent: "phone" }), version: 1 },
          { id: a2, record: recordOf({ n: 5 }, { userId: "alice" }), version: 2 },
        ]);
        expect((await store.listByUser!("bob")).map((s) => s.id)).toEqual([b1]);
        expect(await store.listByUser!("carol")).toEqual([]);
        expect(await store.listByUser!("Alice")).toEqual([]);
      });

      it("moves a session to its new user when an update changes the userId, and out when it drops it", async (context) => {
        if (!canList) {
          context.skip(cannotList);
          return;
        }
        const store = recordView(await make());
        const id = freshId();
        await store.create(id, recordOf({}, { userId: "alice" }), writeAt(later));
        await store.update(id, recordOf({}, { userId: "bob" }), 1, writeAt(later));
        expect(await store.listByUser!("alice")).toEqual([]);
        expect((await store.listByUser!("bob")).map((s) => s.id)).toEqual([id]);
        await store.update(id, recordOf({}), 2, writeAt(later));
        expect(await store.listByUser!("bob")).toEqual([]);
        expect(await store.deleteByUser!("bob")).toBe(0);
        expect(await store.get(id)).toBeDefined();
      });

      it("deletes every session of a user except the one named, and counts what went", async (context) => {
        if (!canList) {
          context.skip(cannotList);
          return;
        }
        const store = recordView(await make());
        const [a1, a2, a3, b1] = [freshId(), freshId(), freshId(), freshId()];
        for (const id of [a1, a2, a3]) await store.create(id, recordOf({}, { userId: "alice" }), writeAt(later));
        await store.create(b1, recordOf({}, { userId: "bob" }), writeAt(later));
        expect(await store.deleteByUser!("alice", a2)).toBe(2);
        expect(await store.get(a1)).toBeUndefined();
        expect(await store.get(a3)).toBeUndefined();
        expect(await store.get(a2)).toBeDefined();
        expect((await store.listByUser!("alice")).map((s) => s.id)).toEqual([a2]);
        expect(await store.deleteByUser!("alice")).toBe(1);
        expect(await store.get(a2)).toBeUndefined();
        expect(await store.deleteByUser!("alice")).toBe(0);
        expect(await store.deleteByUser!("nobody", b1)).toBe(0);
        expect(await store.get(b1)).toBeDefined();
      });

      it("collects only records whose expiresAt has passed, by the time it is given", async (context) => {
        const store = recordView(await make());
        if (store.gc === undefined) {
          context.skip("this store expires records natively and has no gc");
          return;
        }
        // Far from the real clock, so a store that ignored `now` and used Date.now would collect nothing.
        const now = Date.now() + 1000 * hour;
        const [gone, boundary, kept, renewed] = [freshId(), freshId(), freshId(), freshId()];
        await store.create(gone, recordOf({}, { userId: "alice" }), writeAt(now - 1));
        await store.create(boundary, recordOf({}), writeAt(now));
        await store.create(kept, recordOf({}, { userId: "alice" }), writeAt(now + 1));
        await store.create(renewed, recordOf({}), writeAt(now - hour));
        expect(await store.update(renewed, recordOf({ renewed: true }), 1, writeAt(now + hour))).toBe(2);
        expect(await store.gc(now - 2 * hour)).toBe(0);
        expect(await store.gc(now)).toBe(2);
        expect(await store.get(gone)).toBeUndefined();
        expect(await store.get(boundary)).toBeUndefined();
        expect(await store.get(kept)).toBeDefined();
        expect((await store.get(renewed))?.record.data).toEqual({ renewed: true });
        if (canList) expect((await store.listByUser!("alice")).map((s) => s.id)).toEqual([kept]);
        expect(await store.gc(now)).toBe(0);
      });

      it("fails rather than answers once closed, and closing twice is harmless", async () => {
        const store = recordView(await make());
        const id = freshId();
        await store.create(id, recordOf({ a: "1" }), writeAt(later));
        await store.close();
        await expect(Promise.resolve().then(() => store.get(id))).rejects.toThrow();
        await expect(Promise.resolve().then(() => store.create(freshId(), recordOf({}), writeAt(later)))).rejects.toThrow();
        await store.close();
      });
    });

    describe("through createSessions", () => {
      let now = 0;
      const open = (store: Store, options: Partial<SessionsOptions> = {}) => {
        now = Date.now();
        return createSessions<Data>({ secrets: [secret], store, clock: () => now, ...options });
      };
      /** A session holding `data`, written through the manager; returns its token. */
      const seed = async (sessions: ReturnType<typeof open>, data: Data): Promise<string> => {
        const session = await sessions.load(request());
        for (const [key, value] of Object.entries(data)) session.set(key as keyof Data, value as never);
        return issuedToken(await sessions.commit(session, new Response("ok")));
      };

      it("keeps data across two requests through the session cookie", async () => {
        const store = await make();
        const sessions = open(store);
        const first = await sessions.load(request());
        expect(first.isNew).toBe(true);
        first.set("cart", ["book"]);
        const token = issuedToken(await sessions.commit(first, new Response("ok")));
        expect(token).toMatch(/^[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{22}$/);

        const second = await sessions.load(request(token));
        expect(second.isNew).toBe(false);
        expect(second.get("cart")).toEqual(["book"]);
        second.set("cart", ["book", "pen"]);
        await sessions.commit(second, new Response("ok"));
        expect((await sessions.load(request(token))).get("cart")).toEqual(["book", "pen"]);
      });

      it("writes nothing for a request that only read its session", async () => {
        const store = await make();
        const { store: counted, calls } = spy(store);
        const sessions = open(counted);
        const token = await seed(sessions, { name: "x" });
        const [creates, updates] = [calls.create, calls.update];
        const session = await sessions.load(request(token));
        expect(session.get("name")).toBe("x");
        const response = await sessions.commit(session, new Response("ok"));
        expect(setCookies(response)).toEqual([]);
        expect([calls.create, calls.update]).toEqual([creates, updates]);
      });

      it("leaves exactly 50 when 50 requests increment one counter at once", async () => {
        const store = await make();
        const sessions = open(store);
        const token = await seed(sessions, { count: 0 });
        const results = await Promise.allSettled(
          Array.from({ length: 50 }, async () => {
            const session = await sessions.load(request(token));
            session.update("count", (n) => (n ?? 0) + 1);
            return sessions.commit(session, new Response("ok"));
          }),
        );
        const failures = results.flatMap((r) => (r.status === "rejected" ? [(r.reason as TesseraError).code] : []));
        expect({ failed: failures.length, codes: [...new Set(failures)] }, "every commit should succeed").toEqual({ failed: 0, codes: [] });
        expect((await sessions.load(request(token))).get("count")).toBe(50);
      });

      it("keeps both keys when two requests set different keys at once", async () => {
        const store = await make();
        const sessions = open(store);
        const token = await seed(sessions, { name: "x" });
        const [one, two] = await Promise.all([sessions.load(request(token)), sessions.load(request(token))]);
        one.set("a", "from one");
        two.set("b", "from two");
        await Promise.all([sessions.commit(one, new Response("ok")), sessions.commit(two, new Response("ok"))]);
        const after = await sessions.load(request(token));
        expect([after.get("name"), after.get("a"), after.get("b")]).toEqual(["x", "from one", "from two"]);
      });

      it("never writes back a session that another request destroyed while it was in flight", async () => {
        const store = await make();
        const { store: counted, calls } = spy(store);
        const sessions = open(counted);
        const token = await seed(sessions, { name: "x" });
        const creates = calls.create;

        const inFlight = await sessions.load(request(token));
        const destroyer = await sessions.load(request(token));
        await destroyer.destroy();
        const destroyed = await sessions.commit(destroyer, new Response("bye"));
        expect(setCookies(destroyed)).toEqual([{ name: sessionCookie, value: "", maxAge: 0 }]);

        inFlight.set("a", "late write");
        const late = await sessions.commit(inFlight, new Response("ok"));
        // No cookie at all: the browser already holds the deletion (or, had the id been rotated, the new cookie).
        expect(setCookies(late)).toEqual([]);
        expect(await store.get(sha256(token))).toBeUndefined();
        expect(calls.create).toBe(creates);

        const again = await sessions.load(request(token));
        expect(again.isNew).toBe(true);
        expect(again.get("name")).toBeUndefined();
      });

      it("retires the old token when a regenerated session is committed, and carries the data to the new one", async () => {
        const store = await make();
        const sessions = open(store);
        const token = await seed(sessions, { name: "x" });
        const session = await sessions.load(request(token));
        await session.regenerate();

        const fresh = issuedToken(await sessions.commit(session, new Response("ok")));
        expect(fresh).not.toBe(token);
        const next = await sessions.load(request(fresh));
        expect(next.isNew).toBe(false);
        expect(next.get("name")).toBe("x");
        expect(await store.get(sha256(token))).toBeUndefined();
        expect((await sessions.load(request(token))).isNew).toBe(true);
      });

      it("retires the old token when a signed-in session is committed, and binds the user to the new one", async () => {
        const store = await make();
        const sessions = open(store);
        const token = await seed(sessions, { cart: ["book"] });
        const session = await sessions.load(request(token, "Firefox/140"));
        await session.signIn("alice");

        const fresh = issuedToken(await sessions.commit(session, new Response("ok")));
        expect(fresh).not.toBe(token);
        expect((await sessions.load(request(token))).isNew).toBe(true);
        const next = await sessions.load(request(fresh));
        expect([next.isNew, next.userId, next.get("cart")]).toEqual([false, "alice", ["book"]]);
        if (!canList) return;
        const listed = await sessions.userSessions("alice", { current: next });
        expect(listed).toMatchObject([{ id: sha256(fresh), userAgent: "Firefox/140", current: true }]);
        expect((await userIndex(store).listByUser("alice")).map((s) => s.id)).toEqual([sha256(fresh)]);
      });

      it("ends a user's other sessions on revokeUserSessions and keeps the one excepted", async (context) => {
        if (!canList) {
          context.skip(cannotList);
          return;
        }
        const store = await make();
        const sessions = open(store);
        const signIn = async (): Promise<string> => {
          const session = await sessions.load(request());
          await session.signIn("alice");
          return issuedToken(await sessions.commit(session, new Response("ok")));
        };
        const [kept, other1, other2] = [await signIn(), await signIn(), await signIn()];
        const current = await sessions.load(request(kept));
        expect(await sessions.revokeUserSessions("alice", { except: current })).toBe(2);
        expect((await sessions.load(request(other1))).isNew).toBe(true);
        expect((await sessions.load(request(other2))).isNew).toBe(true);
        expect((await sessions.load(request(kept))).userId).toBe("alice");
      });

      if (!canList) {
        it("without a user index, still binds a session to its user, and says ERR_NOT_SUPPORTED for listing or revoking by user", async () => {
          const store = await make();
          const sessions = open(store);
          const session = await sessions.load(request());
          await session.signIn("alice");
          const token = issuedToken(await sessions.commit(session, new Response("ok")));
          expect((await sessions.load(request(token))).userId).toBe("alice");
          for (const attempt of [sessions.userSessions("alice"), sessions.revokeUserSessions("alice")]) {
            const error: unknown = await attempt.then(
              () => undefined,
              (e: unknown) => e,
            );
            expect(error).toBeInstanceOf(TesseraError);
            expect(error).toMatchObject({ code: "ERR_NOT_SUPPORTED", message: expect.stringContaining(`the ${store.name} store`) });
          }
          // Refused before any store call: the session is untouched.
          expect((await sessions.load(request(token))).userId).toBe("alice");
        });
      }

      it("gives a fresh session for an unknown token, never adopts it, and writes nothing until data is set", async () => {
        const store = await make();
        // A value this app made (its tag verifies) whose record is gone: the store is asked, and says no.
        const unknown = await seed(open(store), { name: "gone" });
        await store.delete(sha256(unknown));
        const { store: counted, calls } = spy(store);
        const events: SessionEvent[] = [];
        const sessions = open(counted, { onEvent: (e) => events.push(e) });

        const session = await sessions.load(request(unknown));
        expect(session.isNew).toBe(true);
        expect(events).toContainEqual({ type: "cookie_rejected", reason: "unknown_session" });
        const response = await sessions.commit(session, new Response("ok"));
        expect(setCookies(response)).toEqual([]);
        expect([calls.create, calls.update, calls.delete]).toEqual([0, 0, 0]);

        const writer = await sessions.load(request(unknown));
        writer.set("name", "x");
        const issued = issuedToken(await sessions.commit(writer, new Response("ok")));
        expect(issued).not.toBe(unknown);
        expect(await store.get(sha256(unknown))).toBeUndefined();
        expect([calls.create, calls.update]).toEqual([1, 0]);
      });

      it("treats a stored record that does not decode as no session: a fresh session on load, skipped in listings, with an event", async () => {
        const store = await make();
        const events: SessionEvent[] = [];
        const sessions = open(store, { onEvent: (event) => events.push(event) });
        const first = await sessions.load(request());
        await first.signIn("alice");
        const token = issuedToken(await sessions.commit(first, new Response("ok")));
        const id = sha256(token);
        const options = { now: Date.now(), expiresAt: Date.now() + hour, ttlSeconds: 3600, userId: "alice" };
        for (const corrupt of ["{not json", "", '{"v":99}', "null"]) {
          const version = (await store.get(id))!.version;
          expect(await store.update(id, corrupt, version, options)).toBe(version + 1);
          const loaded = await sessions.load(request(token));
          expect([loaded.isNew, loaded.userId]).toEqual([true, undefined]);
          if (canList) expect(await sessions.userSessions("alice")).toEqual([]);
        }
        // One for each load, and one for each listing.
        expect(events.filter((event) => event.type === "record_rejected")).toHaveLength(canList ? 8 : 4);
        // revokeSession needs no user index: it reads the one record, and deletes it when it does not decode.
        expect(await sessions.revokeSession("alice", id)).toBe(true);
        expect(await store.get(id)).toBeUndefined();
        for (const event of events) expect(JSON.stringify(event)).not.toContain(token);
      });

      it("migrates a record of an older dataVersion on read and writes it back once, under the new version at rest", async () => {
        const store = await make();
        const token = await seed(open(store), { name: "x" });
        let migrations = 0;
        const migrate = (data: Record<string, JsonValue>) => (migrations++, { ...data, name: `${String(data.name)}!` });
        const sessions = open(store, { dataVersion: 2, migrate });
        const session = await sessions.load(request(token));
        expect([session.get("name"), migrations]).toEqual(["x!", 1]);
        await sessions.commit(session, new Response("ok"));
        expect(JSON.parse((await store.get(sha256(token)))!.text)).toMatchObject({ n: 2, d: { name: "x!" } });
        expect((await open(store, { dataVersion: 2, migrate }).load(request(token))).get("name")).toBe("x!");
        expect(migrations).toBe(1);
      });

      it("treats a record whose data fails the schema as no session, with data_rejected, and neither deletes nor overwrites it", async () => {
        const store = await make();
        const token = await seed(open(store), { name: "x", count: 1 });
        const before = (await store.get(sha256(token)))!;
        const events: SessionEvent[] = [];
        const sessions = open(store, { schema: z.object({ name: z.string().min(2) }), onEvent: (event) => events.push(event) });
        const session = await sessions.load(request(token));
        expect([session.isNew, session.get("name")]).toEqual([true, undefined]);
        expect(events).toEqual([{ type: "data_rejected", reason: "invalid" }]);
        expect(setCookies(await sessions.commit(session, new Response("ok")))).toEqual([]);
        expect(await store.get(sha256(token))).toEqual(before);
      });

      it.each(["one process", "two processes"])("checks what two requests wrote together against the schema: the second commit that would break it throws, and the first stays (%s)", async (processes) => {
        const store = await make();
        const notBoth = z.object({ name: z.string(), a: z.string().optional(), b: z.string().optional() }).refine((data) => !(data.a && data.b));
        const sessions = open(store, { schema: notBoth as never });
        // Two managers on one store are two processes: the second write loses a compare-and-set and is replayed.
        const conflicts: SessionEvent[] = [];
        const other = processes === "one process" ? sessions : open(store, { schema: notBoth as never, onEvent: (event) => conflicts.push(event) });
        const token = await seed(sessions, { name: "x" });
        const [one, two] = await Promise.all([sessions.load(request(token)), other.load(request(token))]);
        one.set("a", "from one");
        two.set("b", "from two");
        // One after the other, so which one commits first is certain; both loaded before either wrote.
        await sessions.commit(one, new Response("ok"));
        await expect(other.commit(two, new Response("ok"))).rejects.toMatchObject({ code: "ERR_INVALID_SESSION_DATA" });
        if (other !== sessions) expect(conflicts).toContainEqual({ type: "write_conflict", attempt: 1 });
        const after = await sessions.load(request(token));
        expect([after.get("name"), after.get("a"), after.get("b")]).toEqual(["x", "from one", undefined]);
      });

      it("gives a fresh session for malformed tokens without asking the store", async () => {
        const store = await make();
        const { store: counted, calls } = spy(store);
        const events: SessionEvent[] = [];
        const sessions = open(counted, { onEvent: (e) => events.push(e) });
        const issued = await seed(open(store), { name: "x" });
        const valid = randomBytes(32).toString("base64url");
        const flip = (text: string, at: number) => text.slice(0, at) + (text[at] === "A" ? "B" : "A") + text.slice(at + 1);
        const malformed = [
          // The shape of a token, but no tag, or a tag this app did not make: junk costs no store read.
          valid,
          `${valid}.${"A".repeat(22)}`,
          flip(issued, 0),
          flip(issued, issued.length - 1),
          `${issued.slice(0, 44)}${randomBytes(16).toString("base64url")}`,
          "abc",
          valid.slice(1),
          `${valid}A`,
          `${valid.slice(0, 42)}.`,
          "+".repeat(43),
          "/".repeat(43),
          `${valid.slice(0, 40)}%3D`,
          `${valid.slice(0, 42)}=`,
        ];
        for (const value of malformed) {
          const session = await sessions.load(request(value));
          expect(session.isNew, value).toBe(true);
          const response = await sessions.commit(session, new Response("ok"));
          expect(setCookies(response), value).toEqual([]);
        }
        expect(calls).toMatchObject({ get: 0, create: 0, update: 0, delete: 0 });
        expect(events.filter((e) => e.type === "cookie_rejected" && e.reason === "malformed_token")).toHaveLength(malformed.length);
      });

      it("never hands the store a raw token, only its SHA-256", async () => {
        const store = await make();
        const { store: counted, log } = spy(store);
        const sessions = open(counted);
        const tokens = [await seed(sessions, { name: "x" }), await seed(sessions, { count: 1 })];
        const session = await sessions.load(request(tokens[0]));
        await session.signIn("alice");
        tokens.push(issuedToken(await sessions.commit(session, new Response("ok"))));
        const touched = await sessions.load(request(tokens[1]));
        touched.update("count", (n) => (n ?? 0) + 1);
        await sessions.commit(touched, new Response("ok"));
        if (canList) await sessions.revokeUserSessions("alice", { except: await sessions.load(request(tokens[2])) });

        const calls = log.join("\n");
        for (const token of tokens) {
          expect(calls).not.toContain(token);
          expect(calls).toContain(sha256(token));
        }
      });

      it("holds no raw token at rest, only its SHA-256", async (context) => {
        if (setup.dump === undefined) {
          context.skip("this store has no dump; the call log test above covers it");
          return;
        }
        const store = await make();
        const sessions = open(store);
        const tokens = [await seed(sessions, { name: "x" }), await seed(sessions, { cart: ["a"] })];
        const session = await sessions.load(request());
        await session.signIn("alice");
        session.set("name", "alice");
        tokens.push(issuedToken(await sessions.commit(session, new Response("ok"))));
        const touched = await sessions.load(request(tokens[0]));
        touched.set("a", "1");
        await sessions.commit(touched, new Response("ok"));

        const dump = await setup.dump(store);
        for (const token of tokens) {
          expect(dump).not.toContain(token);
          expect(dump).toContain(sha256(token));
        }
      });

      it("loads no session past its idle timeout, and gc removes its record", async () => {
        const store = await make();
        const events: SessionEvent[] = [];
        const sessions = open(store, { idleTimeout: "30m", onEvent: (e) => events.push(e) });
        const token = await seed(sessions, { name: "x" });
        now += 29 * 60_000;
        expect((await sessions.load(request(token))).isNew).toBe(false);
        now += 2 * 60_000;
        expect((await sessions.load(request(token))).isNew).toBe(true);
        expect(events).toContainEqual({ type: "cookie_rejected", reason: "idle_timeout" });
        if (store.gc) {
          expect(await store.gc(now)).toBe(1);
          expect(await store.get(sha256(token))).toBeUndefined();
        }
      });

      it("fails closed with ERR_STORE_UNAVAILABLE once the store is closed, setting no cookie", async () => {
        const store = await make();
        const sessions = open(store);
        const token = await seed(sessions, { name: "x" });
        await store.close();
        await expectUnavailable(sessions.load(request(token)));

        const session = await sessions.load(request());
        session.set("name", "y");
        const response = new Response("ok");
        await expectUnavailable(sessions.commit(session, response));
        expect(response.headers.getSetCookie()).toEqual([]);
      });

      it("fails closed when the store throws on get, keeping the token out of the error", async () => {
        const store = await make();
        const sessions = open(store);
        const token = await seed(sessions, { name: "x" });
        const broken = open(
          intercept(store, (op, _args, forward) => (op === "get" ? Promise.reject(new Error("ECONNRESET")) : forward())),
        );
        const error = await expectUnavailable(broken.load(request(token)));
        expect(`${error.message} ${String(error.stack)}`).not.toContain(token);
        expect((error.cause as Error).message).toBe("ECONNRESET");
      });

      it("gives up on a get that never answers after storeTimeout", async () => {
        const store = await make();
        const sessions = open(store);
        const token = await seed(sessions, { name: "x" });
        const hanging = open(
          intercept(store, (op, _args, forward) => (op === "get" ? never() : forward())),
          { storeTimeout: 0.2 },
        );
        await expectUnavailable(hanging.load(request(token)));
      });

      for (const failure of ["throws", "never answers"] as const) {
        const fail = (): Promise<never> => (failure === "throws" ? Promise.reject(new Error("disk full")) : never());

        it(`sets no cookie and writes nothing when create ${failure}`, async () => {
          const store = await make();
          const sessions = open(
            intercept(store, (op, _args, forward) => (op === "create" ? fail() : forward())),
            { storeTimeout: 0.2 },
          );
          const session = await sessions.load(request());
          await session.signIn("mallory");
          session.set("name", "m");
          const response = new Response("ok");
          await expectUnavailable(sessions.commit(session, response));
          expect(response.headers.getSetCookie()).toEqual([]);
          if (canList) expect(await userIndex(store).listByUser("mallory")).toEqual([]);
        });

        it(`leaves the stored record as it was when update ${failure}`, async () => {
          const store = await make();
          const token = await seed(open(store), { count: 1 });
          const before = await store.get(sha256(token));
          const sessions = open(
            intercept(store, (op, _args, forward) => (op === "update" ? fail() : forward())),
            { storeTimeout: 0.2 },
          );
          const session = await sessions.load(request(token));
          session.update("count", (n) => (n ?? 0) + 1);
          const response = new Response("ok");
          await expectUnavailable(sessions.commit(session, response));
          expect(response.headers.getSetCookie()).toEqual([]);
          expect(await store.get(sha256(token))).toEqual(before);
        });
      }
    });
    describeRaces(make, canList);
    describeRenewal(make, canList, setup.dump);
    describeRevocation(make);
  });
}
