// createSessions({ schema, dataVersion, migrate }) in cookie mode and store mode: data validated on read and at
// commit, older records migrated once, and data that fails is a data_rejected event and a fresh session.

import { type } from "arktype";
import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { createSessions, TesseraError, type SessionEvent, type SessionsOptions, type StandardSchemaV1, type Store } from "../src/index.js";
import { memoryStore } from "../src/stores/memory/index.js";
import { spy } from "./store-conformance.js";
import { cookieHeader, nextCookie, request, secret, setCookieFor } from "./helpers.js";

const modes: [string, () => Store | undefined][] = [
  ["cookie mode", () => undefined],
  ["store mode", () => memoryStore()],
];

const cartSchema = z.object({ cart: z.array(z.string()), visits: z.number().int().optional() });

/** A schema that counts its validations, around `inner`. */
function counted<S extends StandardSchemaV1>(inner: S): { schema: S; calls: () => number } {
  let calls = 0;
  const props = inner["~standard"];
  const schema = { "~standard": { ...props, validate: (value: unknown) => (calls++, props.validate(value)) } } as unknown as S;
  return { schema, calls: () => calls };
}

function optionError(options: Partial<SessionsOptions>): TesseraError {
  try {
    createSessions({ secrets: [secret], ...options } as SessionsOptions);
  } catch (error) {
    if (error instanceof TesseraError) return error;
    throw error;
  }
  throw new Error("expected createSessions to refuse the options");
}

describe("schema, dataVersion and migrate options", () => {
  it("refuses a list for migrate, pointing to migrateFrom", () => {
    const error = optionError({ migrate: [] as never });
    expect(error.code).toBe("ERR_INVALID_OPTION");
    expect(error.message).toContain("migrateFrom");
  });

  it("refuses a migrate that is not a function, a dataVersion that is not a whole number from 1, and a schema that is not a Standard Schema", () => {
    expect(optionError({ migrate: "v2" as never })).toMatchObject({ code: "ERR_INVALID_OPTION", message: expect.stringContaining("`migrate`") });
    for (const dataVersion of [0, -1, 1.5, Number.NaN, "2", 2 ** 53]) {
      expect(optionError({ dataVersion: dataVersion as never }), String(dataVersion)).toMatchObject({
        code: "ERR_INVALID_OPTION",
        message: expect.stringContaining("`dataVersion`"),
      });
    }
    for (const schema of [{}, { "~standard": {} }, z.string().parse, null]) {
      expect(optionError({ schema: schema as never })).toMatchObject({ code: "ERR_INVALID_OPTION", message: expect.stringContaining("`schema`") });
    }
  });
});

describe.each(modes)("%s", (_mode, makeStore) => {
  /** The Cookie header after one request that set `data`, with the sessions it was written by. */
  async function seeded(options: Partial<SessionsOptions>, data: Record<string, unknown>, store = makeStore()) {
    const writer = createSessions({ secrets: [secret], store, ...options });
    const session = await writer.load(request());
    for (const [key, value] of Object.entries(data)) session.set(key as never, value as never);
    return { cookie: cookieHeader(await writer.commit(session, new Response("ok"))), store };
  }

  it("keeps data the schema accepts, typed from it", async () => {
    const sessions = createSessions({ secrets: [secret], store: makeStore(), schema: cartSchema });
    const first = await sessions.load(request());
    first.set("cart", ["book"]);
    const cookie = cookieHeader(await sessions.commit(first, new Response("ok")));
    const second = await sessions.load(request(cookie));
    expect(second.get("cart")).toEqual(["book"]);
    expect(Object.isFrozen(second.get("cart"))).toBe(true);
  });

  it("refuses data the schema rejects at commit with ERR_INVALID_SESSION_DATA naming the path, never the value; nothing is written", async () => {
    const made = makeStore();
    const spied = made && spy(made);
    const sessions = createSessions({ secrets: [secret], store: spied?.store, schema: cartSchema });
    const session = await sessions.load(request());
    session.set("cart", ["book", 42 as never]);
    session.set("visits", "value-that-must-not-leak" as never);
    const error = await sessions.commit(session, new Response("ok")).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TesseraError);
    expect((error as TesseraError).code).toBe("ERR_INVALID_SESSION_DATA");
    expect((error as TesseraError).message).toContain("cart.1");
    expect((error as TesseraError).message).toContain("visits");
    expect((error as TesseraError).message).not.toContain("value-that-must-not-leak");
    if (spied) expect(spied.log).toEqual([]);
    // The session is not committed: the app may correct the data and commit again.
    session.set("cart", ["book"]);
    session.delete("visits");
    const response = await sessions.commit(session, new Response("ok"));
    expect((await sessions.load(request(cookieHeader(response)))).get("cart")).toEqual(["book"]);
  });

  it("treats a stored session whose data the schema rejects as no session: a fresh one and a data_rejected event without the data", async () => {
    const { cookie, store } = await seeded({}, { cart: "not-a-list-secret" });
    const events: SessionEvent[] = [];
    const sessions = createSessions({ secrets: [secret], store, schema: cartSchema, onEvent: (e) => events.push(e) });
    const session = await sessions.load(request(cookie));
    expect(session.isNew).toBe(true);
    expect(session.get("cart")).toBeUndefined();
    expect(events).toEqual([{ type: "data_rejected", reason: "invalid" }]);
    // Nothing to write: the browser keeps its cookie and the record its own expiry, and no event names a value.
    expect(setCookieFor(await sessions.commit(session, new Response("ok")))).toBeUndefined();
    expect(JSON.stringify(events)).not.toContain("secret");
  });

  it("migrates a session of an older dataVersion once: migrate then the schema on read, written back under the new version", async () => {
    const { cookie, store } = await seeded({}, { items: ["book"] });
    const seen: [unknown, number][] = [];
    const options = {
      secrets: [secret],
      store,
      dataVersion: 2,
      schema: cartSchema,
      migrate: async (data: Record<string, unknown>, fromVersion: number) => {
        seen.push([data, fromVersion]);
        const { items, ...rest } = data;
        return { ...rest, cart: items };
      },
    };
    const sessions = createSessions(options);
    const session = await sessions.load(request(cookie));
    expect(session.isNew).toBe(false);
    expect([session.get("cart"), session.has("items" as never)]).toEqual([["book"], false]);
    expect(seen).toEqual([[{ items: ["book"] }, 1]]);
    // Counts as a change: written back (store mode: same token, no new cookie; cookie mode: a new cookie).
    const next = nextCookie(await sessions.commit(session, new Response("ok")), cookie)!;
    if (store) expect(next).toBe(cookie);
    else expect(next).not.toBe(cookie);

    const again = await createSessions(options).load(request(next));
    expect(again.get("cart")).toEqual(["book"]);
    expect(seen).toHaveLength(1);
  });

  it("rejects a session whose migrate throws or returns no object as migrate_failed", async () => {
    const { cookie, store } = await seeded({}, { cart: ["book"] });
    for (const migrate of [
      () => {
        throw new Error("boom");
      },
      () => Promise.reject(new Error("boom")),
      () => [] as never,
      () => null as never,
    ]) {
      const events: SessionEvent[] = [];
      const sessions = createSessions({ secrets: [secret], store, dataVersion: 3, migrate, onEvent: (e) => events.push(e) });
      expect((await sessions.load(request(cookie))).isNew).toBe(true);
      expect(events).toEqual([{ type: "data_rejected", reason: "migrate_failed" }]);
    }
  });

  it("rejects what migrate returns when it is not plain JSON as not_json", async () => {
    const { cookie, store } = await seeded({}, { cart: ["book"] });
    for (const migrated of [{ when: new Date() }, { n: Number.NaN }, JSON.parse('{"__proto__":{"admin":true}}') as object] as Record<string, unknown>[]) {
      const events: SessionEvent[] = [];
      const sessions = createSessions({ secrets: [secret], store, dataVersion: 2, migrate: () => migrated, onEvent: (e) => events.push(e) });
      expect((await sessions.load(request(cookie))).isNew).toBe(true);
      expect(events).toEqual([{ type: "data_rejected", reason: "not_json" }]);
    }
  });

  it("rejects a session written under a newer dataVersion (a newer deploy) as newer_version and leaves it for that deploy", async () => {
    const newer = { dataVersion: 3, migrate: (data: Record<string, unknown>) => data };
    const { cookie, store } = await seeded(newer, { cart: ["book"] });
    const events: SessionEvent[] = [];
    const older = createSessions({ secrets: [secret], store, dataVersion: 2, onEvent: (e) => events.push(e) });
    const session = await older.load(request(cookie));
    expect(session.isNew).toBe(true);
    expect(events).toEqual([{ type: "data_rejected", reason: "newer_version" }]);
    expect(setCookieFor(await older.commit(session, new Response("ok")))).toBeUndefined();
    // The newer deploy still reads it.
    const again = await createSessions({ secrets: [secret], store, ...newer }).load(request(cookie));
    expect(again.get("cart" as never)).toEqual(["book"]);
  });

  it("stores the schema's output: defaults filled, unknown keys dropped, and the output must pass the schema again", async () => {
    const schema = z.object({ cart: z.array(z.string()), theme: z.enum(["light", "dark"]).default("light") });
    const { cookie, store } = await seeded({}, { cart: ["book"] });
    const sessions = createSessions({ secrets: [secret], store, schema });
    const loaded = await sessions.load(request(cookie));
    expect(loaded.get("theme")).toBe("light");
    loaded.set("extra" as never, "dropped" as never);
    const next = nextCookie(await sessions.commit(loaded, new Response("ok")), cookie)!;
    const plain = await createSessions({ secrets: [secret], store }).load(request(next));
    expect(plain.keys().sort()).toEqual(["cart", "theme"]);
  });

  it("awaits an async schema (zod's async refinements) on read and at commit", async () => {
    const schema = z.object({ cart: z.array(z.string()) }).refine(async (data) => !data.cart.includes("banned"));
    const sessions = createSessions({ secrets: [secret], store: makeStore(), schema });
    const session = await sessions.load(request());
    session.set("cart", ["banned"]);
    await expect(sessions.commit(session, new Response("ok"))).rejects.toMatchObject({ code: "ERR_INVALID_SESSION_DATA" });
    session.set("cart", ["book"]);
    const cookie = cookieHeader(await sessions.commit(session, new Response("ok")));
    expect((await sessions.load(request(cookie))).get("cart")).toEqual(["book"]);
  });

  it.each([
    ["valibot", v.object({ visits: v.number() })],
    ["arktype", type({ visits: "number" })],
  ])("works with a %s schema", async (_name, schema) => {
    const sessions = createSessions({ secrets: [secret], store: makeStore(), schema: schema as StandardSchemaV1<unknown, { visits: number }> });
    const session = await sessions.load(request());
    session.set("visits", "many" as never);
    await expect(sessions.commit(session, new Response("ok"))).rejects.toMatchObject({ code: "ERR_INVALID_SESSION_DATA", message: expect.stringContaining("visits") });
    session.set("visits", 1);
    const cookie = cookieHeader(await sessions.commit(session, new Response("ok")));
    expect((await sessions.load(request(cookie))).get("visits")).toBe(1);
  });

  it("treats a schema that throws as failing: data_rejected on read, ERR_INVALID_SESSION_DATA at commit, never a crash", async () => {
    const { cookie, store } = await seeded({}, { cart: ["book"] });
    const throwing: StandardSchemaV1 = {
      "~standard": {
        version: 1,
        vendor: "test",
        validate: () => {
          throw new Error("validator bug");
        },
      },
    };
    const events: SessionEvent[] = [];
    const sessions = createSessions({ secrets: [secret], store, schema: throwing as StandardSchemaV1<unknown, Record<string, unknown>>, onEvent: (e) => events.push(e) });
    const session = await sessions.load(request(cookie));
    expect(session.isNew).toBe(true);
    expect(events).toEqual([{ type: "data_rejected", reason: "invalid" }]);
    session.set("cart", ["pen"]);
    await expect(sessions.commit(session, new Response("ok"))).rejects.toMatchObject({ code: "ERR_INVALID_SESSION_DATA" });
  });

  it("validates at commit only when the request changed the data: a flash message or a read writes without it", async () => {
    const { schema, calls } = counted(cartSchema);
    const { cookie, store } = await seeded({}, { cart: ["book"] });
    const sessions = createSessions({ secrets: [secret], store, schema, decodeCacheSize: 0 });
    const session = await sessions.load(request(cookie));
    expect(calls()).toBe(1);
    session.flash("notice", "Saved");
    await sessions.commit(session, new Response("ok"));
    expect(calls()).toBe(1);
  });
});

describe("cookie mode's decode cache", () => {
  it("validates a cookie value once while it is cached, and on every request with the cache off", async () => {
    const { cookie } = await (async () => {
      const writer = createSessions({ secrets: [secret] });
      const session = await writer.load(request());
      session.set("cart", ["book"]);
      return { cookie: cookieHeader(await writer.commit(session, new Response("ok"))) };
    })();
    for (const [decodeCacheSize, expected] of [
      [1000, 1],
      [0, 3],
    ] as const) {
      const { schema, calls } = counted(cartSchema);
      const sessions = createSessions({ secrets: [secret], schema, decodeCacheSize });
      for (let i = 0; i < 3; i++) expect((await sessions.load(request(cookie))).get("cart")).toEqual(["book"]);
      expect(calls(), `decodeCacheSize ${decodeCacheSize}`).toBe(expected);
    }
  });

  it("never shares one request's changes with another request sending the same cached value", async () => {
    const sessions = createSessions({ secrets: [secret], schema: cartSchema, dataVersion: 2, migrate: (data) => ({ ...data, cart: ["migrated"] }) });
    const writer = createSessions({ secrets: [secret] });
    const seed = await writer.load(request());
    seed.set("cart", ["book"]);
    const cookie = cookieHeader(await writer.commit(seed, new Response("ok")));
    const [one, two] = [await sessions.load(request(cookie)), await sessions.load(request(cookie))];
    one.set("cart", ["changed"]);
    expect(two.get("cart")).toEqual(["migrated"]);
  });
});
