// createSessions end to end on the Fetch API, in cookie mode (sealed and signed) and store mode.

import { describe, expect, it } from "vitest";
import { createSessions, TesseraError, type SessionEvent, type SessionsOptions, type Store } from "../src/index.js";
import { memoryStore } from "../src/stores/memory/index.js";
import { cookieHeader, manualClock, nextCookie, oldSecret, request, secret, setCookieFor } from "./helpers.js";

type Data = { username?: string; visits?: number; big?: string; profile?: unknown };

const hour = 3_600_000;

const modes: [string, () => Store | undefined][] = [
  ["cookie mode", () => undefined],
  ["store mode", () => memoryStore()],
];

function errorOf(fn: () => unknown): TesseraError {
  try {
    fn();
  } catch (error) {
    if (error instanceof TesseraError) return error;
    throw error;
  }
  throw new Error("expected a TesseraError");
}

describe("secrets", () => {
  it("refuses to start without secrets, naming the option", () => {
    const error = errorOf(() => createSessions({} as SessionsOptions));
    expect(error.code).toBe("ERR_SECRET_MISSING");
    expect(error.message).toContain("secrets");
    expect(errorOf(() => createSessions({ secrets: [] })).code).toBe("ERR_SECRET_MISSING");
  });

  it("refuses any secret shorter than 32 bytes, naming which, without echoing it", () => {
    const short = "too-short-secret";
    const error = errorOf(() => createSessions({ secrets: [secret, short] }));
    expect(error.code).toBe("ERR_SECRET_TOO_SHORT");
    expect(error.message).toContain("secrets[1]");
    expect(error.message).toContain(`got ${short.length}`);
    expect(error.message).not.toContain(short);
  });

  it("re-issues a cookie verified by an older secret under the first one", async () => {
    for (const codec of ["sealed", "signed"] as const) {
      const before = createSessions<Data>({ secrets: [oldSecret], codec });
      const first = await before.load(request());
      first.set("username", "alice");
      const issued = cookieHeader(await before.commit(first, new Response("ok")));

      const events: SessionEvent[] = [];
      const after = createSessions<Data>({ secrets: [secret, oldSecret], codec, onEvent: (e) => events.push(e) });
      const session = await after.load(request(issued));
      expect(session.get("username")).toBe("alice");
      const reissued = cookieHeader(await after.commit(session, new Response("ok")));
      expect(reissued).not.toBe(issued);
      expect(events).toContainEqual({ type: "cookie_reissued", reason: "key_rotation" });

      // The re-issued cookie verifies under the new secret alone: the old one can be retired.
      const retired = createSessions<Data>({ secrets: [secret], codec });
      expect((await retired.load(request(reissued))).get("username")).toBe("alice");
      // And the old secret alone cannot read it.
      const oldOnly = createSessions<Data>({ secrets: [oldSecret], codec });
      expect((await oldOnly.load(request(reissued))).isNew).toBe(true);
    }
  });
});

describe.each(["sealed", "signed"] as const)("cookie mode (%s)", (codec) => {
  it("keeps data across requests in the cookie alone", async () => {
    const sessions = createSessions<Data>({ secrets: [secret], codec });
    const first = await sessions.load(request());
    expect(first.isNew).toBe(true);
    first.set("username", "alice");
    const cookie = cookieHeader(await sessions.commit(first, new Response("ok")));
    const second = await sessions.load(request(cookie));
    expect(second.isNew).toBe(false);
    expect(second.get("username")).toBe("alice");
  });

  it("refuses a valid value sent under another cookie name", async () => {
    const events: SessionEvent[] = [];
    const issuer = createSessions<Data>({ secrets: [secret], codec, cookie: { name: "a" } });
    const session = await issuer.load(request());
    session.set("username", "alice");
    const value = setCookieFor(await issuer.commit(session, new Response()), "a")!.value;
    const other = createSessions<Data>({ secrets: [secret], codec, cookie: { name: "b" }, onEvent: (e) => events.push(e) });
    const moved = await other.load(request(`b=${value}`));
    expect(moved.isNew).toBe(true);
    expect(moved.get("username")).toBeUndefined();
    expect(events).toEqual([{ type: "cookie_rejected", reason: "bad_signature" }]);
  });

  it("throws ERR_COOKIE_TOO_LARGE with the size and a hint instead of emitting a cookie over 4096 bytes", async () => {
    const sessions = createSessions<Data>({ secrets: [secret], codec });
    const session = await sessions.load(request());
    session.set("big", "x".repeat(5000));
    const error = await sessions.commit(session, new Response()).then(
      () => undefined,
      (e: unknown) => e as TesseraError,
    );
    expect(error?.code).toBe("ERR_COOKIE_TOO_LARGE");
    expect(error?.message).toMatch(/would be \d{4,} bytes/);
    expect(error?.message).toContain("store");
    expect(error?.message).not.toContain("xxxx");
  });

  it("clears the cookie when the session ends empty", async () => {
    const sessions = createSessions<Data>({ secrets: [secret], codec });
    const first = await sessions.load(request());
    first.set("username", "alice");
    const cookie = cookieHeader(await sessions.commit(first, new Response()));
    const second = await sessions.load(request(cookie));
    second.clear();
    const cleared = setCookieFor(await sessions.commit(second, new Response()));
    expect(cleared?.value).toBe("");
    expect(cleared?.maxAge).toBe(0);
  });

  it("answers a tampered, truncated, foreign or garbage cookie with a fresh session and an event", async () => {
    const events: SessionEvent[] = [];
    const sessions = createSessions<Data>({ secrets: [secret], codec, onEvent: (e) => events.push(e) });
    const first = await sessions.load(request());
    first.set("username", "alice");
    const value = setCookieFor(await sessions.commit(first, new Response()))!.value!;
    const flipped = value.slice(0, 10) + (value[10] === "A" ? "B" : "A") + value.slice(11);
    const foreign = createSessions<Data>({ secrets: [oldSecret], codec });
    const other = await foreign.load(request());
    other.set("username", "mallory");
    const foreignValue = setCookieFor(await foreign.commit(other, new Response()))!.value!;
    const headers = [
      `sid=${flipped}`,
      `sid=${value.slice(0, value.length - 5)}`,
      `sid=${foreignValue}`,
      "sid=%%%; ===; ;;",
      "sid=",
      `sid="${"a".repeat(100)}`,
      "sid=e30.e30",
      "\u00ff\u0001=\u00fe",
      ";".repeat(65_536),
      `${"a=b;".repeat(16_384)}sid=${"x".repeat(1000)}`,
    ];
    for (const header of headers) {
      const session = await sessions.load(request(header));
      expect(session.isNew).toBe(true);
      expect(session.get("username")).toBeUndefined();
    }
    const reasons = events.filter((e) => e.type === "cookie_rejected").map((e) => (e as { reason: string }).reason);
    expect(reasons).toContain("unknown_key");
    expect(reasons).toContain("malformed");
    expect(reasons.length).toBeGreaterThanOrEqual(6);
    for (const event of events) expect(JSON.stringify(event)).not.toContain(value.slice(0, 20));
  });

  it("tries duplicate cookie names in order and takes the first valid one", async () => {
    const sessions = createSessions<Data>({ secrets: [secret], codec });
    const make = async (name: string): Promise<string> => {
      const session = await sessions.load(request());
      session.set("username", name);
      return setCookieFor(await sessions.commit(session, new Response()))!.value!;
    };
    const alice = await make("alice");
    const bob = await make("bob");
    expect((await sessions.load(request(`sid=garbage; sid=${alice}; sid=${bob}`))).get("username")).toBe("alice");
    expect((await sessions.load(request(`sid=${bob}; other=1; sid=${alice}`))).get("username")).toBe("bob");
  });
});

describe.each(modes)("timeouts in %s", (_mode, makeStore) => {
  const setup = (options: Partial<SessionsOptions> = {}) => {
    const clock = manualClock();
    const events: SessionEvent[] = [];
    const store = makeStore();
    const sessions = createSessions<Data>({
      secrets: [secret],
      store,
      idleTimeout: "30m",
      absoluteTimeout: "2h",
      clock: clock.now,
      onEvent: (e) => events.push(e),
      ...options,
    });
    return { clock, events, sessions };
  };

  it("ends a session left idle past idleTimeout, whatever the cookie says", async () => {
    const { clock, events, sessions } = setup();
    const first = await sessions.load(request());
    first.set("username", "alice");
    const cookie = cookieHeader(await sessions.commit(first, new Response()));
    clock.advance(29 * 60_000);
    expect((await sessions.load(request(cookie))).get("username")).toBe("alice");
    clock.advance(2 * 60_000);
    // The same cookie, 31 minutes after it was last renewed (the read above was within touchAfter, so no renewal).
    const late = await sessions.load(request(cookie));
    expect(late.isNew).toBe(true);
    expect(events).toContainEqual({ type: "cookie_rejected", reason: "idle_timeout" });
  });

  it("slides the idle deadline on use but never past the absolute timeout", async () => {
    const { clock, events, sessions } = setup();
    const first = await sessions.load(request());
    first.set("username", "alice");
    let response = await sessions.commit(first, new Response());
    let cookie = cookieHeader(response);
    const createdAt = clock.now();
    // A request every 20 minutes keeps the session alive for 2 hours and no longer.
    for (let minute = 20; minute < 120; minute += 20) {
      clock.advance(20 * 60_000);
      const session = await sessions.load(request(cookie));
      expect(session.get("username")).toBe("alice");
      response = await sessions.commit(session, new Response());
      const renewed = setCookieFor(response);
      expect(renewed).toBeDefined();
      cookie = `sid=${renewed!.value}`;
      // The cookie's own lifetime never reaches past the absolute deadline either.
      expect(clock.now() + renewed!.maxAge! * 1000).toBeLessThanOrEqual(createdAt + 2 * hour);
    }
    clock.advance(20 * 60_000);
    expect((await sessions.load(request(cookie))).isNew).toBe(true);
    expect(events).toContainEqual({ type: "cookie_rejected", reason: "absolute_timeout" });
  });

  it("renews at most once per touchAfter, not on every request", async () => {
    const { clock, sessions } = setup({ touchAfter: "5m" });
    const first = await sessions.load(request());
    first.set("username", "alice");
    let cookie = cookieHeader(await sessions.commit(first, new Response()));
    let renewals = 0;
    for (let i = 0; i < 30; i++) {
      clock.advance(60_000);
      const session = await sessions.load(request(cookie));
      expect(session.get("username")).toBe("alice");
      const response = await sessions.commit(session, new Response());
      if (setCookieFor(response)) renewals++;
      cookie = nextCookie(response, cookie)!;
    }
    // 30 minutes of one request a minute with touchAfter 5 minutes: renewed at minutes 5, 10, ... 30.
    expect(renewals).toBe(6);
  });
});

describe("cookie attributes", () => {
  const issue = async (options: Partial<SessionsOptions>, url?: string, headers?: Record<string, string>) => {
    const sessions = createSessions<Data>({ secrets: [secret], ...options });
    const session = await sessions.load(request(undefined, { url, headers }));
    session.set("username", "alice");
    return (await sessions.commit(session, new Response())).headers.getSetCookie()[0]!;
  };

  it("defaults to HttpOnly, SameSite=Lax and Path=/, without Secure over plain HTTP", async () => {
    const header = await issue({});
    expect(header).toMatch(/^sid=[A-Za-z0-9_-]+;/);
    expect(header).toContain("HttpOnly");
    expect(header).toContain("SameSite=Lax");
    expect(header).toContain("Path=/");
    expect(header).not.toContain("Secure");
  });

  it("adds Secure for HTTPS requests, and believes X-Forwarded-Proto only with trustProxy", async () => {
    expect(await issue({}, "https://app.test/")).toContain("Secure");
    expect(await issue({}, undefined, { "x-forwarded-proto": "https" })).not.toContain("Secure");
    expect(await issue({ trustProxy: true }, undefined, { "x-forwarded-proto": "https" })).toContain("Secure");
    expect(await issue({ trustProxy: true }, "https://app.test/", { "x-forwarded-proto": "http" })).not.toContain("Secure");
  });

  it('gives prefix "host" a __Host- name with Secure and Path=/ and refuses options that break it', async () => {
    const header = await issue({ cookie: { prefix: "host" } });
    expect(header).toMatch(/^__Host-sid=/);
    expect(header).toContain("Secure");
    expect(header).toContain("Path=/");
    expect(header).not.toContain("Domain");
    for (const cookie of [{ prefix: "host", path: "/app" }, { prefix: "host", domain: "app.test" }, { prefix: "host", secure: false }] as const) {
      const error = errorOf(() => createSessions({ secrets: [secret], cookie }));
      expect(error.code).toBe("ERR_INVALID_OPTION");
      expect(error.message).toMatch(/`cookie\.(path|domain|secure)`/);
    }
  });

  it("refuses SameSite=None and Partitioned without Secure", () => {
    expect(errorOf(() => createSessions({ secrets: [secret], cookie: { sameSite: "none" } })).code).toBe("ERR_INVALID_OPTION");
    expect(errorOf(() => createSessions({ secrets: [secret], cookie: { partitioned: true } })).code).toBe("ERR_INVALID_OPTION");
    expect(() => createSessions({ secrets: [secret], cookie: { sameSite: "none", partitioned: true, secure: true } })).not.toThrow();
  });

  it.each([["cookie mode"], ["store mode"]])("sends a deletion cookie with the same Path and Domain on destroy (%s)", async (mode) => {
    const sessions = createSessions<Data>({
      secrets: [secret],
      store: mode === "store mode" ? memoryStore() : undefined,
      cookie: { path: "/app", domain: "app.test" },
    });
    const first = await sessions.load(request());
    first.set("username", "alice");
    const cookie = cookieHeader(await sessions.commit(first, new Response()));
    const second = await sessions.load(request(cookie));
    await second.destroy();
    const response = await sessions.commit(second, new Response());
    const deletion = setCookieFor(response)!;
    expect(deletion.value).toBe("");
    expect(deletion.maxAge).toBe(0);
    expect(deletion.path).toBe("/app");
    expect(deletion.domain).toBe("app.test");
    expect(response.headers.get("cache-control")).toBe("no-store");
  });
});

describe.each(modes)("caching headers in %s", (_mode, makeStore) => {
  it("adds Vary: Cookie to every response whose session was read, and no-store only where a cookie is set", async () => {
    const sessions = createSessions<Data>({ secrets: [secret], store: makeStore() });
    const untouched = await sessions.commit(await sessions.load(request()), new Response("hi", { headers: { vary: "Accept-Encoding" } }));
    expect(untouched.headers.get("vary")).toBe("Accept-Encoding, Cookie");
    expect(untouched.headers.get("cache-control")).toBeNull();
    expect(untouched.headers.getSetCookie()).toEqual([]);

    const session = await sessions.load(request());
    session.set("username", "alice");
    const setting = await sessions.commit(session, new Response("hi", { headers: { "cache-control": "public, max-age=600" } }));
    expect(setting.headers.get("vary")).toBe("Cookie");
    expect(setting.headers.get("cache-control")).toBe("no-store");
    expect(setting.headers.getSetCookie()).toHaveLength(1);
  });

  it("commits onto a redirect, whose headers are immutable", async () => {
    const sessions = createSessions<Data>({ secrets: [secret], store: makeStore() });
    const session = await sessions.load(request());
    session.set("username", "alice");
    const response = await sessions.commit(session, Response.redirect("http://app.test/", 303));
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("http://app.test/");
    expect(setCookieFor(response)?.value).toBeTruthy();
  });
});

describe.each(modes)("the session model in %s", (_mode, makeStore) => {
  it("shows a flash message once, on a later request", async () => {
    const sessions = createSessions<Data>({ secrets: [secret], store: makeStore() });
    const first = await sessions.load(request());
    first.flash("notice", "Saved");
    expect(first.readFlash("notice")).toBeUndefined();
    const cookie = cookieHeader(await sessions.commit(first, new Response()));
    const second = await sessions.load(request(cookie));
    expect(second.readFlash("notice")).toBe("Saved");
    expect(second.readFlash("notice")).toBeUndefined();
    const response = await sessions.commit(second, new Response());
    const third = await sessions.load(request(nextCookie(response, cookie)));
    expect(third.readFlash("notice")).toBeUndefined();
  });

  it("keeps a flash message left in the same request that read the previous one", async () => {
    const sessions = createSessions<Data>({ secrets: [secret], store: makeStore() });
    const first = await sessions.load(request());
    first.flash("notice", "old");
    const cookie = cookieHeader(await sessions.commit(first, new Response()));
    const second = await sessions.load(request(cookie));
    second.flash("notice", "new");
    expect(second.readFlash("notice")).toBe("old");
    const third = await sessions.load(request(nextCookie(await sessions.commit(second, new Response()), cookie)));
    expect(third.readFlash("notice")).toBe("new");
  });

  it("refuses __proto__, constructor and values that are not JSON", async () => {
    const sessions = createSessions<Record<string, unknown>>({ secrets: [secret], store: makeStore() });
    const session = await sessions.load(request());
    expect(() => session.set("__proto__", { admin: true })).toThrow(TesseraError);
    expect(() => session.set("constructor", 1)).toThrow(TesseraError);
    expect(() => session.set("profile", JSON.parse('{"__proto__": {"admin": true}}'))).toThrow(TesseraError);
    expect(() => session.set("when", new Date())).toThrow(TesseraError);
    expect(() => session.set("fn", () => 1)).toThrow(TesseraError);
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
    expect(session.has("when")).toBe(false);
  });

  it("gives values that cannot be changed behind the session's back", async () => {
    const sessions = createSessions<{ cart?: string[] }>({ secrets: [secret], store: makeStore() });
    const session = await sessions.load(request());
    session.set("cart", ["a"]);
    // The type refuses the push too (DeepReadonly); at run time the value is frozen.
    // @ts-expect-error values read are typed read-only all the way down
    expect(() => session.get("cart")!.push("b")).toThrow(TypeError);
    session.update("cart", (cart) => [...(cart ?? []), "b"]);
    expect(session.get("cart")).toEqual(["a", "b"]);
  });

  it("remembers a browser-session cookie per session (remember me unchecked) across later requests", async () => {
    const clock = manualClock();
    const sessions = createSessions<Data>({ secrets: [secret], store: makeStore(), clock: clock.now, touchAfter: "1m" });
    const first = await sessions.load(request());
    expect(first.persistent).toBe(true); // the cookie.persistent option, until the session chooses
    await first.signIn("u-1");
    first.persistent = false;
    const issued = await sessions.commit(first, new Response());
    expect(setCookieFor(issued)!.maxAge).toBeUndefined();
    expect(setCookieFor(issued)!.expires).toBeUndefined();

    // A later renewal keeps the choice: the cookie still ends with the browser.
    clock.advance(2 * 60_000);
    const later = await sessions.load(request(cookieHeader(issued)));
    expect(later.persistent).toBe(false);
    later.set("visits", 1);
    const renewed = await sessions.commit(later, new Response());
    expect(setCookieFor(renewed)).toBeDefined();
    expect(setCookieFor(renewed)!.maxAge).toBeUndefined();

    // Remember me again: with no other change and no renewal due, the cookie is re-issued with a Max-Age.
    const again = await sessions.load(request(nextCookie(renewed, cookieHeader(issued))));
    again.persistent = true;
    const remembered = await sessions.commit(again, new Response());
    expect(setCookieFor(remembered)!.maxAge).toBe(24 * 3600);
  });

  it("gives a saved session the id userSessions lists, never its token", async () => {
    const sessions = createSessions<Data>({ secrets: [secret], store: makeStore() });
    const first = await sessions.load(request());
    expect(sessions.sessionId(first)).toBeUndefined();
    first.set("username", "alice");
    const cookie = cookieHeader(await sessions.commit(first, new Response()));
    const session = await sessions.load(request(cookie));
    const id = sessions.sessionId(session)!;
    expect(id).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    expect(cookie).not.toContain(id);
    expect(sessions.sessionId(await sessions.load(request(cookie)))).toBe(id);
  });

  it("signIn binds the user, restarts the absolute timeout and issues a new cookie", async () => {
    const clock = manualClock();
    const sessions = createSessions<Data>({ secrets: [secret], store: makeStore(), clock: clock.now });
    const first = await sessions.load(request());
    first.set("visits", 1);
    const before = cookieHeader(await sessions.commit(first, new Response()));
    clock.advance(60_000);
    const second = await sessions.load(request(before));
    await second.signIn("alice");
    second.set("username", "alice");
    const after = cookieHeader(await sessions.commit(second, new Response()));
    expect(after).not.toBe(before);
    const third = await sessions.load(request(after));
    expect(third.userId).toBe("alice");
    expect(third.get("visits")).toBe(1);
    expect(third.createdAt).toBe(clock.now());
  });

  it("refuses changes after commit with a typed error", async () => {
    const sessions = createSessions<Data>({ secrets: [secret], store: makeStore() });
    const session = await sessions.load(request());
    await sessions.commit(session, new Response());
    expect(() => session.set("username", "late")).toThrow(TesseraError);
    await expect(sessions.commit(session, new Response())).rejects.toBeInstanceOf(TesseraError);
  });
});

describe("requests in flight (store mode)", () => {
  it("does not clear the new cookie when a request in flight finds its id rotated by a sign-in", async () => {
    const sessions = createSessions<Data>({ secrets: [secret], store: memoryStore() });
    const first = await sessions.load(request());
    first.set("visits", 1);
    const cookie = cookieHeader(await sessions.commit(first, new Response()));
    const slow = await sessions.load(request(cookie));
    const login = await sessions.load(request(cookie));
    await login.signIn("alice");
    const signedIn = cookieHeader(await sessions.commit(login, new Response()));
    slow.set("visits", 2);
    const late = await sessions.commit(slow, new Response());
    // Nothing that would overwrite the signed-in cookie in the browser, and nothing written back.
    expect(late.headers.getSetCookie()).toEqual([]);
    expect((await sessions.load(request(cookie))).isNew).toBe(true);
    const current = await sessions.load(request(signedIn));
    expect([current.userId, current.get("visits")]).toEqual(["alice", 1]);
  });
});

describe("a user's sessions (store mode)", () => {
  it("lists a user's sessions with the current one marked, and revokes the others", async () => {
    const clock = manualClock();
    const sessions = createSessions<Data>({ secrets: [secret], store: memoryStore(), clock: clock.now });
    const cookies: string[] = [];
    for (const agent of ["Firefox", "Chromium", "Safari"]) {
      const session = await sessions.load(request(undefined, { headers: { "user-agent": agent } }));
      await session.signIn("alice");
      cookies.push(cookieHeader(await sessions.commit(session, new Response())));
      clock.advance(1000);
    }
    const current = await sessions.load(request(cookies[1]));
    const listed = await sessions.userSessions("alice", { current });
    expect(listed.map((s) => s.userAgent)).toEqual(["Safari", "Chromium", "Firefox"]);
    expect(listed.map((s) => s.current)).toEqual([false, true, false]);
    for (const cookie of cookies) for (const entry of listed) expect(entry.id).not.toContain(cookie.slice(4));

    expect(await sessions.revokeUserSessions("alice", { except: current })).toBe(2);
    expect((await sessions.load(request(cookies[0]))).isNew).toBe(true);
    expect((await sessions.load(request(cookies[2]))).isNew).toBe(true);
    expect((await sessions.load(request(cookies[1]))).userId).toBe("alice");
    const [remaining] = await sessions.userSessions("alice");
    expect(await sessions.revokeSession("bob", remaining!.id)).toBe(false);
    expect(await sessions.revokeSession("alice", remaining!.id)).toBe(true);
    expect((await sessions.load(request(cookies[1]))).isNew).toBe(true);
  });

  it("keeps the session whose id userSessions listed when revoking with an id as except", async () => {
    const sessions = createSessions<Data>({ secrets: [secret], store: memoryStore() });
    const cookies: string[] = [];
    for (const agent of ["Firefox", "Safari"]) {
      const session = await sessions.load(request(undefined, { headers: { "user-agent": agent } }));
      await session.signIn("alice");
      cookies.push(cookieHeader(await sessions.commit(session, new Response())));
    }
    const safari = (await sessions.userSessions("alice")).find((s) => s.userAgent === "Safari")!;
    expect(await sessions.revokeUserSessions("alice", { except: safari.id })).toBe(1);
    expect((await sessions.load(request(cookies[0]))).isNew).toBe(true);
    expect((await sessions.load(request(cookies[1]))).userId).toBe("alice");
  });

  it("says plainly that cookie mode cannot list or revoke sessions", async () => {
    const sessions = createSessions<Data>({ secrets: [secret] });
    await expect(sessions.userSessions("alice")).rejects.toMatchObject({ code: "ERR_NOT_SUPPORTED" });
    await expect(sessions.revokeUserSessions("alice")).rejects.toMatchObject({ code: "ERR_NOT_SUPPORTED" });
  });
});

describe("what never leaks", () => {
  it("puts no token, cookie value or secret in any event or error", async () => {
    const events: SessionEvent[] = [];
    const store = memoryStore();
    const sessions = createSessions<Data>({ secrets: [secret, oldSecret], store, onEvent: (e) => events.push(e), storeTimeout: 0.2 });
    const session = await sessions.load(request());
    session.set("username", "alice");
    const cookie = cookieHeader(await sessions.commit(session, new Response()));
    const token = cookie.slice("sid=".length);
    await sessions.load(request(`sid=${token.slice(1)}x; sid=${token}`));
    await store.close();
    const error = await sessions.load(request(cookie)).then(
      () => undefined,
      (e: unknown) => e as TesseraError,
    );
    expect(error?.code).toBe("ERR_STORE_UNAVAILABLE");
    const seen = JSON.stringify(events) + String(error?.message) + String(error?.stack) + String((error?.cause as Error)?.message);
    for (const needle of [token, token.slice(1, 20), secret, oldSecret]) expect(seen).not.toContain(needle);
    expect(events.some((e) => e.type === "store_error")).toBe(true);
  });
});

/** The at-rest id of a cookie value: SHA-256, base64url. */
async function hashOf(value: string): Promise<string> {
  const { createHash } = await import("node:crypto");
  return createHash("sha256").update(value).digest("base64url");
}

describe("hardening regressions", () => {
  const https = (cookie?: string, headers: Record<string, string> = {}) => request(cookie, { url: "https://app.test/", headers });
  const issue = async (sessions: ReturnType<typeof createSessions<Data>>, name: string, req = https()): Promise<string> => {
    const session = await sessions.load(req);
    session.set("username", name);
    const response = await sessions.commit(session, new Response());
    const cookie = setCookieFor(response, sessions.cookieName) ?? setCookieFor(response, sessions.plainCookieName);
    return cookie!.value!;
  };

  it("names a Secure session cookie __Host-sid by default and the bare sid only over plain http", async () => {
    const sessions = createSessions<Data>({ secrets: [secret] });
    expect([sessions.cookieName, sessions.plainCookieName]).toEqual(["__Host-sid", "sid"]);
    const overHttps = await sessions.load(https());
    overHttps.set("username", "alice");
    const secure = setCookieFor(await sessions.commit(overHttps, new Response()), "__Host-sid")!;
    expect([secure.secure, secure.path, secure.domain]).toEqual([true, "/", undefined]);
    const overHttp = await sessions.load(request());
    overHttp.set("username", "alice");
    expect(setCookieFor(await sessions.commit(overHttp, new Response()), "sid")?.secure).toBeFalsy();
  });

  it.each(modes)("ignores a planted bare sid cookie on HTTPS: cookie tossing cannot put a victim in the attacker's session (%s)", async (_mode, makeStore) => {
    const sessions = createSessions<Data>({ secrets: [secret], store: makeStore() });
    // The attacker's own valid session, made over plain http (as a sibling subdomain or an http page would plant it).
    const attacker = await issue(sessions, "mallory", request());
    const victim = await issue(sessions, "alice");
    // Chromium sends the planted cookie first: a longer Path sorts first (RFC 6265 §5.4).
    const loaded = await sessions.load(https(`sid=${attacker}; __Host-sid=${victim}`));
    expect(loaded.get("username")).toBe("alice");
    const plantedOnly = await sessions.load(https(`sid=${attacker}`));
    expect(plantedOnly.isNew).toBe(true);
  });

  it.each(modes)("keeps a user signed in however many junk values are planted before the real cookie (%s)", async (_mode, makeStore) => {
    const sessions = createSessions<Data>({ secrets: [secret], store: makeStore() });
    const victim = await issue(sessions, "alice");
    // Garbled values, and values of a token's shape with a forged tag or a sealed cookie's shape with a bad MAC.
    const junk = [
      ...Array.from({ length: 100 }, (_, i) => `__Host-sid=junk-${i}`),
      ...Array.from({ length: 40 }, () => `__Host-sid=${Buffer.alloc(32, Math.random() * 255).toString("base64url")}.${"B".repeat(22)}`),
    ].join("; ");
    expect((await sessions.load(https(`${junk}; __Host-sid=${victim}`))).get("username")).toBe("alice");
  });

  it("asks the store about no forged token, and about at most 8 genuine ones per request", async () => {
    let gets = 0;
    const base = memoryStore();
    const store: Store = { ...base, name: base.name, get: (id, options) => (gets++, base.get(id, options)) };
    const sessions = createSessions<Data>({ secrets: [secret], store });
    const forged = Array.from({ length: 30 }, () => `__Host-sid=${Buffer.alloc(32, Math.random() * 255).toString("base64url")}.${"A".repeat(22)}`);
    expect((await sessions.load(https(forged.join("; ")))).isNew).toBe(true);
    expect(gets).toBe(0);
    // Genuine values of sessions that were destroyed: each needs a lookup to be told apart from a live one.
    const genuine: string[] = [];
    for (let i = 0; i < 30; i++) {
      const value = await issue(sessions, `user-${i}`);
      await base.delete(await hashOf(value));
      genuine.push(`__Host-sid=${value}`);
    }
    gets = 0;
    await sessions.load(https(genuine.join("; ")));
    expect(gets).toBe(8);
  });

  it.each(modes)("accepts at set exactly the nesting that loads again on the next request (%s)", async (_mode, makeStore) => {
    const sessions = createSessions<Data>({ secrets: [secret], store: makeStore() });
    const nested = (depth: number): unknown => (depth === 0 ? 1 : { n: nested(depth - 1) });
    const first = await sessions.load(https());
    expect(() => first.set("profile", nested(64))).toThrow(expect.objectContaining({ code: "ERR_INVALID_SESSION_DATA" }));
    first.set("profile", nested(63));
    const cookie = cookieHeader(await sessions.commit(first, new Response()), sessions.cookieName);
    const again = await sessions.load(https(cookie));
    expect(again.isNew).toBe(false);
    expect(again.get("profile")).toEqual(nested(63));
  });

  it("refuses a value over maxRecordBytes at set, and a record over it at commit, with ERR_SESSION_TOO_LARGE", async () => {
    const sessions = createSessions<Data>({ secrets: [secret], store: memoryStore(), maxRecordBytes: 4096 });
    const session = await sessions.load(https());
    expect(() => session.set("big", "x".repeat(5 * 1024 * 1024))).toThrow(expect.objectContaining({ code: "ERR_SESSION_TOO_LARGE" }));
    session.set("big", "é".repeat(1500));
    session.set("username", "é".repeat(1500));
    await expect(sessions.commit(session, new Response())).rejects.toMatchObject({ code: "ERR_SESSION_TOO_LARGE" });
    const byDefault = createSessions<Data>({ secrets: [secret], store: memoryStore() });
    const other = await byDefault.load(https());
    expect(() => other.set("big", "x".repeat(5 * 1024 * 1024))).toThrow(expect.objectContaining({ code: "ERR_SESSION_TOO_LARGE" }));
    expect(() => createSessions({ secrets: [secret], maxRecordBytes: 10 })).toThrow(expect.objectContaining({ code: "ERR_INVALID_OPTION" }));
  });

  it("reads X-Forwarded-Proto from the right, counting trusted hops, so a client-supplied https is never believed", async () => {
    const secureFor = async (trustProxy: boolean | number, forwarded: string) => {
      const sessions = createSessions<Data>({ secrets: [secret], trustProxy });
      const session = await sessions.load(request(undefined, { headers: { "x-forwarded-proto": forwarded } }));
      session.set("username", "alice");
      const response = await sessions.commit(session, new Response());
      return setCookieFor(response, "__Host-sid") !== undefined;
    };
    expect(await secureFor(true, "https, http")).toBe(false);
    expect(await secureFor(1, "http, https")).toBe(true);
    expect(await secureFor(1, "https")).toBe(true);
    expect(await secureFor(2, "https, http, https")).toBe(false);
    expect(await secureFor(2, "http, https, http")).toBe(true);
    expect(await secureFor(false, "https")).toBe(false);
    expect(() => createSessions({ secrets: [secret], trustProxy: -1 })).toThrow(expect.objectContaining({ code: "ERR_INVALID_OPTION" }));
  });

  it("seals with XChaCha20-Poly1305 when asked (cipher), and a server on either cipher opens the other's cookies", async () => {
    const aes = createSessions<Data>({ secrets: [secret] });
    const xchacha = createSessions<Data>({ secrets: [secret], cipher: "xchacha20-poly1305" });
    const login = async (sessions: typeof aes) => {
      const session = await sessions.load(https());
      session.set("username", "alice");
      return cookieHeader(await sessions.commit(session, new Response()), "__Host-sid");
    };
    const fromX = await login(xchacha);
    expect(Buffer.from(fromX.split("=")[1]!, "base64url")[0]).toBe(3);
    expect((await aes.load(https(fromX))).get("username")).toBe("alice");
    expect((await xchacha.load(https(await login(aes)))).get("username")).toBe("alice");
    expect(() => createSessions({ secrets: [secret], cipher: "xchacha20-poly1305", store: memoryStore() })).toThrow(
      expect.objectContaining({ code: "ERR_INVALID_OPTION" }),
    );
    expect(() => createSessions({ secrets: [secret], cipher: "xchacha20-poly1305", codec: "signed" })).toThrow(
      expect.objectContaining({ code: "ERR_INVALID_OPTION" }),
    );
  });

  it("refuses a secret of one repeated character or of all zero bytes, without echoing it", () => {
    for (const weak of ["a".repeat(40), Buffer.alloc(32), "abab".repeat(10), new Uint8Array(64).fill(7)]) {
      const error = errorOf(() => createSessions({ secrets: [weak] }));
      expect(error.code).toBe("ERR_SECRET_WEAK");
      if (typeof weak === "string") expect(error.message).not.toContain(weak);
    }
  });

  it("skips a record that does not decode when listing a user's sessions, with an event, instead of failing", async () => {
    const events: SessionEvent[] = [];
    const store = memoryStore();
    const sessions = createSessions<Data>({ secrets: [secret], store, onEvent: (event) => events.push(event) });
    const session = await sessions.load(https());
    await session.signIn("alice");
    await sessions.commit(session, new Response());
    await store.create("corrupt-record-id", "{not json", { now: Date.now(), expiresAt: Date.now() + hour, ttlSeconds: 3600, userId: "alice" });
    const listed = await sessions.userSessions("alice");
    expect(listed).toHaveLength(1);
    expect(events).toContainEqual({ type: "record_rejected", reason: "bad_payload" });
  });
});

describe.each(modes)("a session started after destroy (%s)", (_mode, makeStore) => {
  it("gets its own creation time, so the absolute timeout counts from it and not from the destroyed session", async () => {
    const clock = manualClock();
    const sessions = createSessions<Data>({ secrets: [secret], store: makeStore(), clock: clock.now, absoluteTimeout: "2h", idleTimeout: "100m" });
    const first = await sessions.load(request());
    first.set("username", "alice");
    const cookie = cookieHeader(await sessions.commit(first, new Response()));
    clock.advance(90 * 60_000);
    const again = await sessions.load(request(cookie));
    expect(again.get("username")).toBe("alice");
    await again.destroy();
    again.set("username", "bob");
    const fresh = cookieHeader(await sessions.commit(again, new Response()));
    const startedAt = clock.now();
    expect((await sessions.load(request(fresh))).createdAt).toBe(startedAt);
    // 45 minutes later: past the destroyed session's 2 h, well within the new one's.
    clock.advance(45 * 60_000);
    expect((await sessions.load(request(fresh))).get("username")).toBe("bob");
  });
});

describe("a Cookie header stuffed with junk", () => {
  it("reports at most 8 rejected values per request, so junk cannot flood the application's logs", async () => {
    const events: SessionEvent[] = [];
    const sessions = createSessions<Data>({ secrets: [secret], store: memoryStore(), onEvent: (event) => events.push(event) });
    const junk = Array.from({ length: 500 }, (_, i) => `sid=junk-${i}`).join("; ");
    expect((await sessions.load(request(junk))).isNew).toBe(true);
    const rejected = events.filter((event) => event.type === "cookie_rejected");
    expect(rejected).toHaveLength(8);
  });
});
