// The Flask codec against Flask itself: every vector real Flask made, and cookies tessera writes loaded by real Flask.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { flaskCodec, flaskBytes, flaskDatetime, flaskFlashes, flaskFloat, flaskInt, flaskMarkup, flaskTuple, flaskUuid } from "../src/codecs/flask/index.js";
import { decodePayload } from "../src/codecs/flask/payload.js";
import { dumps } from "../src/codecs/flask/dumps.js";
import { fromRecord } from "../src/codecs/flask/session.js";
import { createTimestampSigner } from "../src/codecs/flask/signer.js";
import { tagSession } from "../src/codecs/flask/tag.js";
import type { CodecContext } from "../src/core/codec.js";
import type { JsonValue } from "../src/core/data.js";
import { TesseraError, type CodecFailure } from "../src/core/errors.js";
import type { SessionRecord } from "../src/core/record.js";
import { createSessions } from "../src/index.js";
import type { SessionEvent } from "../src/manager/events.js";
import { describeCodec, reasonFor } from "./codec-conformance.js";
import { flaskVectors, startRealFlask, verifyCookie, type FlaskVector, type RealFlask } from "./flask-interop.js";
import { manualClock, request, setCookieFor } from "./helpers.js";

const context: CodecContext = { cookieName: "session" };
const vectors = flaskVectors();
const secret = "tessera-test-secret-key-0123456789";
const oldSecret = "tessera-old-secret-key-before-rotation";
/** 2023-11-14T22:13:20Z, when the vectors were signed, and a minute later, when Flask checked them. */
const signedAt = 1_700_000_000;
const checkedAt = signedAt + 60;

const codecFor = (vector: FlaskVector) =>
  flaskCodec({ secretKey: vector.secret_key, fallbacks: vector.secret_key_fallbacks, maxAge: vector.max_age, clock: () => vector.verify_at * 1000 });

/** The JSON text inside a cookie value (after base64url and zlib), exactly as Flask will read it. */
const payloadJson = (cookie: string): string => decodePayload(cookie.slice(0, cookie.lastIndexOf(".", cookie.lastIndexOf(".") - 1)));

/** The JSON text the codec writes for a record signed at `timestamp`. */
const jsonFor = (record: SessionRecord, timestamp: number): string => dumps(tagSession(fromRecord(record, timestamp)));

/**
 * Why each vector Flask refuses is refused here. Quirks are cookies Flask accepts only because Python's base64
 * decoder is lenient: this codec takes the canonical spelling alone.
 */
const refusals: Record<string, CodecFailure> = {
  rotation_old_cookie_without_fallback: "bad_signature",
  rotation_new_cookie_with_only_old_key: "bad_signature",
  wrong_key: "bad_signature",
  tampered_payload: "bad_signature",
  forged_payload_old_signature: "bad_signature",
  tampered_signature: "bad_signature",
  tampered_timestamp: "bad_signature",
  truncated_signature: "malformed",
  missing_signature: "malformed",
  payload_only: "malformed",
  empty_signature: "malformed",
  expired: "expired",
  expired_custom_max_age: "expired",
  future_timestamp: "not_yet_valid",
  wrong_salt: "bad_signature",
  wrong_key_derivation: "bad_signature",
  wrong_digest_sha256: "malformed",
  valid_signature_payload_not_base64_json: "bad_payload",
  valid_signature_bad_zlib: "bad_payload",
  valid_signature_invalid_utf8: "bad_payload",
  garbage_word: "malformed",
  garbage_dots: "malformed",
  garbage_three_parts: "malformed",
  garbage_jwt_like: "malformed",
  garbage_express_cookie: "malformed",
  empty_value: "malformed",
  signature_with_one_junk_char: "malformed",
  quirk_signature_noncanonical_last_char: "bad_signature",
  quirk_signature_with_four_junk_chars: "malformed",
  quirk_signature_std_base64_alphabet: "malformed",
  quirk_signature_with_padding: "malformed",
  quirk_timestamp_8_bytes: "malformed",
};

describe("Flask's own vectors (flask_vectors.json, made by Flask 2.2.2)", () => {
  it("holds 28 positive, 27 negative and 9 quirk vectors", () => {
    const count = (category: string) => vectors.filter((v) => v.category === category).length;
    expect([count("positive"), count("negative"), count("quirk")]).toEqual([28, 27, 9]);
  });

  const accepted = vectors.filter((v) => !(v.id in refusals));
  const refused = vectors.filter((v) => v.id in refusals);

  it("accepts every positive vector and refuses every negative one", () => {
    expect(accepted.filter((v) => v.category === "negative").map((v) => v.id)).toEqual([]);
    expect(refused.filter((v) => v.category === "positive").map((v) => v.id)).toEqual([]);
  });

  describe.each(accepted.map((v) => [`${v.category} ${v.id}`, v] as const))("%s", (_, vector) => {
    const decoded = () => codecFor(vector).decode(vector.cookie_value, context);

    it("decodes, and writes the same JSON back byte for byte (big integers, floats and tags included)", () => {
      const { record, keyIndex } = decoded();
      // SECRET_KEY verifies as 0, the first fallback as 1.
      expect(keyIndex).toBe(vector.signed_with === vector.secret_key ? 0 : 1);
      expect(jsonFor(record, vector.timestamp!)).toBe(vector.payload_json);
      expect(record.meta).toMatchObject({ lastSeenAt: vector.timestamp! * 1000, createdAt: vector.timestamp! * 1000 });
    });

    it(vector.compressed ? "writes a compressed cookie that decodes to the same session" : "writes the same cookie, byte for byte", () => {
      const { record } = decoded();
      const codec = codecFor(vector);
      const written = codec.encode(record, context);
      if (vector.compressed) {
        // Node's zlib and CPython's write different bytes for the same input (FORMAT.md §1.4): compare what they hold.
        expect(written.startsWith(".")).toBe(true);
        expect(payloadJson(written)).toBe(vector.payload_json);
        expect(codec.decode(written, context).record).toEqual(record);
      } else if (vector.id === "rotation_old_cookie_accepted") {
        // Signed with the fallback; tessera signs with SECRET_KEY, as Flask does.
        expect(written).toBe(vectors.find((v) => v.id === "simple_username")!.cookie_value);
      } else {
        expect(written).toBe(vector.cookie_value);
      }
    });
  });

  it.each(refused.map((v) => [`${v.category} ${v.id}`, v] as const))("refuses %s with its reason", (_, vector) => {
    expect(reasonFor(codecFor(vector), vector.cookie_value, context)).toBe(refusals[vector.id]);
  });

  describe("maps Flask's values to the documented JS values", () => {
    const data = (id: string) => {
      const vector = vectors.find((v) => v.id === id)!;
      return codecFor(vector).decode(vector.cookie_value, context).record;
    };

    it("tuple, bytes, datetime, UUID and Markup become markers", () => {
      expect(data("tuple_tag").data).toEqual({ mixed: { $tuple: ["a", 1.5, null, true, { $tuple: [{ $bytes: "eA==" }] }] }, point: { $tuple: [1, 2] } });
      expect(data("bytes_tag").data).toEqual({ empty: { $bytes: "" }, raw: { $bytes: "AAECYmluYXJ5//77" } });
      expect(data("datetime_tag").data).toEqual({ when: { $datetime: "2024-01-02T03:04:05Z" } });
      expect(data("uuid_tag").data).toEqual({ id: { $uuid: "12345678-1234-5678-1234-567812345678" } });
      expect(data("markup_tag").data).toEqual({ html: { $markup: '<b>Hello</b> &amp; "bye"' } });
    });

    it("a dict whose only key is a tag is a plain object, at any level", () => {
      expect(data("tag_like_key_nested").data).toEqual({ two_keys_not_wrapped: { " t": 1, x: 2 }, wrapper: { " t": [1, 2] } });
      expect(data("tag_like_key_toplevel").data).toEqual({ " u": "not a uuid" });
    });

    it("numbers: safe integers and fractions are numbers, whole floats and big integers keep their Python type", () => {
      expect(data("big_integers").data).toEqual({
        neg_big: { $int: "-9223372036854775808" },
        safe_plus_one: { $int: "9007199254740993" },
        u64: { $int: "18446744073709551616" },
      });
      const floats = data("float_formatting").data;
      expect(floats).toEqual({ big: 1e16, e21: 1e21, negzero: -0, one: { $float: "1.0" }, onek: 1000.5, small: 1e-7, third: 1 / 3 });
      expect(Object.is(floats.negzero, -0)).toBe(true);
      expect(data("quirk_nan_infinity").data).toEqual({ inf: { $float: "Infinity" }, nan: { $float: "NaN" }, ninf: { $float: "-Infinity" } });
    });

    it("what Flask writes without a tag (date, Decimal) is the string it wrote; a naive datetime is UTC, to the second", () => {
      expect(data("quirk_date_not_datetime").data).toEqual({ d: "Tue, 02 Jan 2024 00:00:00 GMT" });
      expect(data("quirk_decimal").data).toEqual({ price: "19.90" });
      expect(data("quirk_naive_datetime_microseconds").data).toEqual({ when: { $datetime: "2024-01-02T03:04:05Z" } });
    });

    it("Flask's flashes are tessera's flash messages, Flask-Login's _user_id the signed-in user", () => {
      expect(data("flask_flash_message")).toEqual({ data: {}, flash: { success: "Welcome back!" }, meta: { createdAt: signedAt * 1000, lastSeenAt: signedAt * 1000 } });
      const login = data("flask_login_like");
      expect(login.meta.userId).toBe("42");
      expect(Object.keys(login.data).sort()).toEqual(["_fresh", "_id", "csrf_token"]);
      expect(data("flask_permanent").data).toEqual({ _permanent: true, user_id: 7 });
    });
  });
});

describe("cookies tessera writes, loaded by the real Flask", () => {
  let flask: RealFlask;
  beforeAll(async () => {
    flask = startRealFlask();
    await flask.ready();
  });
  afterAll(() => flask.close());

  const keys = { secret, now: checkedAt };
  const codec = flaskCodec({ secretKey: secret, clock: () => checkedAt * 1000 });
  const meta = { createdAt: (signedAt - 3600) * 1000, lastSeenAt: signedAt * 1000 };
  const write = (data: Record<string, JsonValue>, extra: Partial<SessionRecord> = {}) => codec.encode({ data, flash: {}, meta, ...extra }, context);

  // verify_cookie.py imports Flask afresh: seconds on a busy machine.
  it("verify_cookie.py loads a cookie tessera wrote, with the user signed in", { timeout: 60_000 }, () => {
    const cookie = write({ username: "alice" }, { meta: { ...meta, userId: "alice" } });
    const run = verifyCookie(secret, cookie, { now: checkedAt });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toBe('{"_tessera":{"created":1699996400},"_user_id":"alice","username":"alice"}');
    expect(run.stdout).toBe(payloadJson(cookie));
  });

  const everyType: Record<string, JsonValue> = {
    tuple: flaskTuple([1, "two", flaskTuple([]), [3]]),
    bytes: flaskBytes(Buffer.from([0, 1, 2, 0xfe, 0xff])),
    noBytes: flaskBytes(new Uint8Array()),
    markup: flaskMarkup('<b>Hi</b> &amp; "you"'),
    uuid: flaskUuid("urn:uuid:12345678-1234-5678-1234-567812345678"),
    when: flaskDatetime(Date.UTC(2024, 1, 29, 12, 0, 0, 999)),
    ancient: flaskDatetime(new Date("0100-03-01T00:00:00Z")),
    last: flaskDatetime(new Date("9999-12-31T23:59:59Z")),
    big: flaskInt(2n ** 64n),
    negativeBig: flaskInt(-(2n ** 63n)),
    huge: flaskInt(`9${"0".repeat(4299)}`),
    one: flaskFloat(1),
    zero: flaskFloat(0),
    nan: flaskFloat(Number.NaN),
    inf: flaskFloat(Infinity),
    ninf: flaskFloat(-Infinity),
    floats: [0.1, -0, 1e16, 1e-7, 1e21, 5e-324, Number.MAX_VALUE, 2 ** 53, 123456.789],
    ints: [0, -1, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER],
    tagLike: { " t": [1, 2] },
    tagLikeDi: { " di": { " b__": "x" } },
    markerLike: { $dict: { $tuple: "not a tuple" } },
    notTagged: { " t": 1, " b": 2 },
    text: "ascii \"quotes\" \\ / <script>&amp; \u0000 \u001f \u007f é 日本語 🚀 \ud800 lone \u2028",
    "key é 🚀 \u007f": "keys too",
  };

  it("loads every tagged type, number form and escape exactly as tessera wrote it", async () => {
    const cookie = write(everyType, { flash: { notice: "Saved", errors: flaskFlashes(["one", flaskMarkup("<i>two</i>")]) } });
    const loaded = await flask.load(cookie, keys);
    expect(loaded.reason).toBeNull();
    expect(loaded.valid).toBe(true);
    expect(loaded.session_tagged_json).toBe(payloadJson(cookie));
    expect(loaded.session_tagged_json).toContain('"_flashes":[{" t":["notice","Saved"]},{" t":["errors","one"]},{" t":["errors",{" m":"<i>two</i>"}]}]');
    expect(loaded.session_tagged_json).toContain('"ancient":{" d":"Mon, 01 Mar 0100 00:00:00 GMT"}');
    // And back: the cookie decodes to what was written.
    expect(codec.decode(cookie, context).record.data).toEqual(everyType);
  });

  it("loads a session of a single tag-like or marker-like key", async () => {
    for (const data of [{ " t": [1] }, { " di": 1 }, { $tuple: "just a key" }] as Record<string, JsonValue>[]) {
      const cookie = write(data);
      expect(await flask.load(cookie, keys)).toMatchObject({ valid: true, session_tagged_json: payloadJson(cookie) });
      expect(codec.decode(cookie, context).record.data).toEqual(data);
    }
  });

  it("loads a big nested session compressed, just under the cookie limit", async () => {
    const rows = Array.from({ length: 60 }, (_, i) => ({ id: i, name: `user ${i} ${"é".repeat(i % 5)}`, tags: flaskTuple(["a", i % 2 === 0]), at: flaskDatetime(Date.UTC(2024, 0, 1 + i)) }));
    const cookie = write({ rows, nested: { a: { b: { c: { d: [[[["deep"]]]] } } } } });
    expect(cookie.startsWith(".")).toBe(true);
    expect(cookie.length).toBeLessThan(4000);
    expect(await flask.load(cookie, keys)).toMatchObject({ valid: true, session_tagged_json: payloadJson(cookie) });
  });

  it("writes uncompressed when zlib would not save two bytes, as itsdangerous does", async () => {
    const below = write({ k: "a".repeat(11) }, { meta: { createdAt: meta.lastSeenAt, lastSeenAt: meta.lastSeenAt } });
    const at = write({ k: "a".repeat(12) }, { meta: { createdAt: meta.lastSeenAt, lastSeenAt: meta.lastSeenAt } });
    expect(below).toBe(vectors.find((v) => v.id === "compression_threshold_below")!.cookie_value);
    expect(at.startsWith(".")).toBe(true);
    for (const cookie of [below, at]) expect((await flask.load(cookie, keys)).valid).toBe(true);
  });

  it("a Flask view shows the messages tessera flashed, and tessera reads the ones Flask flashed", async () => {
    const cookie = codec.encode({ data: {}, flash: { success: "Welcome back!", error: flaskFlashes(["Name is required", "Email is invalid"]) }, meta }, context);
    const shown = await flask.request(cookie, keys, { flash: '[["info","Profile saved"],["warning",{" m":"<b>Check</b>"}],["info","Twice"]]' });
    expect(shown.status).toBe(200);
    expect(shown.flashes).toBe('[{" t":["success","Welcome back!"]},{" t":["error","Name is required"]},{" t":["error","Email is invalid"]}]');
    const { record } = codec.decode(shown.cookie!, context);
    expect(record.flash).toEqual({ info: { $flashes: ["Profile saved", "Twice"] }, warning: { $markup: "<b>Check</b>" } });
    expect(record.data).toEqual({});
  });

  it("Flask rewriting the session keeps the user and the creation time, and a Flask logout ends both", async () => {
    const cookie = write({ cart: ["book"] }, { meta: { ...meta, userId: "u-7" } });
    const later = checkedAt + 600;
    const rewritten = await flask.request(cookie, { secret, now: later }, { set: '{"theme":"dark"}' });
    const reader = flaskCodec({ secretKey: secret, clock: () => later * 1000 });
    const { record } = reader.decode(rewritten.cookie!, context);
    expect(record).toEqual({ data: { cart: ["book"], theme: "dark" }, flash: {}, meta: { createdAt: meta.createdAt, lastSeenAt: later * 1000, userId: "u-7" } });

    const loggedOut = await flask.request(rewritten.cookie!, { secret, now: later }, { clear: true, set: '{"theme":"light"}' });
    expect(reader.decode(loggedOut.cookie!, context).record).toEqual({ data: { theme: "light" }, flash: {}, meta: { createdAt: later * 1000, lastSeenAt: later * 1000 } });
  });

  it("key rotation: Flask with SECRET_KEY_FALLBACKS loads tessera's cookies, and tessera reads Flask's old-key cookies", async () => {
    const rotating = flaskCodec({ secretKey: secret, fallbacks: [oldSecret], clock: () => checkedAt * 1000 });
    const cookie = rotating.encode({ data: { n: 1 }, flash: {}, meta }, context);
    expect((await flask.load(cookie, { secret, now: checkedAt })).valid).toBe(true);
    expect((await flask.load(cookie, { secret: oldSecret, now: checkedAt })).valid).toBe(false);
    const old = await flask.sign('{"n":2}', { secret: oldSecret, now: signedAt });
    expect(rotating.decode(old, context)).toMatchObject({ record: { data: { n: 2 } }, keyIndex: 1 });
    expect(reasonFor(codec, old, context)).toBe("bad_signature");
  });

  it("Flask's max age and future check agree with tessera's, to the second", async () => {
    const cookie = write({ n: 1 });
    for (const [now, reason] of [[signedAt, undefined], [signedAt - 1, "not_yet_valid"], [signedAt + 2678400, undefined], [signedAt + 2678401, "expired"]] as const) {
      expect((await flask.load(cookie, { secret, now })).valid, `Flask, age ${now - signedAt}`).toBe(reason === undefined);
      const reader = flaskCodec({ secretKey: secret, clock: () => now * 1000 });
      if (reason === undefined) expect(reader.decode(cookie, context).record.data).toEqual({ n: 1 });
      else expect(reasonFor(reader, cookie, context), `tessera, age ${now - signedAt}`).toBe(reason);
    }
  });

  it("signs a second in the past, so a Flask server whose clock is a little behind still takes a fresh cookie", async () => {
    const now = checkedAt * 1000 + 999;
    const fresh = flaskCodec({ secretKey: secret, clock: () => now }).encode({ data: { n: 1 }, flash: {}, meta: { createdAt: now, lastSeenAt: now } }, context);
    // Flask's clock reads checkedAt - 1, a second or so behind ours: the cookie is still not in its future.
    expect((await flask.load(fresh, { secret, now: checkedAt - 1 })).valid).toBe(true);
  });

  describe("never writes a session Flask would fail on or misread; encode throws ERR_INVALID_SESSION_DATA instead", () => {
    const refused: [string, unknown, string | undefined][] = [
      // [what, value, the JSON a writer that did not check would put in the cookie (Flask's answer is shown below)]
      ["an integer of more digits than Python's json reads", { $int: `1${"0".repeat(4300)}` }, `1${"0".repeat(4300)}`],
      ["a UUID that is not one", { $uuid: "not-a-uuid" }, '{" u":"not-a-uuid"}'],
      ["a tuple that is not a list", { $tuple: 5 }, '{" t":5}'],
      ["bytes that are not base64", { $bytes: "!!!" }, undefined],
      ["a datetime Flask reads back as another year", { $datetime: "0050-01-02T03:04:05Z" }, undefined],
      ["a datetime with milliseconds", { $datetime: "2024-01-02T03:04:05.123Z" }, undefined],
      ["a safe integer spelled as $int", { $int: "5" }, undefined],
      ["a fraction spelled as $float", { $float: "0.5" }, undefined],
      ["NaN as a plain number", Number.NaN, undefined],
      ["a Date", new Date(0), undefined],
      ["several flash messages outside a flash value", { $flashes: ["a", "b"] }, undefined],
      ["a $dict that needs no escape", { $dict: { a: 1 } }, undefined],
    ];

    it.each(refused)("refuses %s", async (_, value, naive) => {
      let error: unknown;
      try {
        codec.encode({ data: { key: value as JsonValue }, flash: {}, meta }, context);
      } catch (thrown) {
        error = thrown;
      }
      expect(error).toBeInstanceOf(TesseraError);
      expect((error as TesseraError).code).toBe("ERR_INVALID_SESSION_DATA");
      expect((error as TesseraError).message).toContain('session key "key"');
      if (naive !== undefined) {
        // Signed by a writer that did not check: Flask's request fails with HTTP 500 on every visit.
        const signer = createTimestampSigner([Buffer.from(secret)]);
        const cookie = signer.sign(Buffer.from(`{"key":${naive}}`).toString("base64url"), signedAt);
        expect((await flask.load(cookie, keys)).flask_http_status).toBe(500);
      }
    });

    it("refuses deeper nesting than session data may have", () => {
      let deep: JsonValue = 1;
      for (let i = 0; i < 64; i++) deep = [deep];
      expect(() => write({ deep })).toThrow(expect.objectContaining({ code: "ERR_INVALID_SESSION_DATA" }));
    });

    it("names a flash message, not a session key, when a flash value is refused", () => {
      expect(() => codec.encode({ data: {}, flash: { notice: { $uuid: "x" } }, meta }, context)).toThrow(/^a flash message holds a \$uuid/);
      expect(() => codec.encode({ data: {}, flash: { notice: { $flashes: ["only one"] } }, meta }, context)).toThrow(/\$flashes/);
    });

    it("refuses the keys tessera writes itself, and a user id set as data", () => {
      for (const data of [{ _flashes: [] }, { _tessera: { created: 1 } }, { _user_id: "42" }] as Record<string, JsonValue>[]) {
        expect(() => write(data), Object.keys(data)[0]).toThrow(expect.objectContaining({ code: "ERR_INVALID_SESSION_DATA" }));
      }
    });
  });
});

describe("createSessions with the Flask codec: one login for a Flask app and a TypeScript app", () => {
  let flask: RealFlask;
  beforeAll(async () => {
    flask = startRealFlask();
    await flask.ready();
  });
  afterAll(() => flask.close());

  const tesseraSecret = "0123456789abcdef0123456789abcdef-tessera";
  const setup = (options: { fallbacks?: string[]; cookie?: Parameters<typeof createSessions>[0]["cookie"] } = {}) => {
    const clock = manualClock(checkedAt * 1000);
    const events: SessionEvent[] = [];
    const sessions = createSessions<Record<string, unknown>>({
      secrets: [tesseraSecret],
      codec: flaskCodec({ secretKey: secret, fallbacks: options.fallbacks ?? [], maxAge: "31d", clock: clock.now }),
      cookie: options.cookie ?? { name: "session" },
      clock: clock.now,
      onEvent: (event) => events.push(event),
    });
    return { sessions, clock, events };
  };
  const flaskNow = (clock: { now: () => number }) => ({ secret, now: Math.floor(clock.now() / 1000) });

  it("reads Flask's login, data and flashes, and writes back a cookie Flask loads with tessera's changes", async () => {
    const { sessions, clock } = setup();
    const cookie = await flask.sign('{"_flashes":[{" t":["message","Hi alice"]}],"_user_id":"42","username":"alice"}', { secret, now: checkedAt - 30 });
    const session = await sessions.load(request(`session=${cookie}`));
    expect(session.isNew).toBe(false);
    expect(session.userId).toBe("42");
    expect(session.get("username")).toBe("alice");
    expect(session.readFlash("message")).toBe("Hi alice");
    session.set("cart", ["book"]);
    session.flash("notice", "Added to cart");
    const written = setCookieFor(await sessions.commit(session, new Response("ok")), "session")!;
    expect(written.httpOnly).toBe(true);
    expect(written.path).toBe("/");
    const loaded = await flask.load(written.value!, flaskNow(clock));
    expect(loaded.session_tagged_json).toBe('{"_flashes":[{" t":["notice","Added to cart"]}],"_user_id":"42","cart":["book"],"username":"alice"}');
  });

  it("a sign-in on the TypeScript side is Flask-Login's _user_id, and a destroy clears Flask's cookie", async () => {
    const { sessions, clock } = setup();
    const session = await sessions.load(request());
    await session.signIn("alice");
    session.set("username", "alice");
    const response = await sessions.commit(session, new Response("ok"));
    const value = setCookieFor(response, "session")!.value!;
    clock.advance(5_000);
    const shown = await flask.request(value, flaskNow(clock));
    expect(shown.session).toBe('{"_user_id":"alice","username":"alice"}');

    const again = await sessions.load(request(`session=${value}`));
    expect(again.userId).toBe("alice");
    await again.destroy();
    const cleared = setCookieFor(await sessions.commit(again, new Response("bye")), "session")!;
    expect(cleared.value).toBe("");
    expect(cleared.maxAge).toBe(0);
  });

  it("over HTTPS the cookie is __Host-session unless the prefix is turned off, so Flask's SESSION_COOKIE_NAME must match", async () => {
    const secure = setup();
    const session = await secure.sessions.load(request(undefined, { url: "https://app.test/" }));
    session.set("n", 1);
    const response = await secure.sessions.commit(session, new Response("ok"));
    expect(setCookieFor(response, "__Host-session")?.secure).toBe(true);

    const plain = setup({ cookie: { name: "session", prefix: "none" } });
    const other = await plain.sessions.load(request(undefined, { url: "https://app.test/" }));
    other.set("n", 1);
    const named = setCookieFor(await plain.sessions.commit(other, new Response("ok")), "session")!;
    expect(named.secure).toBe(true);
    expect((await flask.load(named.value!, flaskNow(plain.clock))).session_tagged_json).toBe('{"n":1}');
  });

  it("a cookie Flask signed with a fallback key is re-issued under SECRET_KEY, which Flask then loads without the fallback", async () => {
    const { sessions, clock, events } = setup({ fallbacks: [oldSecret] });
    const old = await flask.sign('{"username":"alice"}', { secret: oldSecret, now: checkedAt - 30 });
    const session = await sessions.load(request(`session=${old}`));
    expect(session.get("username")).toBe("alice");
    const reissued = setCookieFor(await sessions.commit(session, new Response("ok")), "session")!;
    expect(events).toContainEqual({ type: "cookie_reissued", reason: "key_rotation" });
    expect((await flask.load(reissued.value!, flaskNow(clock))).session_tagged_json).toBe('{"username":"alice"}');
  });

  it("the idle timeout counts from Flask's signing time, the absolute timeout from _tessera, and maxAge is Flask's", async () => {
    const { sessions, events } = setup();
    const dayAgo = await flask.sign('{"username":"alice"}', { secret, now: checkedAt - 86_400 });
    expect((await sessions.load(request(`session=${dayAgo}`))).isNew).toBe(true);
    const longAgo = await flask.sign(`{"_tessera":{"created":${checkedAt - 31 * 86_400}},"username":"alice"}`, { secret, now: checkedAt - 60 });
    expect((await sessions.load(request(`session=${longAgo}`))).isNew).toBe(true);
    const tooOld = await flask.sign('{"username":"alice"}', { secret, now: checkedAt - 2_678_401 });
    expect((await sessions.load(request(`session=${tooOld}`))).isNew).toBe(true);
    expect(events.filter((event) => event.type === "cookie_rejected")).toEqual([
      { type: "cookie_rejected", reason: "idle_timeout" },
      { type: "cookie_rejected", reason: "absolute_timeout" },
      { type: "cookie_rejected", reason: "expired" },
    ]);
  });
});

describe("the decode cache and Flask's max age", () => {
  it("refuses a cookie Flask's max age has passed, even though the same value opened a minute earlier", async () => {
    const clock = manualClock(Date.UTC(2026, 0, 1));
    const events: SessionEvent[] = [];
    const sessions = createSessions<Record<string, unknown>>({
      secrets: ["0123456789abcdef0123456789abcdef-tessera"],
      // Flask's lifetime shorter than tessera's idle timeout: only the codec knows the value is dead.
      codec: flaskCodec({ secretKey: secret, maxAge: 60, clock: clock.now }),
      cookie: { name: "session", prefix: "none", secure: false },
      idleTimeout: "1h",
      clock: clock.now,
      onEvent: (event) => events.push(event),
    });
    const first = await sessions.load(request());
    first.set("username", "alice");
    const cookie = setCookieFor(await sessions.commit(first, new Response("ok")), "session")!;
    clock.advance(30_000);
    // Opened, and now remembered by the decode cache.
    expect((await sessions.load(request(`session=${cookie.value}`))).get("username")).toBe("alice");
    clock.advance(32_000);
    const late = await sessions.load(request(`session=${cookie.value}`));
    expect(late.isNew).toBe(true);
    expect(events.filter((event) => event.type === "cookie_rejected")).toEqual([{ type: "cookie_rejected", reason: "expired" }]);
  });
});

describeCodec(
  "flask",
  // The suite's records are made at 2026-01-01T00:00:00Z + 1 min; its clock reads a minute later.
  (secrets) => flaskCodec({ secretKey: secrets[0]!, fallbacks: secrets.slice(1), clock: () => Date.UTC(2026, 0, 1) + 120_000 }),
  {
    // A Flask cookie names no key: a foreign key is a signature that does not verify.
    keyIds: false,
    // Flask binds a cookie to no name (SESSION_COOKIE_NAME is only where it is kept).
    bindsCookieName: false,
    // Flask's cookie keeps no user agent (only a store lists a user's sessions).
    roundTrip: ({ data, flash, meta: { userAgent: _userAgent, ...meta } }) => ({ data, flash, meta }),
  },
);
