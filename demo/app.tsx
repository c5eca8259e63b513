/** @jsxRuntime automatic @jsxImportSource hono/jsx */
// The seed's Flask app on Hono and tessera: log in, greet, log out, set and read a cookie, list sessions.

import type { HttpBindings } from "@hono/node-server";
import { Hono, type Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import { csrf } from "hono/csrf";
import { HTTPException } from "hono/http-exception";
import { secureHeaders } from "hono/secure-headers";
import { factsOf, isStoreUnavailable, isTesseraError, type CookieJar, type Sessions } from "tessera";
import { honoSessions, type SessionEnv } from "tessera/hono";
import type { JSX } from "hono/jsx/jsx-runtime";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { CookiePage, ErrorPage, IndexPage, LoginPage, LogoutPage, SessionsPage, Theme, favicon, stylesheet, type ThemeName } from "./views.js";

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

/** How `sessions` was made, where the app cannot tell by itself. */
export interface AppOptions {
  /** Cookie mode with `revocation`: logging out and signing out everywhere else end every copy of the cookie. */
  cookieRevocation?: boolean;
}

/**
 * The demo app on a `sessions` object, with `jar` (made with the same secrets) for the cookies beside the session;
 * `server.ts` serves it.
 *
 * @example
 * serve({ fetch: createApp(sessions, createCookieJar({ secrets })).fetch, port: 3000 });
 */
export function createApp(sessions: Sessions<Data>, jar: CookieJar, options: AppOptions = {}) {
  const copiesEnded = sessions.mode !== "cookie" || options.cookieRevocation === true;
  const app = new Hono<SessionEnv<Data>>();
  /** A page in the visitor's theme: the signed `theme` cookie, when it verifies. */
  const page = async (c: Context, element: JSX.Element, status?: ContentfulStatusCode, headers?: Record<string, string>) => {
    const theme: ThemeName = (await jar.read(c.req.raw, "theme", { signed: true })) === "dark" ? "dark" : "light";
    return c.html(<Theme.Provider value={theme}>{element}</Theme.Provider>, status, headers);
  };

  // First, so that every response carries the headers: pages, redirects, and the 403, 413, 404, 500 and 503 pages.
  app.use(
    secureHeaders({
      // No page runs a script or carries inline style (views.tsx), so the policy forbids both outright.
      contentSecurityPolicy: {
        defaultSrc: ["'none'"],
        scriptSrc: ["'none'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
      },
      xFrameOptions: "DENY",
      // Not no-referrer: with it, browsers send `Origin: null` on a form POST (Fetch §3.1, "append a request
      // Origin header"), and the CSRF check below would refuse the demo's own forms where Sec-Fetch-Site is absent.
      referrerPolicy: "same-origin",
      // HSTS belongs to whoever terminates TLS for a real host; the demo serves plain http on 127.0.0.1.
      strictTransportSecurity: false,
    }),
  );
  // A static file: no session is read or written for it.
  app.get("/style.css", (c) =>
    c.body(stylesheet, 200, { "Content-Type": "text/css; charset=utf-8", "Cache-Control": "public, max-age=3600" }),
  );
  for (const path of ["/favicon.svg", "/favicon.ico"]) {
    app.get(path, (c) => c.body(favicon, 200, { "Content-Type": "image/svg+xml", "Cache-Control": "public, max-age=86400" }));
  }
  app.use(csrf());
  app.use(
    bodyLimit({
      maxSize: maxBodyBytes,
      // The rest of the body is never read, so the connection cannot carry another request: say so, and the server
      // closes it after this response (RFC 9110 §15.5.14, RFC 9112 §9.6). A keep-alive client then opens a new one
      // instead of sending its next request down a socket that is about to close.
      onError: (c) => page(c, <ErrorPage status={413} message="That request is too large." />, 413, { Connection: "close" }),
    }),
  );
  app.use(
    honoSessions(sessions, {
      onUnavailable: (c) =>
        page(c, <ErrorPage status={503} message="Sessions are unavailable for a moment. Please try again." />, 503, {
          "Cache-Control": "no-store",
          "Retry-After": "5",
        }),
    }),
  );

  app.get("/", (c) => {
    const session = c.get("session");
    const username = session.get("username");
    if (!username) return c.redirect("/login", 303);
    return page(c, <IndexPage username={username} flash={session.readFlash<string>("notice")} />);
  });

  app.get("/login", (c) => {
    // After a logout the notice comes in the URL, not in a session: a logged-out visitor costs no store row.
    const loggedOut = c.req.query("logged_out") !== undefined ? "You have been logged out." : undefined;
    return page(c, <LoginPage flash={c.get("session").readFlash<string>("notice") ?? loggedOut} />);
  });

  app.post("/login", async (c) => {
    // A body that is not a form at all is the visitor's mistake: 400, like any other bad input.
    const form = await c.req.parseBody().catch(() => undefined);
    if (form === undefined) return page(c, <LoginPage error="That form could not be read." />, 400);
    const raw = typeof form.username === "string" ? form.username : "";
    const username = raw.trim();
    const problem = usernameProblem(username);
    if (problem) return page(c, <LoginPage error={problem} username={raw.slice(0, 64)} />, 400);
    const session = c.get("session");
    // A new session id at login: an id planted before it (session fixation) is worth nothing.
    await session.signIn(username);
    session.set("username", username);
    session.flash("notice", `Welcome, ${username}!`);
    return c.redirect("/", 303);
  });

  // The seed's GET /logout shows the button; only the POST logs out. A GET must not change state: an <img> or a
  // link on another site would sign the user out.
  app.get("/logout", (c) => {
    const username = c.get("session").get("username");
    if (!username) return c.redirect("/login", 303);
    return page(c, <LogoutPage username={username} copiesEnded={copiesEnded} />);
  });

  // Same-origin only: csrf() above refuses a form posted from another site.
  app.post("/logout", async (c) => {
    // In store mode the record is deleted, so a copy of the old cookie is logged out too; in cookie mode with
    // revocation (SESSION_STORE=cookie), the session's id is revoked, with the same effect. Without revocation
    // (SESSION_STORE=flask) this clears this browser's cookie, and a copy stays valid until it expires.
    await c.get("session").destroy();
    return c.redirect("/login?logged_out", 303);
  });

  app.get("/setcookie", async (c) => {
    // Signed with the app's secrets: readable, but /getcookie shows only a value this app wrote.
    const cookie = await jar.serialize("my_cookie", "This is a cookie value", { signed: true, secure: isHttps(c, sessions.trustProxy) });
    c.header("set-cookie", cookie, { append: true });
    // The tutorial's page greets "Guest"; a signed-in user is still greeted by name, beside their Logout link.
    return page(c, <IndexPage username={c.get("session").get("username")} flash="my_cookie is set: Get Cookie shows it." />);
  });

  // The theme toggle on every page: a preference kept a year in a signed cookie, beside the session.
  app.post("/theme", async (c) => {
    const form = await c.req.parseBody().catch(() => undefined);
    const theme: ThemeName = form?.theme === "dark" ? "dark" : "light";
    const cookie = await jar.serialize("theme", theme, { signed: true, maxAge: "365d", secure: isHttps(c, sessions.trustProxy) });
    c.header("set-cookie", cookie, { append: true });
    return c.redirect("/", 303);
  });

  app.get("/getcookie", async (c) => page(c, <CookiePage value={await jar.read(c.req.raw, "my_cookie", { signed: true })} />));

  app.get("/sessions", async (c) => {
    const session = c.get("session");
    const username = session.get("username");
    if (!username || !session.userId) return c.redirect("/login", 303);
    // Cookie mode and memcached cannot list a user's sessions: the page says so instead.
    const list = await sessions.userSessions(session.userId, { current: session }).catch(unlessUnsupported);
    return page(
      c,
      <SessionsPage username={username} mode={sessions.mode} sessions={list} canRevoke={copiesEnded} flash={session.readFlash<string>("notice")} />,
    );
  });

  app.post("/sessions/revoke-others", async (c) => {
    const session = c.get("session");
    if (!session.userId) return c.redirect("/login", 303);
    const count = await sessions.revokeUserSessions(session.userId, { except: session }).catch(unlessUnsupported);
    // Cookie mode cannot count the browsers holding a cookie (revokeUserSessions answers 0): it says what it did.
    if (sessions.mode === "cookie" && count !== undefined) session.flash("notice", "Signed out every other session.");
    else if (count !== undefined) session.flash("notice", `Signed out ${count} other ${count === 1 ? "session" : "sessions"}.`);
    return c.redirect("/sessions", 303);
  });

  app.notFound((c) => page(c, <ErrorPage status={404} message="There is no page here." />, 404));

  app.onError((error, c) => {
    if (isStoreUnavailable(error)) {
      // The store failed inside a handler (signIn, revoke): fail closed, as the middleware does around it.
      return page(c, <ErrorPage status={503} message="Sessions are unavailable for a moment. Please try again." />, 503, {
        "Cache-Control": "no-store",
        "Retry-After": "5",
      });
    }
    if (error instanceof HTTPException && error.status < 500) {
      // Hono's own refusals: 403 from the CSRF check, 400 for a body it cannot parse.
      const message = error.status === 403 ? "That form was sent from another site." : "That request could not be understood.";
      return page(c, <ErrorPage status={error.status} message={message} />, error.status);
    }
    // The name and code only: a message could carry what a visitor sent.
    console.error(`request failed: ${error.name}${"code" in error ? ` (${String(error.code)})` : ""}`);
    return page(c, <ErrorPage status={500} message="Something went wrong on our side." />, 500);
  });

  return app;
}

/** `undefined` for an operation the session store cannot do; any other error goes on. */
function unlessUnsupported(error: unknown): undefined {
  if (isTesseraError(error) && error.code === "ERR_NOT_SUPPORTED") return undefined;
  throw error;
}

/**
 * Whether the visitor reached us over HTTPS, by tessera's rule for the session cookie: the connection itself (TLS
 * on @hono/node-server's socket), or `X-Forwarded-Proto` read `hops` entries from the right, so a value the client
 * wrote itself is never believed.
 */
function isHttps(c: Context, hops: number): boolean {
  const socket = (c.env as Partial<HttpBindings> | undefined)?.incoming?.socket;
  const connectionSecure = socket === undefined ? undefined : (socket as { encrypted?: boolean }).encrypted === true;
  return factsOf(c.req.raw, hops, connectionSecure).secure;
}
