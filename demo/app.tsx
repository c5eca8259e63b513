/** @jsxRuntime automatic @jsxImportSource hono/jsx */
// The seed's Flask app on Hono and tessera: log in, greet, log out, set and read a cookie, list sessions.

import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { getCookie, setCookie } from "hono/cookie";
import { csrf } from "hono/csrf";
import { HTTPException } from "hono/http-exception";
import { isTesseraError, type Sessions } from "tessera";
import { honoSessions, type SessionEnv } from "tessera/hono";
import { CookiePage, ErrorPage, IndexPage, LoginPage, SessionsPage } from "./views.js";

export type Data = { username?: string };

/** Request bodies over this are refused with 413: the login form needs a few dozen bytes. */
const maxBodyBytes = 4 * 1024;

/** C0 and C1 controls, and the bidi and zero-width format characters that disguise a name. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const controlRegExp = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/;

/** Why a username is refused, or undefined when it is fine. */
export function usernameProblem(username: string): string | undefined {
  if (username.length === 0) return "Please enter a username.";
  if ([...username].length > 64) return "A username has at most 64 characters.";
  if (controlRegExp.test(username)) return "A username cannot contain control characters.";
  return undefined;
}

/**
 * The demo app on a `sessions` object; `server.ts` serves it.
 *
 * @example
 * serve({ fetch: createApp(sessions).fetch, port: 3000 });
 */
export function createApp(sessions: Sessions<Data>, options: { trustProxy?: boolean } = {}) {
  const app = new Hono<SessionEnv<Data>>();

  app.use(csrf());
  app.use(
    bodyLimit({
      maxSize: maxBodyBytes,
      onError: (c) => c.html(<ErrorPage status={413} message="That request is too large." />, 413),
    }),
  );
  app.use(honoSessions(sessions));

  app.get("/", (c) => {
    const session = c.get("session");
    const username = session.get("username");
    if (!username) return c.redirect("/login", 303);
    return c.html(<IndexPage username={username} flash={session.readFlash<string>("notice")} signedIn />);
  });

  app.get("/login", (c) => c.html(<LoginPage flash={c.get("session").readFlash<string>("notice")} />));

  app.post("/login", async (c) => {
    // A body that is not a form at all is the visitor's mistake: 400, like any other bad input.
    const form = await c.req.parseBody().catch(() => undefined);
    if (form === undefined) return c.html(<LoginPage error="That form could not be read." />, 400);
    const raw = typeof form.username === "string" ? form.username : "";
    const username = raw.trim();
    const problem = usernameProblem(username);
    if (problem) return c.html(<LoginPage error={problem} username={raw.slice(0, 64)} />, 400);
    const session = c.get("session");
    // A new session id at login: an id planted before it (session fixation) is worth nothing.
    await session.signIn(username);
    session.set("username", username);
    session.flash("notice", `Welcome, ${username}!`);
    return c.redirect("/", 303);
  });

  app.get("/logout", async (c) => {
    const session = c.get("session");
    // Destroyed on the server, so a copy of the old cookie is logged out too.
    await session.destroy();
    session.flash("notice", "You have been logged out.");
    return c.redirect("/login", 303);
  });

  app.get("/setcookie", (c) => {
    setCookie(c, "my_cookie", "This is a cookie value", {
      path: "/",
      httpOnly: true,
      sameSite: "Lax",
      secure: isHttps(c.req.raw, options.trustProxy === true),
    });
    return c.html(<IndexPage username="Guest" />);
  });

  app.get("/getcookie", (c) => c.html(<CookiePage value={getCookie(c, "my_cookie")} />));

  app.get("/sessions", async (c) => {
    const session = c.get("session");
    const username = session.get("username");
    if (!username || !session.userId) return c.redirect("/login", 303);
    // Cookie mode and memcached cannot list a user's sessions: the page says so instead.
    const list = await sessions.userSessions(session.userId, { current: session }).catch(unlessUnsupported);
    return c.html(<SessionsPage username={username} sessions={list} flash={session.readFlash<string>("notice")} />);
  });

  app.post("/sessions/revoke-others", async (c) => {
    const session = c.get("session");
    if (!session.userId) return c.redirect("/login", 303);
    const count = await sessions.revokeUserSessions(session.userId, { except: session }).catch(unlessUnsupported);
    if (count !== undefined) session.flash("notice", `Signed out ${count} other ${count === 1 ? "session" : "sessions"}.`);
    return c.redirect("/sessions", 303);
  });

  app.notFound((c) => c.html(<ErrorPage status={404} message="There is no page here." />, 404));

  app.onError((error, c) => {
    if (error instanceof HTTPException && error.status < 500) {
      // Hono's own refusals: 403 from the CSRF check, 400 for a body it cannot parse.
      const message = error.status === 403 ? "That form was sent from another site." : "That request could not be understood.";
      return c.html(<ErrorPage status={error.status} message={message} />, error.status);
    }
    // The name and code only: a message could carry what a visitor sent.
    console.error(`request failed: ${error.name}${"code" in error ? ` (${String(error.code)})` : ""}`);
    return c.html(<ErrorPage status={500} message="Something went wrong on our side." />, 500);
  });

  return app;
}

/** `undefined` for an operation the session store cannot do; any other error goes on. */
function unlessUnsupported(error: unknown): undefined {
  if (isTesseraError(error) && error.code === "ERR_NOT_SUPPORTED") return undefined;
  throw error;
}

function isHttps(request: Request, trustProxy: boolean): boolean {
  if (trustProxy) {
    const forwarded = request.headers.get("x-forwarded-proto");
    if (forwarded) return forwarded.split(",")[0]!.trim() === "https";
  }
  return request.url.startsWith("https:");
}
