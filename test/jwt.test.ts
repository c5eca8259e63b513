// The jwt codec through createSessions: a request gets a JWT cookie, the next reads it back, another service verifies
// it with jose and the public key alone, and a tampered, expired or misplaced cookie gives a fresh anonymous session.

import { generateKeyPairSync } from "node:crypto";
import * as jose from "jose";
import { describe, expect, it } from "vitest";
import { jwtCodec, type JwtCodecOptions } from "../src/codecs/jwt/index.js";
import { createSessions, TesseraError, type SessionEvent, type SessionsOptions } from "../src/index.js";
import { cookieHeader, manualClock, request, secret, setCookieFor } from "./helpers.js";

type Data = { username?: string; cart?: string[] };

const issuer = "https://app.example";
const audience = "https://api.example";
const minute = 60_000;
const { privateKey, publicKey } = generateKeyPairSync("ed25519");
const jwt: JwtCodecOptions = { alg: "EdDSA", key: privateKey, issuer, audience };

/** A manager on the jwt codec with a clock the test moves, recording its events. */
function setup(codec: JwtCodecOptions = jwt, options: Partial<SessionsOptions> = {}, clock = manualClock()) {
  const events: SessionEvent[] = [];
  const sessions = createSessions<Data>({
    secrets: [secret],
    codec: jwtCodec(codec),
    idleTimeout: "30m",
    absoluteTimeout: "12h",
    clock: clock.now,
    onEvent: (event) => events.push(event),
    ...options,
  });
  return { sessions, events, clock };
}

/** Signs alice in and returns the response's cookie value (`sid` over http). */
async function signedIn(sessions: ReturnType<typeof setup>["sessions"]): Promise<string> {
  const session = await sessions.load(request(undefined, { headers: { "user-agent": "Mozilla/5.0" } }));
  await session.signIn("u-42");
  session.set("username", "alice");
  session.flash("notice", "Welcome back");
  const cookie = setCookieFor(await sessions.commit(session, new Response("ok")));
  if (!cookie?.value) throw new Error("no session cookie was set");
  return cookie.value;
}

describe("jwt sessions end to end", () => {
  it("gives a request a JWT cookie and reads it back on the next request", async () => {
    const { sessions } = setup();
    const value = await signedIn(sessions);
    expect(value.split(".")).toHaveLength(3);
    expect(jose.decodeProtectedHeader(value)).toMatchObject({ alg: "EdDSA", typ: "session+jwt" });

    const next = await sessions.load(request(`sid=${value}`));
    expect(next.isNew).toBe(false);
    expect(next.userId).toBe("u-42");
    expect(next.get("username")).toBe("alice");
    expect(next.readFlash("notice")).toBe("Welcome back");
  });

  it("is verified by another service with jose and the public key alone, its exp matching the cookie's Max-Age", async () => {
    const { sessions, clock } = setup();
    const session = await sessions.load(request());
    await session.signIn("u-42");
    session.set("cart", ["book"]);
    const response = await sessions.commit(session, new Response("ok"));
    const cookie = setCookieFor(response)!;

    const { payload } = await jose.jwtVerify(cookie.value!, publicKey, {
      issuer,
      audience,
      algorithms: ["EdDSA"],
      typ: "session+jwt",
      currentDate: new Date(clock.now()),
    });
    expect(payload.sub).toBe("u-42");
    expect(payload.data).toEqual({ cart: ["book"] });
    expect(payload.iat).toBe(Math.floor(clock.now() / 1000));
    expect(payload.exp! - payload.iat!).toBe(30 * 60);
    expect(cookie.maxAge).toBe(30 * 60);
  });

  it("renews exp with the idle deadline, never past the absolute one", async () => {
    const { sessions, clock } = setup(jwt, { idleTimeout: "30m", absoluteTimeout: "1h" });
    const created = clock.now();
    const renew = async (value: string): Promise<string> => {
      const session = await sessions.load(request(`sid=${value}`));
      expect(session.isNew).toBe(false);
      return setCookieFor(await sessions.commit(session, new Response("ok")))!.value!;
    };
    const first = await signedIn(sessions);
    expect(jose.decodeJwt(first).exp).toBe((created + 30 * minute) / 1000);
    clock.advance(20 * minute);
    const second = await renew(first);
    expect(jose.decodeJwt(second).exp).toBe((created + 50 * minute) / 1000);
    clock.advance(20 * minute);
    const third = await renew(second);
    expect(jose.decodeJwt(third).exp).toBe((created + 60 * minute) / 1000);
    clock.advance(20 * minute);
    expect((await sessions.load(request(`sid=${third}`))).isNew).toBe(true);
  });

  it("gives a fresh anonymous session and a cookie_rejected event for a tampered cookie", async () => {
    const { sessions, events } = setup();
    const value = await signedIn(sessions);
    const [header, payload, signature] = value.split(".");
    const claims = jose.decodeJwt(value);
    const forged = Buffer.from(JSON.stringify({ ...claims, sub: "admin" })).toString("base64url");
    expect(forged).not.toBe(payload);

    // The signature's first character changed (it carries six whole bits, so the bytes always differ).
    const flipped = `${signature!.startsWith("A") ? "B" : "A"}${signature!.slice(1)}`;
    for (const tampered of [`${header}.${forged}.${signature}`, `${header}.${payload}.${flipped}`, value.slice(0, -10)]) {
      events.length = 0;
      const session = await sessions.load(request(`sid=${tampered}`));
      expect(session.isNew).toBe(true);
      expect(session.userId).toBeUndefined();
      expect(session.get("username")).toBeUndefined();
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ type: "cookie_rejected" });
    }
    events.length = 0;
    await sessions.load(request(`sid=${header}.${forged}.${signature}`));
    expect(events).toEqual([{ type: "cookie_rejected", reason: "bad_signature" }]);
  });

  it("rejects an expired cookie as expired on its exp, whether or not this manager opened it before", async () => {
    const clock = manualClock();
    const value = await signedIn(setup(jwt, {}, clock).sessions);
    clock.advance(30 * minute - 1);
    const opened = setup(jwt, {}, clock);
    expect((await opened.sessions.load(request(`sid=${value}`))).isNew).toBe(false);
    clock.advance(1);
    // A manager that never opened the value: the codec refuses it on its exp.
    const fresh = setup(jwt, {}, clock);
    expect((await fresh.sessions.load(request(`sid=${value}`))).isNew).toBe(true);
    expect(fresh.events).toEqual([{ type: "cookie_rejected", reason: "expired" }]);
    // A manager that remembers opening it: its decode cache stops answering at exp, and the codec refuses it.
    expect((await opened.sessions.load(request(`sid=${value}`))).isNew).toBe(true);
    expect(opened.events).toEqual([{ type: "cookie_rejected", reason: "expired" }]);
  });

  it("refuses a cookie moved to another cookie name (from plain http sid to the __Host- cookie)", async () => {
    const { sessions, events } = setup();
    const value = await signedIn(sessions);
    events.length = 0;
    const session = await sessions.load(request(`__Host-sid=${value}`, { url: "https://app.test/" }));
    expect(session.isNew).toBe(true);
    expect(events).toEqual([{ type: "cookie_rejected", reason: "bad_signature" }]);
  });

  it("refuses a token another app made with the same key for another audience", async () => {
    const billing = setup({ ...jwt, audience: "https://billing.example" });
    const value = await signedIn(billing.sessions);
    const { sessions, events } = setup();
    expect((await sessions.load(request(`sid=${value}`))).isNew).toBe(true);
    expect(events).toEqual([{ type: "cookie_rejected", reason: "bad_signature" }]);
  });

  it("re-issues a cookie signed by the previous key under the new one, with the old public key kept to verify", async () => {
    const before = setup();
    const value = await signedIn(before.sessions);
    const next = generateKeyPairSync("ed25519");
    const { sessions, events, clock } = setup({ ...jwt, key: [next.privateKey, publicKey] });
    const session = await sessions.load(request(`sid=${value}`));
    expect(session.get("username")).toBe("alice");
    const reissued = cookieHeader(await sessions.commit(session, new Response("ok"))).slice("sid=".length);
    expect(events).toEqual([{ type: "cookie_reissued", reason: "key_rotation" }]);
    const expectations = { issuer, audience, currentDate: new Date(clock.now()) };
    await expect(jose.jwtVerify(reissued, next.publicKey, expectations)).resolves.toBeDefined();
    await expect(jose.jwtVerify(reissued, publicKey, expectations)).rejects.toThrow(jose.errors.JWSSignatureVerificationFailed);
  });

  it("with a public key alone, reads sessions and throws ERR_NOT_SUPPORTED at a commit that must write", async () => {
    const issued = setup();
    const value = await signedIn(issued.sessions);
    const { sessions } = setup({ ...jwt, key: publicKey });
    const session = await sessions.load(request(`sid=${value}`));
    expect(session.get("username")).toBe("alice");
    session.set("username", "bob");
    await expect(sessions.commit(session, new Response("ok"))).rejects.toSatisfy(
      (error) => error instanceof TesseraError && error.code === "ERR_NOT_SUPPORTED",
    );
  });
});
