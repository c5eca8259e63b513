// `npm run bench:micro`: the codecs and the cookie parser against the raw node:crypto operations and the `cookie`
// package they stand on, so the distance to the limit is visible. Prints a table; asserts nothing.

import { createCipheriv, createDecipheriv, createHmac, createSecretKey, randomBytes } from "node:crypto";
import { parseCookie } from "cookie";
import { createSealedCodec } from "../src/codecs/sealed.js";
import { createSignedCodec } from "../src/codecs/signed.js";
import { joinChunks, maxChunks, splitCookieValue } from "../src/cookie/chunks.js";
import { readChunkedCookie, readCookieValues } from "../src/cookie/parse.js";
import { jsonSerializer } from "../src/codecs/json.js";
import type { SyncCodec } from "../src/core/codec.js";
import type { SessionRecord } from "../src/core/record.js";
import { encodeRecord } from "../src/core/wire.js";
import { createKeyRing } from "../src/crypto/keyring.js";

const ring = createKeyRing(["micro-benchmark-secret-of-at-least-32-bytes"]);
// On Node the codecs run on node:crypto and answer synchronously, which is what this measures.
const sealed = createSealedCodec(ring) as SyncCodec;
const signed = createSignedCodec(ring) as SyncCodec;
const context = { cookieName: "sid" };
const now = Date.now();
const record: SessionRecord = { data: { username: "alice", visits: 3 }, flash: {}, meta: { createdAt: now, lastSeenAt: now } };
const sealedValue = sealed.encode(record, context);
const signedValue = signed.encode(record, context);
const plaintext = Buffer.from(encodeRecord(record));

const key = createSecretKey(randomBytes(32));
const iv = randomBytes(12);
const aad = Buffer.from("tessera.sealed\0sid");
const cipher = createCipheriv("aes-256-gcm", key, iv);
cipher.setAAD(aad);
const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
const tag = cipher.getAuthTag();

const header = `_ga=GA1.2.3.4; theme=dark; sid=${sealedValue}; lang=en`;

// Big sessions: a cart of 300 items (about 6 KiB of JSON), sealed with and without `compress`, and a 9 KiB sealed
// value split over three cookies (`cookie.chunks`).
const compressing = createSealedCodec(ring, jsonSerializer, { compress: true }) as SyncCodec;
const cart: SessionRecord = { ...record, data: { cart: Array.from({ length: 300 }, (_, i) => `sku-${(i * 7919) % 1000}-blue-m`) } };
const cartSealed = sealed.encode(cart, context);
const cartCompressed = compressing.encode(cart, context);
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
    measure(() => compressing.encode(cart, context)),
    measure(() => sealed.encode(cart, context)),
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
