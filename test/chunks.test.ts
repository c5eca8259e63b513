// Big sessions in cookie mode: `cookie.chunks` (name.0, name.1, ... within cookie.maxBytes) and `compress`.

import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createSessions, TesseraError, type Codec, type SessionEvent, type Sessions } from "../src/index.js";
import { memoryStore } from "../src/stores/memory/index.js";
import { request, secret, setCookies } from "./helpers.js";

type Data = { username?: string; notes?: string; cart?: string[] };

/** A browser's cookies for one origin: Set-Cookie applied in order, a Max-Age=0 deleting. */
class Jar {
  readonly cookies = new Map<string, string>();

  take(response: Response): this {
    for (const cookie of setCookies(response)) {
      if (cookie.maxAge === 0) this.cookies.delete(cookie.name);
      else this.cookies.set(cookie.name, cookie.value ?? "");
    }
    return this;
  }

  get header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; ");
  }

  get names(): string[] {
    return [...this.cookies.keys()].sort();
  }
}

/** `length` characters that do not compress: random bytes as base64url. A session holding them seals to about 4/3 of that. */
const noise = (length: number): string => randomBytes(length).toString("base64url").slice(0, length);

async function errorOf(promise: Promise<unknown>): Promise<TesseraError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof TesseraError) return error;
    throw error;
  }
  throw new Error("expected a TesseraError");
}

/** Loads from the jar, lets `change` act, commits into the jar; the response. */
async function visit(sessions: Sessions<Data>, jar: Jar, change: (session: Awaited<ReturnType<Sessions<Data>["load"]>>) => unknown = () => undefined, url?: string) {
  const session = await sessions.load(request(jar.header || undefined, url === undefined ? {} : { url }));
  await change(session);
  const response = await sessions.commit(session, new Response("ok"));
  jar.take(response);
  return { session, response };
}

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

describe.each(["sealed", "signed"] as const)("cookie.chunks (%s)", (codec) => {
  it("keeps a session that fits in one cookie as it is without chunks: one cookie under its name", async () => {
    const sessions = createSessions<Data>({ secrets: [secret], codec, cookie: { chunks: true } });
    const jar = new Jar();
    const { response } = await visit(sessions, jar, (session) => session.set("username", "alice"));
    expect(setCookies(response).map((cookie) => cookie.name)).toEqual(["sid"]);
    expect((await visit(sessions, jar)).session.get("username")).toBe("alice");
  });

  it("splits a session over 4096 bytes into sid.0, sid.1, ... with the cookie's attributes, and joins them back", async () => {
    const sessions = createSessions<Data>({ secrets: [secret], codec, cookie: { chunks: true } });
    const jar = new Jar();
    const notes = noise(6500);
    const { response } = await visit(sessions, jar, (session) => session.set("notes", notes));
    const set = setCookies(response);
    expect(set.map((cookie) => cookie.name)).toEqual(["sid.0", "sid.1", "sid.2"]);
    for (const cookie of set) {
      expect(cookie.name.length + cookie.value!.length).toBeLessThanOrEqual(4096);
      expect(cookie).toMatchObject({ path: "/", httpOnly: true, sameSite: "lax" });
      expect(cookie.maxAge).toBeGreaterThan(0);
    }
    expect(response.headers.get("cache-control")).toBe("no-store");
    const next = await visit(sessions, jar);
    expect(next.session.get("notes")).toBe(notes);
    // Nothing changed and no renewal is due: no cookie goes out.
    expect(setCookies(next.response)).toEqual([]);
  });

  it("names the chunks after the Secure cookie's prefixed name over https", async () => {
    const sessions = createSessions<Data>({ secrets: [secret], codec, cookie: { chunks: true } });
    const jar = new Jar();
    const { response } = await visit(sessions, jar, (session) => session.set("notes", noise(4000)), "https://app.test/");
    const set = setCookies(response);
    expect(set.map((cookie) => cookie.name)).toEqual(["__Host-sid.0", "__Host-sid.1"]);
    expect(set.every((cookie) => cookie.secure === true && cookie.path === "/" && cookie.domain === undefined)).toBe(true);
    const session = await sessions.load(request(jar.header, { url: "https://app.test/" }));
    expect(session.get("notes")).toHaveLength(4000);
  });

  it("deletes the whole cookie when the session moves to chunks, the chunks past the count when it shrinks, and all chunks when it fits again", async () => {
    const sessions = createSessions<Data>({ secrets: [secret], codec, cookie: { chunks: true } });
    const jar = new Jar();
    await visit(sessions, jar, (session) => session.set("username", "alice"));
    expect(jar.names).toEqual(["sid"]);
    await visit(sessions, jar, (session) => session.set("notes", noise(7000)));
    expect(jar.names).toEqual(["sid.0", "sid.1", "sid.2"]);
    await visit(sessions, jar, (session) => session.set("notes", noise(4000)));
    expect(jar.names).toEqual(["sid.0", "sid.1"]);
    const { session } = await visit(sessions, jar, (session) => session.delete("notes"));
    expect(jar.names).toEqual(["sid"]);
    expect(session.get("username")).toBe("alice");
    expect((await visit(sessions, jar)).session.get("username")).toBe("alice");
  });

  it("deletes every chunk when a chunked session is destroyed", async () => {
    const sessions = createSessions<Data>({ secrets: [secret], codec, cookie: { chunks: true } });
    const jar = new Jar();
    await visit(sessions, jar, (session) => session.set("notes", noise(7000)));
    const { response } = await visit(sessions, jar, (session) => session.destroy());
    expect(setCookies(response).map((cookie) => [cookie.name, cookie.maxAge])).toEqual([
      ["sid.0", 0],
      ["sid.1", 0],
      ["sid.2", 0],
    ]);
    expect(jar.names).toEqual([]);
  });

  it("answers a missing chunk with a fresh session and the reason missing_chunk, never an error", async () => {
    const events: SessionEvent[] = [];
    const sessions = createSessions<Data>({ secrets: [secret], codec, cookie: { chunks: true }, onEvent: (event) => events.push(event) });
    const jar = new Jar();
    await visit(sessions, jar, (session) => session.set("notes", noise(7000)));
    jar.cookies.delete("sid.1");
    const session = await sessions.load(request(jar.header));
    expect(session.isNew).toBe(true);
    expect(events).toEqual([{ type: "cookie_rejected", reason: "missing_chunk" }]);
  });

  it("refuses a chunk from another session (the codec opens the joined value, so it fails like any tampering)", async () => {
    const events: SessionEvent[] = [];
    const sessions = createSessions<Data>({ secrets: [secret], codec, cookie: { chunks: true }, onEvent: (event) => events.push(event) });
    const alice = new Jar();
    const mallory = new Jar();
    await visit(sessions, alice, (session) => session.set("notes", noise(7000)));
    await visit(sessions, mallory, (session) => session.set("notes", noise(7000)));
    alice.cookies.set("sid.1", mallory.cookies.get("sid.1")!);
    expect((await sessions.load(request(alice.header))).isNew).toBe(true);
    expect(events).toEqual([{ type: "cookie_rejected", reason: "bad_signature" }]);
  });

  it("refuses chunk 0 without a count as malformed, and chunks past the count are ignored and then deleted", async () => {
    const events: SessionEvent[] = [];
    const sessions = createSessions<Data>({ secrets: [secret], codec, cookie: { chunks: true }, onEvent: (event) => events.push(event) });
    expect((await sessions.load(request("sid.0=abc; sid.1=def"))).isNew).toBe(true);
    expect(events).toEqual([{ type: "cookie_rejected", reason: "malformed" }]);
    const jar = new Jar();
    await visit(sessions, jar, (session) => session.set("notes", noise(4000)));
    jar.cookies.set("sid.5", "leftover");
    const { session, response } = await visit(sessions, jar);
    expect(session.get("notes")).toHaveLength(4000);
    expect(setCookies(response).map((cookie) => [cookie.name, cookie.maxAge])).toEqual([["sid.5", 0]]);
  });

  it("keeps the user signed in when an attacker plants sid.1 beside the real unchunked sid, and deletes the planted chunk", async () => {
    const sessions = createSessions<Data>({ secrets: [secret], codec, cookie: { chunks: true } });
    const jar = new Jar();
    await visit(sessions, jar, (session) => session.set("username", "alice"));
    const { session, response } = await visit(sessions, { header: `sid.1=planted; ${jar.header}`, take: () => undefined } as unknown as Jar);
    expect(session.get("username")).toBe("alice");
    expect(setCookies(response).map((cookie) => [cookie.name, cookie.maxAge])).toEqual([["sid.1", 0]]);
  });

  it("after two responses raced (one left chunks, the other the whole cookie), reads one session and deletes the other's cookies", async () => {
    const sessions = createSessions<Data>({ secrets: [secret], codec, cookie: { chunks: true } });
    const jar = new Jar();
    await visit(sessions, jar, (session) => session.set("username", "alice"));
    const before = jar.header;
    // Two requests carry the small session: one grows it to chunks, the other changes it and stays whole.
    const [grows, stays] = await Promise.all([sessions.load(request(before)), sessions.load(request(before))]);
    grows.set("notes", noise(7000));
    stays.set("username", "alice2");
    jar.take(await sessions.commit(grows, new Response()));
    jar.cookies.set("sid", new Jar().take(await sessions.commit(stays, new Response())).cookies.get("sid")!);
    expect(jar.names).toEqual(["sid", "sid.0", "sid.1", "sid.2"]);
    const { session } = await visit(sessions, jar);
    expect(session.get("username")).toBe("alice2");
    expect(jar.names).toEqual(["sid"]);
  });

  it("finds the real chunks when a planted chunk is sent first under the same name (another path or domain)", async () => {
    const sessions = createSessions<Data>({ secrets: [secret], codec, cookie: { chunks: true } });
    const jar = new Jar();
    await visit(sessions, jar, (session) => {
      session.set("username", "alice");
      session.set("notes", noise(4000));
    });
    const planted = `sid.1=${noise(100)}; sid.0=2.${noise(100)}; ${jar.header}`;
    expect((await sessions.load(request(planted))).get("username")).toBe("alice");
  });

  it("reads at most 4 values of each chunk name, so a header of chunk names costs little", async () => {
    const events: SessionEvent[] = [];
    const sessions = createSessions<Data>({ secrets: [secret], codec, cookie: { chunks: true }, onEvent: (event) => events.push(event) });
    const junk = Array.from({ length: 2000 }, (_, i) => `sid.${i % 20}=${i}`).join("; ");
    expect((await sessions.load(request(junk))).isNew).toBe(true);
    expect(events).toEqual([
      { type: "cookie_rejected", reason: "malformed" },
      { type: "cookie_rejected", reason: "malformed" },
      { type: "cookie_rejected", reason: "malformed" },
      { type: "cookie_rejected", reason: "malformed" },
    ]);
  });
});

describe("cookie.maxBytes", () => {
  it("throws ERR_COOKIE_TOO_LARGE past the budget, with the sizes and never the value", async () => {
    const sessions = createSessions<Data>({ secrets: [secret], cookie: { chunks: true, maxBytes: 8192 } });
    const session = await sessions.load(request());
    const notes = noise(7000);
    session.set("notes", notes);
    const error = await errorOf(sessions.commit(session, new Response()));
    expect(error.code).toBe("ERR_COOKIE_TOO_LARGE");
    expect(error.message).toMatch(/would be \d+ bytes over its chunks, over cookie\.maxBytes \(8192\)/);
    expect(error.message).not.toContain(notes.slice(0, 20));
  });

  it("throws ERR_COOKIE_TOO_LARGE for a value past the largest budget: 16 full cookies", async () => {
    const long: Codec = { name: "long", encode: () => "x".repeat(65_450), decode: () => ({ record: { data: {}, flash: {}, meta: { createdAt: 0, lastSeenAt: 0 } }, keyIndex: 0 }) };
    const sessions = createSessions<Data>({ secrets: [secret], codec: long, cookie: { chunks: true, maxBytes: 65536 } });
    const session = await sessions.load(request());
    session.set("username", "alice");
    expect((await errorOf(sessions.commit(session, new Response()))).code).toBe("ERR_COOKIE_TOO_LARGE");
  });

  it("allows the default 12288 bytes: three full cookies", async () => {
    const sessions = createSessions<Data>({ secrets: [secret], cookie: { chunks: true } });
    vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const fits = await sessions.load(request());
    fits.set("notes", noise(8700));
    expect(setCookies(await sessions.commit(fits, new Response()))).toHaveLength(3);
    const over = await sessions.load(request());
    over.set("notes", noise(9300));
    expect((await errorOf(sessions.commit(over, new Response()))).code).toBe("ERR_COOKIE_TOO_LARGE");
  });

  it("warns once, in development, when a session passes 80 % of the budget, naming no value", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    vi.stubEnv("NODE_ENV", "development");
    const sessions = createSessions<Data>({ secrets: [secret], cookie: { chunks: true, maxBytes: 8192 } });
    const small = await sessions.load(request());
    small.set("notes", noise(4000));
    await sessions.commit(small, new Response());
    expect(warn).not.toHaveBeenCalled();
    for (let i = 0; i < 3; i++) {
      const big = await sessions.load(request());
      big.set("notes", noise(5200));
      await sessions.commit(big, new Response());
    }
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]![0]).toMatch(/session cookie "sid" took \d+ of its 8192 bytes \(cookie\.maxBytes\)/);
  });

  it("starts, and splits, where reading the environment throws (Deno without --allow-env), warning about nothing", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    // Node's own fetch classes read the environment when first used: they are made ready before it is taken away.
    await new Response(request().body).arrayBuffer();
    const original = process.env;
    process.env = new Proxy({} as NodeJS.ProcessEnv, {
      get() {
        throw new Error('NotCapable: Requires env access to "NODE_ENV"');
      },
    });
    try {
      const sessions = createSessions<Data>({ secrets: [secret], cookie: { chunks: true, maxBytes: 8192 } });
      const big = await sessions.load(request());
      big.set("notes", noise(5200));
      expect(setCookies(await sessions.commit(big, new Response()))).toHaveLength(2);
    } finally {
      process.env = original;
    }
    expect(warn).not.toHaveBeenCalled();
  });

  it("does not warn in production", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    vi.stubEnv("NODE_ENV", "production");
    const sessions = createSessions<Data>({ secrets: [secret], cookie: { chunks: true, maxBytes: 8192 } });
    const big = await sessions.load(request());
    big.set("notes", noise(5000));
    expect(setCookies(await sessions.commit(big, new Response()))).toHaveLength(2);
    expect(warn).not.toHaveBeenCalled();
  });
});

describe("compress", () => {
  const cart = Array.from({ length: 400 }, (_, i) => `book-${i % 12}`);

  it("fits a session that compresses into one cookie where it would otherwise be refused", async () => {
    const plain = createSessions<Data>({ secrets: [secret] });
    const refused = await plain.load(request());
    refused.set("cart", cart);
    expect((await errorOf(plain.commit(refused, new Response()))).code).toBe("ERR_COOKIE_TOO_LARGE");

    const sessions = createSessions<Data>({ secrets: [secret], compress: true });
    const jar = new Jar();
    const { response } = await visit(sessions, jar, (session) => session.set("cart", cart));
    expect(setCookies(response).map((cookie) => cookie.name)).toEqual(["sid"]);
    expect(jar.header.length).toBeLessThan(1000);
    expect((await visit(sessions, jar)).session.get("cart")).toEqual(cart);
    // Turned off again, the app still reads what it compressed.
    expect((await plain.load(request(jar.header))).get("cart")).toEqual(cart);
  });

  it("works with chunks: compressed first, split only if still too long", async () => {
    const sessions = createSessions<Data>({ secrets: [secret], compress: true, cookie: { chunks: true } });
    const jar = new Jar();
    const notes = noise(5000);
    await visit(sessions, jar, (session) => {
      session.set("cart", cart);
      session.set("notes", notes);
    });
    expect(jar.names).toEqual(["sid.0", "sid.1"]);
    const { session } = await visit(sessions, jar);
    expect(session.get("cart")).toEqual(cart);
    expect(session.get("notes")).toBe(notes);
  });

  it("never inflates a cookie past maxRecordBytes: one that would is refused as bad_payload", async () => {
    const events: SessionEvent[] = [];
    const generous = createSessions<Data>({ secrets: [secret], compress: true, maxRecordBytes: 1 << 20 });
    const jar = new Jar();
    await visit(generous, jar, (session) => session.set("notes", "a".repeat(200_000)));
    expect(jar.header.length).toBeLessThan(4096);
    const strict = createSessions<Data>({ secrets: [secret], compress: true, onEvent: (event) => events.push(event) });
    expect((await strict.load(request(jar.header))).isNew).toBe(true);
    expect(events).toEqual([{ type: "cookie_rejected", reason: "bad_payload" }]);
  });
});

describe("options", () => {
  const refusal = (fn: () => unknown): string => {
    try {
      fn();
    } catch (error) {
      if (error instanceof TesseraError && error.code === "ERR_INVALID_OPTION") return error.message;
      throw error;
    }
    throw new Error("expected ERR_INVALID_OPTION");
  };
  const custom: Codec = { name: "custom", encode: () => "x", decode: () => ({ record: { data: {}, flash: {}, meta: { createdAt: 0, lastSeenAt: 0 } }, keyIndex: 0 }) };

  it("are checked at start-up, naming the option", () => {
    expect(refusal(() => createSessions({ secrets: [secret], store: memoryStore(), cookie: { chunks: true } }))).toMatch(/`cookie\.chunks` is for cookie mode/);
    expect(refusal(() => createSessions({ secrets: [secret], store: memoryStore(), compress: true }))).toMatch(/`compress` is for cookie mode/);
    expect(refusal(() => createSessions({ secrets: [secret], codec: custom, compress: true }))).toMatch(/`compress` works with the "sealed" and "signed" codecs/);
    expect(refusal(() => createSessions({ secrets: [secret], compress: "yes" as never }))).toMatch(/`compress`/);
    expect(refusal(() => createSessions({ secrets: [secret], cookie: { chunks: 1 as never } }))).toMatch(/`cookie\.chunks`/);
    expect(refusal(() => createSessions({ secrets: [secret], cookie: { maxBytes: 8192 } }))).toMatch(/`cookie\.maxBytes` needs `cookie\.chunks: true`/);
    for (const maxBytes of [4095, 65537, 5000.5, Number.NaN]) {
      expect(refusal(() => createSessions({ secrets: [secret], cookie: { chunks: true, maxBytes } }))).toMatch(/`cookie\.maxBytes` must be a whole number of bytes from 4096 to 65536/);
    }
  });

  it("allow chunks with a codec of the app's own: tessera splits and joins whatever value it gives", async () => {
    const sessions = createSessions<Data>({ secrets: [secret], codec: custom, cookie: { chunks: true } });
    expect(sessions.mode).toBe("cookie");
  });
});
