// `npm run bench:micro`: the codecs and the cookie parser against the raw node:crypto operations and the `cookie`
// package they stand on, so the distance to the limit is visible; then what cookie mode's `revocation` adds to loading
// a signed-in session, what the `telemetry` option costs a request, and what a `schema` (zod) adds to a load and a
// commit. Prints tables; asserts nothing.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createCipheriv, createDecipheriv, createHmac, createSecretKey, randomBytes } from "node:crypto";
import { parseCookie } from "cookie";
import { BatchSpanProcessor, BasicTracerProvider } from "@opentelemetry/sdk-trace-base";
import { MeterProvider, MetricReader } from "@opentelemetry/sdk-metrics";
import { createCookieJar, createSessions, type Sessions, type SessionsOptions } from "../src/index.js";
import { openTelemetry } from "../src/opentelemetry/index.js";
import { createSealedCodec } from "../src/codecs/sealed.js";
import { createSignedCodec } from "../src/codecs/signed.js";
import { joinChunks, maxChunks, splitCookieValue } from "../src/cookie/chunks.js";
import { readChunkedCookie, readCookieValues } from "../src/cookie/parse.js";
import { jsonSerializer } from "../src/codecs/json.js";
import type { SyncCodec } from "../src/core/codec.js";
import type { SessionRecord } from "../src/core/record.js";
import { encodeRecord } from "../src/core/wire.js";
import { createKeyRing } from "../src/crypto/keyring.js";
import { sodiumXChaCha } from "../src/crypto/xchacha.js";
import { createSessionManager, type SessionManager } from "../src/manager/sessions.js";
import { memoryStore } from "../src/stores/memory/index.js";
import { sqliteStore } from "../src/stores/sqlite/index.js";
import { z } from "zod";

const ring = createKeyRing(["micro-benchmark-secret-of-at-least-32-bytes"]);
// On Node the codecs run on node:crypto and answer synchronously, which is what this measures.
const sealed = createSealedCodec(ring) as SyncCodec;
const sealedX = createSealedCodec(ring, { cipher: "xchacha20-poly1305" }) as SyncCodec;
const signed = createSignedCodec(ring) as SyncCodec;
const context = { cookieName: "sid" };
const now = Date.now();
const record: SessionRecord = { data: { username: "alice", visits: 3 }, flash: {}, meta: { createdAt: now, lastSeenAt: now } };
const sealedValue = sealed.encode(record, context);
const sealedXValue = sealedX.encode(record, context);
const signedValue = signed.encode(record, context);
const plaintext = Buffer.from(encodeRecord(record));

const key = createSecretKey(randomBytes(32));
const iv = randomBytes(12);
const aad = Buffer.from("tessera.sealed\0sid");
const cipher = createCipheriv("aes-256-gcm", key, iv);
cipher.setAAD(aad);
const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
const tag = cipher.getAuthTag();

// XChaCha20-Poly1305 from sodium-native, raw (the `cipher: "xchacha20-poly1305"` option).
const sodium = sodiumXChaCha()!.key(randomBytes(32));
const nonce = randomBytes(24);
const sodiumSealed = new Uint8Array(plaintext.length + 16);
sodium.seal(nonce, aad, plaintext, sodiumSealed, 0);

const header = `_ga=GA1.2.3.4; theme=dark; sid=${sealedValue}; lang=en`;

// Big sessions: a cart of 300 items (about 6 KiB of JSON), sealed with and without `compress`, and a 9 KiB sealed
// value split over three cookies (`cookie.chunks`).
const compressing = createSealedCodec(ring, jsonSerializer, { compress: true }) as SyncCodec;
const bigCart: SessionRecord = { ...record, data: { cart: Array.from({ length: 300 }, (_, i) => `sku-${(i * 7919) % 1000}-blue-m`) } };
const cartSealed = sealed.encode(bigCart, context);
const cartCompressed = compressing.encode(bigCart, context);
const bigValue = "x".repeat(9000);
const chunkedHeader = `_ga=GA1.2.3.4; ${splitCookieValue("sid", bigValue)!.map((chunk) => `${chunk.name}=${chunk.value}`).join("; ")}; lang=en`;
const wholeHeader = `_ga=GA1.2.3.4; sid=${bigValue}; lang=en`;
const hostile = ";".repeat(100_000);
const hostileEquals = `${"a=b;".repeat(16_384)}sid=x`;

let sink: unknown;
function measure(fn: () => unknown, seconds = 0.5): number {
  for (let i = 0; i < 2000; i++) sink = fn();
  let iterations = 0;
  const start = process.hrtime.bigint();
  const budget = BigInt(Math.round(seconds * 1e9));
  let elapsed = 0n;
  while (elapsed < budget) {
    for (let i = 0; i < 200; i++) sink = fn();
    iterations += 200;
    elapsed = process.hrtime.bigint() - start;
  }
  return Number(elapsed) / iterations / 1000;
}

const rows: [string, string, number, number][] = [
  [
    "open (sealed codec)",
    "AES-256-GCM decipher, raw",
    measure(() => sealed.decode(sealedValue, context)),
    measure(() => {
      const d = createDecipheriv("aes-256-gcm", key, iv);
      d.setAAD(aad);
      d.setAuthTag(tag);
      d.update(ciphertext);
      return d.final();
    }),
  ],
  [
    "seal (sealed codec)",
    "AES-256-GCM cipher, raw",
    measure(() => sealed.encode(record, context)),
    measure(() => {
      const c = createCipheriv("aes-256-gcm", key, iv);
      c.setAAD(aad);
      c.update(plaintext);
      c.final();
      return c.getAuthTag();
    }),
  ],
  [
    "open (sealed codec, XChaCha20-Poly1305)",
    "XChaCha20-Poly1305, sodium-native, raw",
    measure(() => sealedX.decode(sealedXValue, context)),
    measure(() => sodium.open(nonce, aad, sodiumSealed)),
  ],
  [
    "seal (sealed codec, XChaCha20-Poly1305)",
    "XChaCha20-Poly1305, sodium-native, raw",
    measure(() => sealedX.encode(record, context)),
    measure(() => sodium.seal(nonce, aad, plaintext, sodiumSealed, 0)),
  ],
  [
    "verify (signed codec)",
    "HMAC-SHA256, raw",
    measure(() => signed.decode(signedValue, context)),
    measure(() => createHmac("sha256", key).update(plaintext).digest()),
  ],
  [
    "sign (signed codec)",
    "HMAC-SHA256, raw",
    measure(() => signed.encode(record, context)),
    measure(() => createHmac("sha256", key).update(plaintext).digest()),
  ],
  [
    `seal a ${cartSealed.length} B cart, compress (to ${cartCompressed.length} B)`,
    "sealed codec, not compressed",
    measure(() => compressing.encode(bigCart, context)),
    measure(() => sealed.encode(bigCart, context)),
  ],
  ["open it, compressed", "open it, not compressed", measure(() => compressing.decode(cartCompressed, context)), measure(() => sealed.decode(cartSealed, context))],
  [
    "read and join 3 chunks (9 KiB)",
    "readCookieValues, one 9 KiB value",
    measure(() => joinChunks(readChunkedCookie(chunkedHeader, "sid", maxChunks).chunks, 8)),
    measure(() => readCookieValues(wholeHeader, "sid")),
  ],
  ["parse a normal Cookie header", "cookie.parseCookie", measure(() => readCookieValues(header, "sid")), measure(() => parseCookie(header))],
  [
    'parse ";" × 100,000',
    "cookie.parseCookie",
    measure(() => readCookieValues(hostile, "sid"), 0.3),
    measure(() => parseCookie(hostile), 0.3),
  ],
  [
    'parse "a=b;" × 16,384 then sid',
    "cookie.parseCookie",
    measure(() => readCookieValues(hostileEquals, "sid"), 0.3),
    measure(() => parseCookie(hostileEquals), 0.3),
  ],
];

void sink;
console.log(`| operation | µs | built on | µs | × |`);
console.log(`| --- | ---: | --- | ---: | ---: |`);
for (const [name, base, ours, raw] of rows) {
  console.log(`| ${name} | ${ours.toFixed(2)} | ${base} | ${raw.toFixed(2)} | ${(ours / raw).toFixed(2)} |`);
}

/** An async operation's mean time in µs: each call awaited before the next, as one request after another. */
async function measureAsync(fn: () => Promise<unknown>, seconds = 0.5): Promise<number> {
  for (let i = 0; i < 500; i++) sink = await fn();
  let iterations = 0;
  const start = process.hrtime.bigint();
  const budget = BigInt(Math.round(seconds * 1e9));
  let elapsed = 0n;
  while (elapsed < budget) {
    for (let i = 0; i < 100; i++) sink = await fn();
    iterations += 100;
    elapsed = process.hrtime.bigint() - start;
  }
  return Number(elapsed) / iterations / 1000;
}

/** µs to load a signed-in cookie session (the decode cache warm, as on a repeat visit) under `options`. */
async function loadSignedIn(options: Partial<SessionsOptions>): Promise<number> {
  const manager: SessionManager = createSessionManager({ secrets: ["micro-benchmark-secret-of-at-least-32-bytes"], ...options });
  const session = await manager.loadFrom({ cookie: undefined, secure: false });
  await session.signIn("alice");
  const changes = await manager.commitHeaders(session);
  const cookie = changes.setCookie[0]!.split(";")[0]!;
  const micros = await measureAsync(() => manager.loadFrom({ cookie, secure: false }));
  await manager.close();
  return micros;
}

const dir = mkdtempSync(join(tmpdir(), "tessera-bench-revocation-"));
const bare = await loadSignedIn({});
const revocationRows: [string, number][] = [
  ["no revocation", bare],
  ["revocation, record cached (cacheFor 5s)", await loadSignedIn({ revocation: memoryStore() })],
  ["revocation on memory, cacheFor 0", await loadSignedIn({ revocation: { store: memoryStore(), cacheFor: 0 } })],
  ["revocation on SQLite, cacheFor 0", await loadSignedIn({ revocation: { store: sqliteStore({ path: join(dir, "revocation.db") }), cacheFor: 0 } })],
];
rmSync(dir, { recursive: true, force: true });
console.log("");
console.log(`| load a signed-in cookie session | µs | added µs |`);
console.log(`| --- | ---: | ---: |`);
for (const [name, micros] of revocationRows) console.log(`| ${name} | ${micros.toFixed(2)} | ${(micros - bare).toFixed(2)} |`);

/** A metric reader nobody collects from: the SDK still aggregates every counter added to. */
class IdleReader extends MetricReader {
  protected onShutdown(): Promise<void> {
    return Promise.resolve();
  }
  protected onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
}

/** An SDK as an app runs one: spans batched to an exporter (this one drops them), counters aggregated. */
const withSdk = () =>
  openTelemetry({
    tracerProvider: new BasicTracerProvider({
      spanProcessors: [new BatchSpanProcessor({ export: (_spans, done) => done({ code: 0 }), shutdown: () => Promise.resolve() })],
    }),
    meterProvider: new MeterProvider({ readers: [new IdleReader()] }),
  });

type Data = { visits?: number };
/** One request that loads its session and changes it: store mode reads and compare-and-sets, cookie mode re-seals. */
async function requestLoop(options: Omit<SessionsOptions, "secrets">): Promise<() => Promise<unknown>> {
  const sessions: Sessions<Data> = createSessions<Data>({ secrets: ["micro-benchmark-secret-of-at-least-32-bytes"], ...options });
  const first = await sessions.load(new Request("http://app.test/"));
  first.set("visits", 1);
  const cookie = (await sessions.commit(first, new Response(null))).headers.getSetCookie()[0]!.split(";")[0]!;
  const request = new Request("http://app.test/", { headers: { cookie } });
  return async () => {
    const session = await sessions.load(request);
    session.update("visits", (visits) => (visits ?? 0) + 1);
    return sessions.commit(session, new Response(null));
  };
}

const telemetryCases: [string, (telemetry: SessionsOptions["telemetry"]) => Promise<() => Promise<unknown>>][] = [
  ["store mode (memory store: get + update)", (telemetry) => requestLoop({ store: memoryStore(), telemetry })],
  ["cookie mode (sealed)", (telemetry) => requestLoop({ telemetry })],
];
const variants: [string, () => SessionsOptions["telemetry"]][] = [
  ["off", () => undefined],
  // No SDK is registered in this process: openTelemetry() gets the API's no-op providers.
  ["API, no SDK", () => openTelemetry()],
  ["SDK", withSdk],
];
// Seven rounds, the variants interleaved in each, and each variant's fastest round kept: a busy machine's drift hits
// all alike, and the fastest round is the one least disturbed by other work.
const timings = new Map<string, number[]>();
for (let round = 0; round < 7; round++) {
  for (const [name, make] of telemetryCases) {
    for (const [variant, telemetry] of variants) {
      const key = `${name}\0${variant}`;
      timings.set(key, [...(timings.get(key) ?? []), await measureAsync(await make(telemetry()), 0.2)]);
    }
  }
}
console.log();
console.log(`| load + commit, one request | telemetry off µs | API, no SDK µs | × | SDK µs | × |`);
console.log(`| --- | ---: | ---: | ---: | ---: | ---: |`);
for (const [name] of telemetryCases) {
  const [off, api, sdk] = variants.map(([variant]) => Math.min(...timings.get(`${name}\0${variant}`)!));
  console.log(`| ${name} | ${off!.toFixed(2)} | ${api!.toFixed(2)} | ${(api! / off!).toFixed(2)} | ${sdk!.toFixed(2)} | ${(sdk! / off!).toFixed(2)} |`);
}
void sink;

/** The two measured in turn, five times each (a shared machine drifts), and the median of each. */
async function interleaved(a: () => Promise<unknown>, b: () => Promise<unknown>): Promise<[number, number]> {
  const as: number[] = [];
  const bs: number[] = [];
  for (let round = 0; round < 5; round++) {
    as.push(await measureAsync(a, 0.2));
    bs.push(await measureAsync(b, 0.2));
  }
  const median = (xs: number[]) => xs.sort((x, y) => x - y)[2]!;
  return [median(as), median(bs)];
}

// The same session (a user name and a small cart) loaded, and changed and committed, without and with a zod schema.
const schema = z.object({ username: z.string().optional(), cart: z.array(z.object({ sku: z.string(), quantity: z.number().int() })).default([]) });
const cart = [
  { sku: "book", quantity: 1 },
  { sku: "pen", quantity: 2 },
];
const secrets = ["micro-benchmark-secret-of-at-least-32-bytes"];

/** A manager over `options` and the Cookie header of a session it wrote holding `cart`. */
async function seeded(options: Partial<SessionsOptions>): Promise<{ manager: SessionManager; cookie: string }> {
  const manager = createSessionManager({ secrets, ...options });
  const session = await manager.loadFrom({ cookie: undefined, secure: false });
  session.set("username", "alice");
  session.set("cart", cart);
  const changes = await manager.commitHeaders(session);
  return { manager, cookie: changes.setCookie[0]!.split(";")[0]! };
}

const scenarios: [string, Partial<SessionsOptions>][] = [
  ["cookie mode, decode cache hit", {}],
  ["cookie mode, decodeCacheSize 0", { decodeCacheSize: 0 }],
  ["store mode (memory)", { store: memoryStore() }],
];
const schemaRows: [string, number, number][] = [];
for (const [name, options] of scenarios) {
  const plain = await seeded(options);
  const checked = await seeded({ ...options, schema });
  const load = (s: typeof plain) => () => s.manager.loadFrom({ cookie: s.cookie, secure: false });
  const change = (s: typeof plain) => async () => {
    const session = await s.manager.loadFrom({ cookie: s.cookie, secure: false });
    session.set("cart", cart);
    return s.manager.commitHeaders(session);
  };
  schemaRows.push([`load, ${name}`, ...(await interleaved(load(plain), load(checked)))]);
  schemaRows.push([`load, set, commit, ${name}`, ...(await interleaved(change(plain), change(checked)))]);
}
const data = { username: "alice", cart };
schemaRows.push(["zod validate alone (reference)", 0, measure(() => schema["~standard"].validate(data))]);

void sink;
console.log("");
console.log(`| operation | µs, no schema | µs, zod schema | added µs |`);
console.log(`| --- | ---: | ---: | ---: |`);
for (const [name, without, withSchema] of schemaRows) {
  console.log(`| ${name} | ${without ? without.toFixed(2) : "-"} | ${withSchema.toFixed(2)} | ${without ? (withSchema - without).toFixed(2) : "-"} |`);
}

// The cookie jar (`createCookieJar`): reading the demo's theme cookie, plain, signed and sealed, from a Cookie header
// that also carries a session cookie and two others, against parsing that header alone.
const jar = createCookieJar({ secrets: ["micro-benchmark-secret-of-at-least-32-bytes"] });
const jarRows: [string, number][] = [];
for (const protection of [{}, { signed: true }, { sealed: true }] as const) {
  const value = (await jar.serialize("theme", "dark", protection)).split(";")[0]!;
  const jarHeader = { headers: { cookie: `_ga=GA1.2.3.4; ${value}; sid=${sealedValue}; lang=en` } };
  const name = "signed" in protection ? "signed" : "sealed" in protection ? "sealed" : "plain";
  jarRows.push([`read a ${name} jar cookie`, await measureAsync(() => jar.read(jarHeader, "theme", protection))]);
}
const parseOnly = measure(() => readCookieValues(`_ga=GA1.2.3.4; theme=dark; sid=${sealedValue}; lang=en`, "theme"));
console.log();
console.log(`| cookie jar | µs | parsing the header alone µs |`);
console.log(`| --- | ---: | ---: |`);
for (const [name, micros] of jarRows) console.log(`| ${name} | ${micros.toFixed(2)} | ${parseOnly.toFixed(2)} |`);
