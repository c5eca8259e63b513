// tessera/opentelemetry against the real OpenTelemetry SDK and real stores: a span around every store call, the
// counters, the key that opened each session, nothing secret in any attribute, and nothing loaded without it.

import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { AsyncLocalStorage } from "node:async_hooks";
import { context, metrics, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type ContextManager } from "@opentelemetry/api";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { MeterProvider, MetricReader } from "@opentelemetry/sdk-metrics";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createKeyRing, createSessions, hashToken, isTesseraError, type Sessions, type SessionsOptions, type Store, type Telemetry } from "../src/index.js";
import { jwtCodec } from "../src/codecs/jwt/index.js";
import { memoryStore } from "../src/stores/memory/index.js";
import pg from "pg";
import { createClient } from "redis";
import { postgresStore } from "../src/stores/postgres/index.js";
import { redisStore } from "../src/stores/redis/index.js";
import { sqliteStore } from "../src/stores/sqlite/index.js";
import { openTelemetry } from "../src/opentelemetry/index.js";
import { observedApp } from "../examples/opentelemetry.js";
import { nextCookie, oldSecret, request, secret } from "./helpers.js";

type Data = { cart?: string[]; card?: string };

/** A metric reader the test collects from when it wants, with no timer. */
class TestReader extends MetricReader {
  protected onShutdown(): Promise<void> {
    return Promise.resolve();
  }
  protected onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
}

interface Point {
  name: string;
  description: string;
  attributes: Attributes;
  value: number;
}

/** `openTelemetry()` on an SDK of its own: spans kept in memory, counters read on demand. */
function instrumented(): { telemetry: Telemetry; spans: () => ReadableSpan[]; points: () => Promise<Point[]>; count: (name: string, attributes?: Attributes) => Promise<number> } {
  const exporter = new InMemorySpanExporter();
  const reader = new TestReader();
  const telemetry = openTelemetry({
    tracerProvider: new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
    meterProvider: new MeterProvider({ readers: [reader] }),
  });
  const points = async (): Promise<Point[]> => {
    const { resourceMetrics } = await reader.collect();
    return resourceMetrics.scopeMetrics.flatMap((scope) =>
      scope.metrics.flatMap((metric) =>
        metric.dataPoints.map((point) => ({ name: metric.descriptor.name, description: metric.descriptor.description, attributes: point.attributes, value: point.value as number })),
      ),
    );
  };
  const count = async (name: string, attributes: Attributes = {}): Promise<number> =>
    (await points())
      .filter((point) => point.name === name && JSON.stringify(sorted(point.attributes)) === JSON.stringify(sorted(attributes)))
      .reduce((sum, point) => sum + point.value, 0);
  return { telemetry, spans: () => exporter.getFinishedSpans(), points, count };
}

const sorted = (attributes: Attributes): [string, unknown][] => Object.entries(attributes).sort(([a], [b]) => a.localeCompare(b));

/** A key ring's key ids as `tessera.key_id` names them. */
const keyIdOf = (key: string): string => Buffer.from(createKeyRing([key]).keys[0]!.id).toString("hex");

/** One request: load with `cookie`, run `change`, commit; the cookie the browser sends next. */
async function visit(sessions: Sessions<Data>, cookie: string | undefined, change: (session: Awaited<ReturnType<Sessions<Data>["load"]>>) => unknown = () => undefined): Promise<string | undefined> {
  const session = await sessions.load(request(cookie));
  await change(session);
  return nextCookie(await sessions.commit(session, new Response("ok")), cookie);
}

const redisPrefix = `tessera-test:otel:${randomBytes(6).toString("hex")}:`;
const postgresUrl = process.env.TESSERA_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";
/** Tables of this run, named so no other run or test uses them; dropped after the file. */
const tables: string[] = [];
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "tessera-otel-"));
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  const redis = await createClient({ url: "redis://127.0.0.1:6379" }).connect();
  for await (const keys of redis.scanIterator({ MATCH: `${redisPrefix}*`, COUNT: 500 })) if (keys.length > 0) await redis.del(keys);
  redis.destroy();
  if (tables.length === 0) return;
  const admin = new pg.Client({ connectionString: postgresUrl });
  await admin.connect();
  await admin.query(`DROP TABLE IF EXISTS ${tables.join(", ")}`);
  await admin.end();
});

const stores: Record<string, () => Store> = {
  memory: () => memoryStore(),
  sqlite: () => sqliteStore({ path: join(dir, `${randomBytes(4).toString("hex")}.db`), gcInterval: false }),
  redis: () => redisStore({ url: "redis://127.0.0.1:6379", prefix: `${redisPrefix}${randomBytes(4).toString("hex")}:` }),
  postgres: () => {
    const table = `tessera_otel_${randomBytes(6).toString("hex")}`;
    tables.push(table);
    return postgresStore({ url: postgresUrl, table, gcInterval: false });
  },
};

describe.each(Object.keys(stores))("on the %s store", (name) => {
  let opened: Sessions<Data>[] = [];
  const open = (options: Omit<SessionsOptions, "secrets"> & { secrets?: SessionsOptions["secrets"] }): Sessions<Data> => {
    const sessions = createSessions<Data>({ secrets: [secret], ...options });
    opened.push(sessions);
    return sessions;
  };
  afterEach(async () => {
    await Promise.all(opened.map((sessions) => sessions.close()));
    opened = [];
  });

  it("spans every store call, named after its operation, with the store and the outcome", async () => {
    const { telemetry, spans } = instrumented();
    const sessions = open({ store: stores[name]!(), telemetry });
    const first = await visit(sessions, undefined, (s) => s.set("cart", ["apple"]));
    const second = await visit(sessions, first, (s) => s.update("cart", (cart) => [...(cart ?? []), "pear"]));
    const third = await visit(sessions, second, (s) => s.signIn("u-1"));
    await visit(sessions, second); // rotated away by the sign-in: the store has no such record any more
    await sessions.revokeUserSessions("u-1");
    await visit(sessions, third); // revoked

    expect(spans().map((span) => `${span.name} ${span.attributes["tessera.store.outcome"]}`)).toEqual([
      "tessera.store.create ok",
      "tessera.store.get hit",
      "tessera.store.update ok",
      "tessera.store.get hit",
      "tessera.store.create ok",
      "tessera.store.delete ok",
      "tessera.store.get miss",
      "tessera.store.deleteByUser ok",
      "tessera.store.get miss",
    ]);
    for (const span of spans()) {
      expect(span.kind).toBe(SpanKind.CLIENT);
      expect(span.status.code).toBe(SpanStatusCode.UNSET);
      expect(span.attributes["tessera.store.name"]).toBe(name);
      expect(span.name).toBe(`tessera.store.${span.attributes["tessera.store.operation"]}`);
    }
  });

  it("counts created, loaded, regenerated, destroyed and rejected sessions", async () => {
    const { telemetry, count } = instrumented();
    const sessions = open({ store: stores[name]!(), telemetry });
    const first = await visit(sessions, undefined, (s) => s.set("cart", ["apple"]));
    const second = await visit(sessions, first, (s) => s.regenerate());
    await visit(sessions, first);
    await visit(sessions, "sid=not-a-token-this-app-made");
    await visit(sessions, second, (s) => s.destroy());

    expect(await count("tessera.sessions.created", { "tessera.store.name": name })).toBe(2);
    expect(await count("tessera.sessions.loaded", { "tessera.key_id": keyIdOf(secret) })).toBe(2);
    expect(await count("tessera.sessions.regenerated")).toBe(1);
    expect(await count("tessera.sessions.destroyed")).toBe(1);
    expect(await count("tessera.sessions.rejected", { "tessera.reason": "unknown_session" })).toBe(1);
    expect(await count("tessera.sessions.rejected", { "tessera.reason": "malformed_token" })).toBe(1);
  });

  it("counts a write conflict with another process, and spans the lost compare-and-set", async () => {
    const { telemetry, spans, count } = instrumented();
    const store = stores[name]!();
    // Two managers on one store are two processes: their writers do not take turns, so they race.
    const here = open({ store, telemetry });
    const elsewhere = createSessions<Data>({ secrets: [secret], store });
    const cookie = await visit(here, undefined, (s) => s.set("cart", []));
    const mine = await here.load(request(cookie));
    const theirs = await elsewhere.load(request(cookie));
    theirs.set("card", "theirs");
    await elsewhere.commit(theirs, new Response("ok"));
    mine.set("cart", ["apple"]);
    await here.commit(mine, new Response("ok"));

    expect(await count("tessera.write_conflicts")).toBe(1);
    // This manager's load, its lost write, the fresher record read, and its changes written onto it.
    expect(spans().map((span) => `${span.name} ${span.attributes["tessera.store.outcome"]}`).slice(-4)).toEqual([
      "tessera.store.get hit",
      "tessera.store.update conflict",
      "tessera.store.get hit",
      "tessera.store.update ok",
    ]);
    const merged = await here.load(request(cookie));
    expect([merged.get("cart"), merged.get("card")]).toEqual([["apple"], "theirs"]);
  });

  it("tells a store's session from the key that tagged its token, so an old secret's count can reach zero", async () => {
    const { telemetry, count } = instrumented();
    const store = stores[name]!();
    const before = createSessions<Data>({ secrets: [oldSecret], store });
    const issuedEarlier = await visit(before, undefined, (s) => s.set("cart", ["apple"]));
    const sessions = open({ secrets: [secret, oldSecret], store, telemetry });
    const reissued = await visit(sessions, issuedEarlier);
    expect(reissued).not.toBe(issuedEarlier);
    await visit(sessions, reissued);
    await visit(sessions, reissued);

    expect(await count("tessera.sessions.loaded", { "tessera.key_id": keyIdOf(oldSecret) })).toBe(1);
    expect(await count("tessera.sessions.loaded", { "tessera.key_id": keyIdOf(secret) })).toBe(2);
    expect(await count("tessera.cookies.reissued", { "tessera.reason": "key_rotation" })).toBe(1);
  });
});

describe("a hostile Cookie header", () => {
  it("adds at most as many rejections as the manager reports, and costs no store call", async () => {
    const { telemetry, spans, count } = instrumented();
    const sessions = createSessions<Data>({ secrets: [secret], store: memoryStore(), telemetry });
    // A thousand values shaped like tokens, none tagged by this app's secrets.
    const forged = Array.from({ length: 1000 }, () => `sid=${randomBytes(32).toString("base64url")}.${randomBytes(16).toString("base64url")}`).join("; ");
    await visit(sessions, forged);

    expect(await count("tessera.sessions.rejected", { "tessera.reason": "malformed_token" })).toBe(8);
    expect(spans()).toEqual([]);
  });
});

describe("a store that fails", () => {
  it("ends its span with an error status and counts the store error", async () => {
    const { telemetry, spans, count } = instrumented();
    const path = join(dir, "failing.db");
    const sessions = createSessions<Data>({ secrets: [secret], store: sqliteStore({ path, gcInterval: false }), telemetry });
    const cookie = await visit(sessions, undefined, (s) => s.set("cart", []));
    await sessions.close();
    const failure = await sessions.load(request(cookie)).catch((error: unknown) => error);

    expect(isTesseraError(failure) && failure.code).toBe("ERR_STORE_UNAVAILABLE");
    const failed = spans().at(-1)!;
    expect(failed.name).toBe("tessera.store.get");
    expect(failed.status).toEqual({ code: SpanStatusCode.ERROR, message: "ERR_STORE_UNAVAILABLE" });
    expect(failed.attributes).toMatchObject({ "tessera.store.outcome": "error", "error.type": "ERR_STORE_UNAVAILABLE" });
    expect(await count("tessera.store.errors", { "tessera.store.operation": "get", "error.type": "ERR_STORE_UNAVAILABLE" })).toBe(1);
  });
});

describe("cookie mode", () => {
  it("names the key by the id a sealed cookie carries in the clear", async () => {
    const { telemetry, count, spans } = instrumented();
    const issuedEarlier = await visit(createSessions<Data>({ secrets: [oldSecret] }), undefined, (s) => s.set("cart", ["apple"]));
    const sessions = createSessions<Data>({ secrets: [secret, oldSecret], telemetry });
    const reissued = await visit(sessions, issuedEarlier);
    await visit(sessions, reissued);

    // A sealed value: a version byte, then the 4-byte key id.
    const carried = Buffer.from(issuedEarlier!.slice("sid=".length), "base64url").subarray(1, 5).toString("hex");
    expect(carried).toBe(keyIdOf(oldSecret));
    expect(await count("tessera.sessions.loaded", { "tessera.key_id": carried })).toBe(1);
    expect(await count("tessera.sessions.loaded", { "tessera.key_id": keyIdOf(secret) })).toBe(1);
    expect(await count("tessera.cookies.reissued", { "tessera.reason": "key_rotation" })).toBe(1);
    expect(spans()).toEqual([]);
  });

  it("names a key of a codec with keys of its own by the codec and the key's place", async () => {
    const { telemetry, count } = instrumented();
    const jwtSecret = "a jwt secret of thirty-two bytes or more, for HS256";
    const earlier = await visit(createSessions<Data>({ secrets: [secret], codec: jwtCodec({ alg: "HS256", key: jwtSecret }) }), undefined, (s) => s.set("cart", []));
    const sessions = createSessions<Data>({ secrets: [secret], codec: jwtCodec({ alg: "HS256", key: ["another jwt secret, also of thirty-two bytes", jwtSecret] }), telemetry });
    await visit(sessions, earlier);

    expect(await count("tessera.sessions.loaded", { "tessera.key_id": "jwt#1" })).toBe(1);
  });

  it("counts rejected cookies by reason", async () => {
    const { telemetry, count } = instrumented();
    const sessions = createSessions<Data>({ secrets: [secret], telemetry });
    const cookie = await visit(createSessions<Data>({ secrets: [oldSecret] }), undefined, (s) => s.set("cart", []));
    await visit(sessions, cookie);
    await visit(sessions, "sid=%%%");

    expect(await count("tessera.sessions.rejected", { "tessera.reason": "unknown_key" })).toBe(1);
    expect(await count("tessera.sessions.rejected", { "tessera.reason": "malformed" })).toBe(1);
    expect(await count("tessera.sessions.loaded", { "tessera.key_id": keyIdOf(oldSecret) })).toBe(0);
  });
});

describe("what telemetry carries", () => {
  it("holds no secret, cookie value, token, session id, user id or session data, in any span or metric", async () => {
    const { telemetry, spans, points } = instrumented();
    const userId = "user-7f3a9c@example.test";
    const card = "card-4242-4242-4242-4242";
    const store = memoryStore();
    const cookies: string[] = [];
    const run = async (sessions: Sessions<Data>, other: Sessions<Data>, older: Sessions<Data>): Promise<void> => {
      const keep = (cookie: string | undefined): string | undefined => (cookie && cookies.push(cookie.slice("sid=".length)), cookie);
      const first = keep(await visit(sessions, undefined, (s) => s.set("card", card)));
      const signedIn = keep(await visit(sessions, first, (s) => s.signIn(userId)));
      const regenerated = keep(await visit(sessions, signedIn, (s) => s.regenerate()));
      await visit(sessions, signedIn);
      const hostile = `${regenerated!.slice("sid=".length)}x`;
      cookies.push(hostile);
      await visit(sessions, `sid=${hostile}`);
      // A write that loses to another process, then a destroy.
      const mine = await sessions.load(request(regenerated));
      const theirs = await other.load(request(regenerated));
      theirs.set("cart", ["pear"]);
      await other.commit(theirs, new Response("ok"));
      mine.set("card", `${card}!`);
      keep(nextCookie(await sessions.commit(mine, new Response("ok")), regenerated));
      await visit(sessions, regenerated, (s) => s.destroy());
      // A session from before the secret was rotated, re-issued under the new one.
      keep(await visit(sessions, keep(await visit(older, undefined, (s) => s.set("card", card)))));
    };
    await run(
      createSessions<Data>({ secrets: [secret, oldSecret], store, telemetry }),
      createSessions<Data>({ secrets: [secret], store }),
      createSessions<Data>({ secrets: [oldSecret], store }),
    );
    await run(createSessions<Data>({ secrets: [secret, oldSecret], telemetry }), createSessions<Data>({ secrets: [secret] }), createSessions<Data>({ secrets: [oldSecret] }));
    const failing = createSessions<Data>({ secrets: [secret], store: sqliteStore({ path: join(dir, "scan.db"), gcInterval: false }), telemetry });
    const cookie = await visit(failing, undefined, (s) => s.set("card", card));
    cookies.push(cookie!.slice("sid=".length));
    await failing.close();
    await failing.load(request(cookie)).catch(() => undefined);

    const forbidden = [secret, oldSecret, userId, card, ...cookies];
    for (const value of cookies) {
      const token = value.split(".")[0]!;
      forbidden.push(token, token.slice(0, 16), (await hashToken(value)) as string, (await hashToken(token)) as string);
    }
    const told = [
      ...spans().map((span) => ({ name: span.name, attributes: span.attributes, status: span.status, events: span.events, links: span.links })),
      ...(await points()),
    ];
    const text = JSON.stringify(told);
    // Enough was told for the scan to mean something: every kind of store call and counter the run caused.
    expect(spans().length).toBeGreaterThan(15);
    expect(new Set((await points()).map((point) => point.name))).toEqual(
      new Set(["tessera.sessions.created", "tessera.sessions.loaded", "tessera.sessions.regenerated", "tessera.sessions.rejected", "tessera.write_conflicts", "tessera.sessions.destroyed", "tessera.cookies.reissued", "tessera.store.errors"]),
    );
    for (const value of forbidden) expect(text.includes(value), `telemetry contains ${value.slice(0, 6)}...`).toBe(false);
  });
});

describe("without an SDK, and with one started later", () => {
  afterEach(() => {
    trace.disable();
    metrics.disable();
  });

  it("works on the API alone, with no SDK registered: sessions load and commit as without telemetry", async () => {
    trace.disable();
    metrics.disable();
    const sessions = createSessions<Data>({ secrets: [secret], store: memoryStore(), telemetry: openTelemetry() });
    const cookie = await visit(sessions, undefined, (s) => s.set("cart", ["apple"]));
    const session = await sessions.load(request(cookie));
    expect(session.get("cart")).toEqual(["apple"]);
  });

  it("finds the global providers of an SDK started after openTelemetry() but before the first request", async () => {
    const telemetry = openTelemetry();
    const exporter = new InMemorySpanExporter();
    const reader = new TestReader();
    trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
    metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
    const sessions = createSessions<Data>({ secrets: [secret], store: memoryStore(), telemetry });
    await visit(sessions, undefined, (s) => s.set("cart", ["apple"]));

    expect(exporter.getFinishedSpans().map((span) => span.name)).toEqual(["tessera.store.create"]);
    const { resourceMetrics } = await reader.collect();
    expect(resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics.map((metric) => metric.descriptor.name))).toEqual(["tessera.sessions.created"]);
  });
});

/** The context manager an SDK registers on Node (NodeSDK's is on AsyncLocalStorage too), reduced to what spans need. */
class AsyncContextManager implements ContextManager {
  private readonly storage = new AsyncLocalStorage<Context>();
  active(): Context {
    return this.storage.getStore() ?? ROOT_CONTEXT;
  }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(ctx: Context, fn: F, thisArg?: ThisParameterType<F>, ...args: A): ReturnType<F> {
    return this.storage.run(ctx, () => fn.call(thisArg, ...args));
  }
  bind<T>(_ctx: Context, target: T): T {
    return target;
  }
  enable(): this {
    return this;
  }
  disable(): this {
    this.storage.disable();
    return this;
  }
}

describe("spans in a trace", () => {
  afterEach(() => context.disable());

  it("are children of the request's span, and parents of what the store does meanwhile", async () => {
    context.setGlobalContextManager(new AsyncContextManager());
    const exporter = new InMemorySpanExporter();
    const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    const tracer = tracerProvider.getTracer("app");
    // A store whose every read starts a span of its own, as a driver's instrumentation (pg, redis) does.
    const store = memoryStore();
    const get = store.get.bind(store);
    const traced: Store = Object.assign(Object.create(store) as Store, {
      get: (id: string) => tracer.startActiveSpan("driver.read", (span) => {
        const found = get(id);
        span.end();
        return found;
      }),
    });
    const sessions = createSessions<Data>({ secrets: [secret], store: traced, telemetry: openTelemetry({ tracerProvider }) });
    const cookie = await visit(sessions, undefined, (s) => s.set("cart", []));
    await tracer.startActiveSpan("GET /", async (span) => {
      await sessions.load(request(cookie));
      span.end();
    });

    const byName = new Map(exporter.getFinishedSpans().map((span) => [span.name, span]));
    const parentOf = (name: string) => byName.get(name)!.parentSpanContext?.spanId;
    expect(parentOf("tessera.store.get")).toBe(byName.get("GET /")!.spanContext().spanId);
    expect(parentOf("driver.read")).toBe(byName.get("tessera.store.get")!.spanContext().spanId);
  });
});

describe("the telemetry option", () => {
  it("is refused at start-up when it is not a Telemetry, naming the option", () => {
    for (const telemetry of [{}, { event() {} }, "otel", 1]) {
      expect(() => createSessions({ secrets: [secret], telemetry: telemetry as never })).toThrow(expect.objectContaining({ code: "ERR_INVALID_OPTION", message: expect.stringContaining("`telemetry`") }));
    }
  });

  it("refuses providers that are not OpenTelemetry's, naming the option", () => {
    expect(() => openTelemetry({ tracerProvider: {} as never })).toThrow(expect.objectContaining({ code: "ERR_INVALID_OPTION", message: expect.stringContaining("`tracerProvider`") }));
    expect(() => openTelemetry({ meterProvider: "otel" as never })).toThrow(expect.objectContaining({ code: "ERR_INVALID_OPTION", message: expect.stringContaining("`meterProvider`") }));
    expect(() => openTelemetry(null as never)).toThrow(expect.objectContaining({ code: "ERR_INVALID_OPTION" }));
  });

  it("leaves an event type it has no counter for uncounted, and counts the next known one", async () => {
    const { telemetry, points } = instrumented();
    telemetry.event({ type: "sessions_rebalanced", shards: 3 } as never);
    telemetry.event({ type: "write_conflict", attempt: 1 });
    expect((await points()).map((point) => [point.name, point.value])).toEqual([["tessera.write_conflicts", 1]]);
  });

  it("keeps requests working when a Telemetry's counting throws", async () => {
    let storeCalls = 0;
    const telemetry: Telemetry = {
      event() {
        throw new Error("event");
      },
      storeCall: (_info, call) => (storeCalls++, call()),
      sessionLoaded() {
        throw new Error("sessionLoaded");
      },
    };
    const sessions = createSessions<Data>({ secrets: [secret], store: memoryStore(), telemetry });
    const cookie = await visit(sessions, undefined, (s) => s.set("cart", ["apple"]));
    await visit(sessions, "sid=junk");
    const session = await sessions.load(request(cookie));
    expect(session.get("cart")).toEqual(["apple"]);
    expect(storeCalls).toBe(2);
  });
});

describe("the entry points without tessera/opentelemetry", () => {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { exports: Record<string, string | { default: string }> };

  /** Every module specifier a source file and the files it imports (relative imports, followed) import. */
  const specifiersFrom = (entry: string): Set<string> => {
    const found = new Set<string>();
    const seen = new Set<string>();
    const walk = (file: string): void => {
      if (seen.has(file)) return;
      seen.add(file);
      const source = readFileSync(file, "utf8");
      for (const match of source.matchAll(/\bfrom\s+"([^"]+)"|\bimport\s*\(?\s*"([^"]+)"/g)) {
        const specifier = (match[1] ?? match[2])!;
        if (!specifier.startsWith(".")) found.add(specifier);
        else {
          // A specifier quoted in a comment may name no file; only real modules are followed.
          const target = resolve(dirname(file), specifier.replace(/\.js$/, ".ts"));
          if (existsSync(target)) walk(target);
        }
      }
    };
    walk(entry);
    return found;
  };

  it("never import @opentelemetry/api, so an app that does not ask for telemetry never loads it", () => {
    const entries = Object.entries(pkg.exports).filter(([subpath, target]) => typeof target !== "string" && subpath !== "./opentelemetry");
    expect(entries.length).toBeGreaterThan(10);
    for (const [subpath, target] of entries) {
      const source = join(root, (target as { default: string }).default.replace(/^\.\/dist\//, "src/").replace(/\.js$/, ".ts"));
      const imported = [...specifiersFrom(source)];
      expect(imported.filter((specifier) => specifier.startsWith("@opentelemetry")), subpath).toEqual([]);
    }
    // The walk does see imports: the opentelemetry entry's own.
    expect(specifiersFrom(join(root, "src/opentelemetry/index.ts"))).toContain("@opentelemetry/api");
  });
});

describe("examples/opentelemetry.ts", () => {
  it("counts visits, with a span for each store call and the counters in the exporter", async () => {
    const app = observedApp([secret, oldSecret]);
    try {
      const first = await app.fetch(request());
      expect(await first.text()).toBe("visit 1");
      const second = await app.fetch(request(nextCookie(first, undefined)));
      expect(await second.text()).toBe("visit 2");

      expect(app.spans().map((span) => span.name)).toEqual(["tessera.store.create", "tessera.store.get", "tessera.store.update"]);
      const exported = (await app.metrics()).at(-1)!.scopeMetrics.flatMap((scope) => scope.metrics);
      const valueOf = (name: string) => exported.find((metric) => metric.descriptor.name === name)?.dataPoints.map((point) => [point.attributes, point.value]);
      expect(valueOf("tessera.sessions.created")).toEqual([[{ "tessera.store.name": "memory" }, 1]]);
      expect(valueOf("tessera.sessions.loaded")).toEqual([[{ "tessera.key_id": keyIdOf(secret) }, 1]]);
    } finally {
      await app.close();
    }
  });

  it("is shown in the README as it is tested", () => {
    const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
    expect(readme).toContain(readFileSync(new URL("../examples/opentelemetry.ts", import.meta.url), "utf8").trim());
  });
});
