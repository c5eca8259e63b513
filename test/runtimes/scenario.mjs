// The runtime conformance scenario: one run of tessera's root entry and memory store, the same on every runtime.
// Plain JavaScript over the built package, so Node, Bun, Deno and workerd run exactly what users install.

/** Values made on Node with node:crypto: every runtime must read them, and make the signed one byte for byte. */
const vectors = {
  secret: "tessera known-answer secret #0001",
  record: {
    data: { username: "alice", cart: ["book", "pen"] },
    flash: { notice: "Saved" },
    meta: { createdAt: 1767225600000, lastSeenAt: 1767227400000, userId: "u-42" },
  },
  signed:
    "eyJ2IjoxLCJjIjoxNzY3MjI1NjAwMDAwLCJzIjoxNzY3MjI3NDAwMDAwLCJkIjp7InVzZXJuYW1lIjoiYWxpY2UiLCJjYXJ0IjpbImJvb2siLCJwZW4iXX0sInUiOiJ1LTQyIiwiZiI6eyJub3RpY2UiOiJTYXZlZCJ9fQ" +
    ".ASVM_c3SzUBUiwqtvT3Dbki4pqXchD3DEt4JGfkpuOUL7ycpSg",
  sealed:
    "ASVM_c3dr-98a-ZdgnZkdFGQWCYE7DC1o46-KtF4LAJPpauE17fOGgVWMoi4e0pR2j9bYCdYJ0jnaw8cyK2LzVYZD93e3JFfAF3qp3BzbognSF0VIIKqetluqosiPHcVEs4nwXqEtz6EV8Cy1ES2LMC4b4aaDE0_03q3Dzg7PCcvD8FEGua-4uT-lCfv_VJncWmKrjN0_xv7EJaiUQ",
  // SHA-256("abc") (FIPS 180-2 B.1) in base64url.
  hashOfAbc: "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0",
};

/** The checks, in the order the table prints them. */
export const checks = ["sealed cookie", "signed cookie", "memory store", "key rotation", "tamper rejection", "timeouts", "wire format", "big sessions"];

const origin = "https://app.example";
const secretNew = "runtime-conformance-secret-new-0123456789";
const secretOld = "runtime-conformance-secret-old-9876543210";
const t0 = Date.UTC(2026, 0, 1);
const minute = 60_000;

function assert(condition, message) {
  if (!condition) throw new Error(message);
}

/** `name=value` of the response's session cookie, or undefined when it sets none. */
function cookieOf(response) {
  const header = response.headers.get("set-cookie");
  return header === null ? undefined : header.split(";", 1)[0];
}

const request = (cookie) => new Request(`${origin}/`, cookie === undefined ? undefined : { headers: { cookie } });

/** The cookie with one character of its value replaced: near its start, in its middle, and near its end (the MAC or tag). */
function tamperings(cookie) {
  const start = cookie.indexOf("=") + 1;
  const positions = [start + 8, start + Math.floor((cookie.length - start) / 2), cookie.length - 3];
  return positions.map((at) => cookie.slice(0, at) + (cookie[at] === "A" ? "B" : "A") + cookie.slice(at + 1));
}

/**
 * Runs every check against `tessera` (the root entry) and `memory` (tessera/stores/memory), and says which crypto
 * backend the runtime gave. Never throws: a failing check is reported with its error.
 */
export async function runScenario({ tessera, memory }) {
  const { createSessions, createKeyRing, createSealedCodec, createSignedCodec, hashToken } = tessera;
  const stores = [];
  const storeFor = () => {
    const store = memory.memoryStore();
    stores.push(store);
    return store;
  };
  const clockAt = (start) => {
    const clock = { now: start };
    return { clock, read: () => clock.now };
  };

  /** Starts a session holding user alice; the cookie it sets. */
  const signIn = async (sessions) => {
    const session = await sessions.load(request());
    session.set("user", "alice");
    session.set("cart", ["book", "pen"]);
    const cookie = cookieOf(await sessions.commit(session, new Response("ok")));
    assert(cookie !== undefined, "no Set-Cookie for a new session");
    return cookie;
  };
  const userOf = async (sessions, cookie) => (await sessions.load(request(cookie))).get("user");

  const modes = () => [
    ["sealed", { codec: "sealed" }],
    ["signed", { codec: "signed" }],
    ["store", { store: storeFor() }],
  ];

  const results = {};
  const run = async (name, fn) => {
    try {
      await fn();
      results[name] = { ok: true };
    } catch (error) {
      results[name] = { ok: false, detail: String(error?.stack ?? error).slice(0, 600) };
    }
  };

  await run("sealed cookie", async () => {
    const sessions = createSessions({ secrets: [secretNew], codec: "sealed" });
    const cookie = await signIn(sessions);
    assert(!cookie.includes("alice") && !atobSafe(cookie).includes("alice"), "the sealed cookie is readable");
    assert((await userOf(sessions, cookie)) === "alice", "the sealed session did not come back");
  });

  await run("signed cookie", async () => {
    const sessions = createSessions({ secrets: [secretNew], codec: "signed" });
    const cookie = await signIn(sessions);
    assert(atobSafe(cookie.slice(cookie.indexOf("=") + 1).split(".")[0]).includes("alice"), "the signed cookie is not readable JSON");
    const session = await sessions.load(request(cookie));
    assert(session.get("user") === "alice" && session.get("cart")[1] === "pen", "the signed session did not come back");
  });

  await run("memory store", async () => {
    const store = storeFor();
    const sessions = createSessions({ secrets: [secretNew], store });
    const cookie = await signIn(sessions);
    const token = cookie.slice(cookie.indexOf("=") + 1);
    assert(/^[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{22}$/.test(token), "the cookie is not a tagged token");
    const stored = await store.get(await hashToken(token));
    assert(stored !== undefined && stored.text.includes("alice"), "the store holds no record under the token's hash");
    const session = await sessions.load(request(cookie));
    session.set("user", "bob");
    await sessions.commit(session, new Response("ok"));
    assert((await userOf(sessions, cookie)) === "bob", "an update was not kept");
    const ending = await sessions.load(request(cookie));
    ending.destroy();
    await sessions.commit(ending, new Response("ok"));
    assert((await userOf(sessions, cookie)) === undefined, "a destroyed session came back");
  });

  await run("key rotation", async () => {
    for (const [mode, options] of modes()) {
      const before = createSessions({ secrets: [secretOld], ...options });
      const during = createSessions({ secrets: [secretNew, secretOld], ...options });
      const after = createSessions({ secrets: [secretNew], ...options });
      const oldCookie = await signIn(before);
      const session = await during.load(request(oldCookie));
      assert(session.get("user") === "alice", `${mode}: a cookie made under the old secret did not open during rotation`);
      const newCookie = cookieOf(await during.commit(session, new Response("ok")));
      assert(newCookie !== undefined && newCookie !== oldCookie, `${mode}: the cookie was not re-issued under the new secret`);
      assert((await userOf(after, newCookie)) === "alice", `${mode}: the re-issued cookie does not open under the new secret alone`);
      assert((await userOf(after, oldCookie)) === undefined, `${mode}: the old secret's cookie opened after the old secret was dropped`);
    }
  });

  await run("tamper rejection", async () => {
    for (const [mode, options] of modes()) {
      const events = [];
      const sessions = createSessions({ secrets: [secretNew], ...options, onEvent: (event) => events.push(event.type) });
      const cookie = await signIn(sessions);
      for (const forged of tamperings(cookie)) {
        events.length = 0;
        const session = await sessions.load(request(forged));
        assert(session.get("user") === undefined, `${mode}: a tampered cookie opened`);
        assert(events.includes("cookie_rejected"), `${mode}: no cookie_rejected event (got ${events.join(", ")})`);
      }
      assert((await userOf(sessions, cookie)) === "alice", `${mode}: the genuine cookie stopped opening`);
    }
  });

  await run("timeouts", async () => {
    for (const [mode, options] of modes()) {
      const { clock, read } = clockAt(t0);
      const sessions = createSessions({ secrets: [secretNew], ...options, idleTimeout: "30m", absoluteTimeout: "2h", clock: read });
      let cookie = await signIn(sessions);
      clock.now = t0 + 29 * minute;
      assert((await userOf(sessions, cookie)) === "alice", `${mode}: a session expired before its idle timeout`);
      clock.now = t0 + 31 * minute;
      assert((await userOf(sessions, cookie)) === undefined, `${mode}: a session outlived its idle timeout`);
      // Active every 20 minutes: the idle timeout never passes, the absolute one ends it at 2 hours.
      clock.now = t0;
      cookie = await signIn(sessions);
      for (let at = 20; at < 120; at += 20) {
        clock.now = t0 + at * minute;
        const session = await sessions.load(request(cookie));
        assert(session.get("user") === "alice", `${mode}: an active session ended at ${at} minutes`);
        session.set("seen", at);
        cookie = cookieOf(await sessions.commit(session, new Response("ok"))) ?? cookie;
      }
      clock.now = t0 + 121 * minute;
      assert((await userOf(sessions, cookie)) === undefined, `${mode}: a session outlived its absolute timeout`);
    }
  });

  await run("wire format", async () => {
    const ring = createKeyRing([vectors.secret]);
    const sid = { cookieName: "sid" };
    const signed = createSignedCodec(ring);
    assert((await signed.encode(vectors.record, sid)) === vectors.signed, "the signed codec does not make the known-answer value");
    const fromSigned = await signed.decode(vectors.signed, sid);
    const fromSealed = await createSealedCodec(ring).decode(vectors.sealed, sid);
    for (const [name, decoded] of [["signed", fromSigned], ["sealed", fromSealed]]) {
      assert(JSON.stringify(decoded.record.data) === JSON.stringify(vectors.record.data), `${name}: the known-answer value decodes to other data`);
      assert(decoded.record.meta.userId === "u-42" && decoded.record.meta.createdAt === vectors.record.meta.createdAt, `${name}: other metadata`);
    }
    assert((await hashToken("abc")) === vectors.hashOfAbc, "hashToken is not SHA-256 in base64url");
  });

  await run("big sessions", async () => {
    // A cart that compresses, and noise that does not: compressed (node:zlib or CompressionStream), then split over
    // __Host-sid.0, __Host-sid.1, ... and joined back.
    const cart = Array.from({ length: 300 }, (_, i) => `book-${i % 9}`);
    const noise = Array.from(crypto.getRandomValues(new Uint8Array(3000)), (byte) => byte.toString(16).padStart(2, "0")).join("");
    for (const codec of ["sealed", "signed"]) {
      const sessions = createSessions({ secrets: [secretNew], codec, compress: true, cookie: { chunks: true } });
      const session = await sessions.load(request());
      session.set("cart", cart);
      session.set("noise", noise);
      const pairs = (await sessions.commit(session, new Response("ok"))).headers.getSetCookie().map((header) => header.split(";", 1)[0]);
      const names = pairs.map((pair) => pair.slice(0, pair.indexOf("=")));
      assert(names.join() === "__Host-sid.0,__Host-sid.1", `${codec}: the session went out as ${names.join()}`);
      const back = await sessions.load(request(pairs.join("; ")));
      assert(back.get("noise") === noise && back.get("cart").length === 300, `${codec}: the chunked session did not come back`);
      const missing = await sessions.load(request(pairs[0]));
      assert(missing.get("noise") === undefined, `${codec}: a session missing a chunk opened`);
    }
  });

  for (const store of stores) await store.close?.();
  return { backend: createKeyRing([secretNew]).crypto.name, results };
}

/** base64url text as a latin1 string, or "" when it is not base64url. */
function atobSafe(text) {
  try {
    const value = text.slice(text.indexOf("=") + 1).replace(/-/g, "+").replace(/_/g, "/");
    return atob(value + "=".repeat((4 - (value.length % 4)) % 4));
  } catch {
    return "";
  }
}
