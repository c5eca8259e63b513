// Flask-Session: every interop vector of 0.8.0 and 0.3.2 (signed ids, Redis keys, records), then the migration on the
// real Redis with the vectors' own bytes.

import { encode } from "@msgpack/msgpack";
import fc from "fast-check";
import { readFileSync } from "node:fs";
import { createClient } from "redis";
import { afterAll, describe, expect, it } from "vitest";
import { createSessions } from "../index.js";
import type { SessionEvent } from "../manager/events.js";
import { memoryStore } from "../stores/memory/index.js";
import { decodeFlaskSessionRecord, isPickle } from "./flask-session-record.js";
import { flaskSessionKeys, signFlaskSessionId, verifyFlaskSessionId } from "./flask-session-signer.js";
import { flaskSessionMigration, type FlaskSessionMigrationOptions } from "./flask-session.js";

interface FlaskSessionVector {
  id: string;
  use_signer: boolean;
  secret_key: string;
  sid: string;
  cookie_value: string;
  redis_key: string;
  stored: { value_base64: string; value_hex: string; format: string; msgspec_json_view?: Record<string, unknown> };
}

const load = (version: string): FlaskSessionVector[] =>
  (JSON.parse(readFileSync(new URL(`../../test/interop/flask_session_vectors_${version}.json`, import.meta.url), "utf8")) as { vectors: FlaskSessionVector[] }).vectors;
const files = { "0.8.0": load("0.8.0"), "0.3.2": load("0.3.2") };
const secret = "0123456789abcdef0123456789abcdef-current";
const redisUrl = process.env.TESSERA_REDIS_URL ?? "redis://127.0.0.1:6379";
const prefix = `tessera-test:flask-session:${process.pid.toString(36)}-${Date.now().toString(36)}:session:`;

const bytesOf = (vector: FlaskSessionVector): Buffer => Buffer.from(vector.stored.value_base64, "base64");
/** The last character of a signature replaced by another of the base64url alphabet. */
const flipLast = (value: string): string => value.slice(0, -1) + (value.endsWith("A") ? "B" : "A");

for (const [version, vectors] of Object.entries(files)) {
  describe(`Flask-Session ${version} vectors (flask_session_vectors_${version}.json)`, () => {
    it("has the three vectors FORMAT.md lists", () => {
      expect(vectors.map((v) => v.id)).toEqual(["simple_unsigned", "simple_signed", "typed_values"]);
    });

    for (const vector of vectors) {
      it(`${vector.id}: the cookie names the session id and the Redis key`, () => {
        const keys = flaskSessionKeys(vector.secret_key);
        expect(vector.redis_key).toBe(`session:${vector.sid}`);
        expect(bytesOf(vector).toString("hex")).toBe(vector.stored.value_hex);
        if (vector.use_signer) {
          expect(verifyFlaskSessionId(vector.cookie_value, keys)).toBe(vector.sid);
          expect(signFlaskSessionId(vector.sid, keys)).toBe(vector.cookie_value);
          expect(verifyFlaskSessionId(flipLast(vector.cookie_value), keys)).toBeUndefined();
          expect(verifyFlaskSessionId(`${vector.cookie_value}=`, keys)).toBeUndefined();
          expect(verifyFlaskSessionId(vector.cookie_value, flaskSessionKeys("another secret key"))).toBeUndefined();
        } else {
          expect(vector.cookie_value).toBe(vector.sid);
        }
      });

      if (version === "0.8.0") {
        it(`${vector.id}: the msgpack record decodes to the data Flask-Session stored`, async () => {
          expect(vector.stored.format).toMatch(/^msgpack/);
          expect(isPickle(bytesOf(vector))).toBe(false);
          expect(await decodeFlaskSessionRecord(bytesOf(vector))).toEqual({ format: "msgpack", data: vector.stored.msgspec_json_view });
        });
      } else {
        it(`${vector.id}: the pickled record is refused unread`, async () => {
          expect(vector.stored.format).toMatch(/^pickle/);
          expect(isPickle(bytesOf(vector))).toBe(true);
          expect(await decodeFlaskSessionRecord(bytesOf(vector))).toEqual({ failure: "unsupported_format" });
        });
      }
    }
  });
}

describe("decodeFlaskSessionRecord", () => {
  it("reads a JSON record (SESSION_SERIALIZATION_FORMAT = 'json') when it is not msgpack", async () => {
    expect(await decodeFlaskSessionRecord(Buffer.from('{"_permanent":true,"username":"alice"}'))).toEqual({
      format: "json",
      data: { _permanent: true, username: "alice" },
    });
  });

  it("refuses values JSON cannot hold, unknown extensions and __proto__ keys", async () => {
    const bad = [
      encode({ big: 2n ** 60n }, { useBigInt64: true }),
      Buffer.from("81a17ad40501", "hex"), // {z: ext type 5}
      Buffer.from("81a95f5f70726f746f5f5f81a16101", "hex"), // {"__proto__": {a: 1}}
      Buffer.from("not a record"),
      Buffer.from("93010203", "hex"), // an array, not a dict
    ];
    for (const bytes of bad) expect(await decodeFlaskSessionRecord(bytes)).toEqual({ failure: "bad_data" });
    expect(({} as { a?: number }).a).toBeUndefined();
  });

  it("writes integer map keys as text and sub-second timestamps with their fraction", async () => {
    const bytes = Buffer.concat([Buffer.from("82", "hex"), encode(7), encode("seven"), encode("t"), encode(new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 250)))]);
    expect(await decodeFlaskSessionRecord(bytes)).toEqual({ format: "msgpack", data: { "7": "seven", t: "2024-01-02T03:04:05.250000Z" } });
  });

  it("never takes a msgpack or JSON record for a pickle", () => {
    const json = fc.dictionary(fc.string(), fc.jsonValue());
    fc.assert(
      fc.property(json, (data) => {
        expect(isPickle(encode(data))).toBe(false);
        expect(isPickle(Buffer.from(JSON.stringify(data)))).toBe(false);
      }),
      { numRuns: 200 },
    );
  });
});

describe("flaskSessionMigration on the real Redis, with the vectors' records", () => {
  const redis = createClient({ url: redisUrl }).on("error", () => undefined);
  let connecting: Promise<unknown> | undefined;
  const client = async () => {
    await (connecting ??= redis.connect());
    return redis;
  };
  afterAll(async () => {
    if (connecting === undefined) return;
    const keys: string[] = [];
    for await (const batch of redis.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) keys.push(...batch);
    if (keys.length > 0) await redis.del(keys);
    await redis.close();
  });

  const setup = async (options: Partial<FlaskSessionMigrationOptions> = {}) => {
    const events: SessionEvent[] = [];
    const counted = { gets: 0 };
    const base = await client();
    const sessions = createSessions({
      secrets: [secret],
      store: memoryStore(),
      onEvent: (event) => events.push(event),
      migrateFrom: [
        flaskSessionMigration({
          redis: {
            get: (key) => (counted.gets++, base.withTypeMapping({ 36: Buffer }).get(key)),
            del: (key) => base.del(key),
          },
          keyPrefix: prefix,
          ...options,
        }),
      ],
    });
    return { sessions, events, counted, redis: base };
  };
  const request = (cookie: string) => new Request("http://app.test/", { headers: { cookie } });
  const reasons = (events: SessionEvent[]) => events.flatMap((e) => (e.type === "migration_rejected" ? [e.reason] : []));

  for (const vector of files["0.8.0"]) {
    it(`migrates 0.8.0 ${vector.id}: data carried (without _permanent), Redis key deleted, cookie "session" cleared`, async () => {
      const { sessions, redis } = await setup({ secretKey: vector.secret_key, useSigner: vector.use_signer });
      const sid = `${vector.id}-${vector.sid}`;
      const cookie = vector.use_signer ? signFlaskSessionId(sid, flaskSessionKeys(vector.secret_key)) : sid;
      await redis.set(prefix + sid, bytesOf(vector));
      const loaded = await sessions.load(request(`session=${cookie}`));
      const { _permanent: _, ...expected } = vector.stored.msgspec_json_view!;
      expect(Object.fromEntries(loaded.keys().map((k) => [k, loaded.get(k)]))).toEqual(expected);
      const response = await sessions.commit(loaded, new Response("ok"));
      expect(response.headers.getSetCookie().find((h) => h.startsWith("session="))).toMatch(/^session=; Max-Age=0; Path=\//);
      expect(await redis.exists(prefix + sid)).toBe(0);
      expect((await sessions.load(request(`session=${cookie}`))).isNew).toBe(true);
    });
  }

  for (const vector of files["0.3.2"]) {
    it(`refuses 0.3.2 ${vector.id}'s pickle with unsupported_format, leaving the record`, async () => {
      const { sessions, events, redis } = await setup({ secretKey: vector.secret_key, useSigner: vector.use_signer });
      await redis.set(prefix + vector.sid, bytesOf(vector));
      const loaded = await sessions.load(request(`session=${vector.cookie_value}`));
      expect(loaded.isNew).toBe(true);
      expect(reasons(events)).toEqual(["unsupported_format"]);
      expect((await sessions.commit(loaded, new Response("ok"))).headers.getSetCookie()).toEqual([]);
      expect(await redis.exists(prefix + vector.sid)).toBe(1);
    });
  }

  it("reads no Redis key for a signed cookie whose signature does not verify", async () => {
    const vector = files["0.8.0"].find((v) => v.use_signer)!;
    const { sessions, events, counted } = await setup({ secretKey: vector.secret_key, useSigner: true });
    const loaded = await sessions.load(request(`session=${flipLast(vector.cookie_value)}`));
    expect(loaded.isNew).toBe(true);
    expect(counted.gets).toBe(0);
    expect(reasons(events)).toEqual(["bad_signature"]);
  });

  it("binds Flask-Login's _user_id and carries a JSON record", async () => {
    const { sessions, redis } = await setup();
    const sid = "flaskLoginUserSession-000000000000000000000";
    await redis.set(prefix + sid, JSON.stringify({ _permanent: true, _user_id: "7", _fresh: true, cart: ["tea"] }));
    const loaded = await sessions.load(request(`session=${sid}`));
    expect(loaded.userId).toBe("7");
    expect(loaded.get("cart")).toEqual(["tea"]);
    expect(loaded.has("_permanent")).toBe(false);
    const token = (await sessions.commit(loaded, new Response("ok"))).headers.getSetCookie().find((h) => h.startsWith("sid="));
    expect(token).toMatch(/^sid=[A-Za-z0-9_-]{43}\./);
    expect(await sessions.userSessions("7")).toHaveLength(1);
  });

  it("refuses a cookie that is not a Flask-Session id before building a Redis key from it", async () => {
    const { sessions, events, counted } = await setup();
    await sessions.load(request("session=*"));
    await sessions.load(request("session=eyJ1c2VybmFtZSI6ImFsaWNlIn0.ZVPxAA.9Al9aNpOuMtMjQkzFpa3vCJyTcU"));
    expect(counted.gets).toBe(0);
    expect(reasons(events)).toEqual(["malformed", "malformed"]);
  });

  it("needs the secret key with useSigner", () => {
    expect(() => flaskSessionMigration({ redis: redis as never, useSigner: true })).toThrow(/secretKey/);
  });
});
