/** @jsxRuntime automatic @jsxImportSource hono/jsx */
// The demo's pages: the tutorial's index and login templates, plus logout, active sessions and error pages.
// hono/jsx escapes every interpolated value, so nothing a visitor sends is ever markup. No page has a script, an
// event handler attribute or inline style, so the Content-Security-Policy can forbid all three.

import { raw } from "hono/html";
import { createContext, useContext, type Child } from "hono/jsx";
import type { UserSessionInfo } from "tessera";

/** The pages' one stylesheet, served at /style.css (the policy allows styles from this origin only). */
export const stylesheet = `
:root { color-scheme: light; --ink: #1d2433; --muted: #5b6578; --line: #d9dee8; --accent: #3451b2; --bg: #f5f7fb; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink); background: var(--bg); }
main { max-width: 40rem; margin: 4rem auto; padding: 2rem 2.5rem; background: #fff; border: 1px solid var(--line); border-radius: 12px; box-shadow: 0 4px 24px rgba(29,36,51,.06); }
h1 { margin: 0 0 1rem; font-size: 1.8rem; }
p { margin: .5rem 0; }
nav { display: flex; flex-wrap: wrap; gap: .75rem; margin-top: 1.5rem; padding-top: 1rem; border-top: 1px solid var(--line); }
a { color: var(--accent); }
nav a { text-decoration: none; padding: .35rem .8rem; border: 1px solid var(--line); border-radius: 999px; }
nav a:hover { background: var(--bg); }
form p { display: flex; gap: .75rem; align-items: center; }
input[type=text] { flex: 1; padding: .5rem .7rem; font: inherit; border: 1px solid var(--line); border-radius: 8px; }
input[type=submit], button { padding: .5rem 1.2rem; font: inherit; color: #fff; background: var(--accent); border: 0; border-radius: 8px; cursor: pointer; }
.flash { padding: .6rem .9rem; margin-bottom: 1rem; border-radius: 8px; background: #e8f0fe; border: 1px solid #c6d6fb; }
.error { padding: .6rem .9rem; margin-bottom: 1rem; border-radius: 8px; background: #fdecec; border: 1px solid #f5c2c2; }
table { width: 100%; border-collapse: collapse; margin: 1rem 0; font-size: .95rem; }
th, td { text-align: left; padding: .45rem .3rem; border-bottom: 1px solid var(--line); }
button:disabled { color: var(--muted); background: #e4e8f0; cursor: not-allowed; }
.muted { color: var(--muted); }
.tag { white-space: nowrap; font-size: .8rem; padding: .1rem .5rem; border-radius: 999px; background: #e6f4ea; }
.scroll { overflow-x: auto; }
.time { white-space: nowrap; font-variant-numeric: tabular-nums; }
@media (max-width: 40rem) {
  main { margin: 0; padding: 1.25rem 1rem; border-left: 0; border-right: 0; border-radius: 0; box-shadow: none; }
  h1 { font-size: 1.5rem; }
  form p { flex-wrap: wrap; }
  /* The sessions table as one block per session: three columns of dates do not fit beside a browser name. */
  thead { display: none; }
  table, tbody, tr, td { display: block; }
  tr { padding: .5rem 0; border-bottom: 1px solid var(--line); }
  td { padding: .1rem 0; border: 0; }
  td.time::before { content: attr(data-label) " "; color: var(--muted); }
}
body.dark { color-scheme: dark; --ink: #e4e8f1; --muted: #a3acbd; --line: #343b4a; --accent: #9bb0ff; --bg: #12151c; }
body.dark main { background: #1b1f29; box-shadow: none; }
body.dark .flash { background: #1f2b4d; border-color: #34477d; }
body.dark .error { background: #4a1f22; border-color: #7d3438; }
body.dark .tag { background: #1e3a28; }
body.dark input[type=text] { color: var(--ink); background: #12151c; }
body.dark input[type=submit], body.dark button { color: #10131a; }
body.dark button:disabled { color: var(--muted); background: #2a303c; }
form.theme { margin-top: 1rem; text-align: right; }
form.theme button { padding: .25rem .8rem; font-size: .85rem; color: var(--accent); background: transparent; border: 1px solid var(--line); }
`;

/** The visitor's theme, from the signed `theme` cookie (app.tsx reads it with the cookie jar for every page). */
export type ThemeName = "light" | "dark";
export const Theme = createContext<ThemeName>("light");

/** The tab icon, served at /favicon.svg (and /favicon.ico for browsers that ask for it without reading the page). */
export const favicon = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#3451b2"/><path fill="#fff" d="M7 7h8v8H7zm10 0h8v8h-8zM7 17h8v8H7zm10 0h8v8h-8z" opacity=".9"/></svg>`;

function Layout(props: { title: string; children: Child }) {
  const theme = useContext(Theme);
  const other: ThemeName = theme === "dark" ? "light" : "dark";
  return (
    <>
      {/* Without a doctype browsers render in quirks mode. */}
      {raw("<!DOCTYPE html>")}
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <title>{props.title}</title>
          <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
          <link rel="stylesheet" href="/style.css" />
        </head>
        <body class={theme === "dark" ? "dark" : undefined}>
          <main>
            {props.children}
            {/* A preference, not the session: a signed cookie of the cookie jar keeps it. */}
            <form method="post" action="/theme" class="theme">
              <input type="hidden" name="theme" value={other} />
              <button type="submit">{other === "dark" ? "Dark theme" : "Light theme"}</button>
            </form>
          </main>
        </body>
      </html>
    </>
  );
}

function Flash(props: { message: string | undefined }) {
  return props.message ? (
    <p class="flash" role="status">
      {props.message}
    </p>
  ) : null;
}

/**
 * The tutorial's index.html: "Hello alice!" and a Logout link (to the page with the button) for a signed-in user;
 * "Hello Guest!" and a Login link for anyone else (what /setcookie shows a visitor who has not logged in).
 */
export function IndexPage(props: { username: string | undefined; flash?: string | undefined }) {
  return (
    <Layout title="Index">
      <Flash message={props.flash} />
      <h1>Hello {props.username ?? "Guest"}!</h1>
      {props.username ? <a href="/logout">Logout</a> : <a href="/login">Login</a>}
      <nav>
        <a href="/setcookie">Set Cookie</a>
        <a href="/getcookie">Get Cookie</a>
        {props.username ? <a href="/sessions">Active sessions</a> : null}
      </nav>
    </Layout>
  );
}

/** The tutorial's login.html, with room for a flash message and a validation error. */
export function LoginPage(props: { flash?: string | undefined; error?: string | undefined; username?: string | undefined }) {
  return (
    <Layout title="Login">
      <Flash message={props.flash} />
      <h1>Log in</h1>
      {props.error ? (
        <p class="error" role="alert">
          {props.error}
        </p>
      ) : null}
      <form method="post" action="/login">
        <p>
          <label for="username">Username:</label>
          <input type="text" id="username" name="username" value={props.username ?? ""} maxlength={64} autocomplete="username" autofocus />
        </p>
        <p>
          <input type="submit" value="Login" />
        </p>
      </form>
    </Layout>
  );
}

/**
 * GET /logout: the button that logs out. Logging out is a POST from this origin, so a link or an image on another
 * site cannot do it. `copiesEnded` says whether the server can end copies of the cookie (store mode, or cookie mode
 * with revocation) or not (cookie mode without: the session lives in the cookie, and a copy stays valid until it
 * expires).
 */
export function LogoutPage(props: { username: string; copiesEnded: boolean }) {
  return (
    <Layout title="Log out">
      <h1>Log out</h1>
      <p>You are logged in as {props.username}.</p>
      <p class="muted">
        {props.copiesEnded
          ? "Logging out ends this session on the server, so a copy of this browser's cookie is logged out too."
          : "Logging out clears this browser's cookie. The session lives in the cookie itself, so a copy of this cookie stays signed in until it expires."}
      </p>
      <form method="post" action="/logout">
        <p>
          <button type="submit">Log out</button>
        </p>
      </form>
      <nav>
        <a href="/">Home</a>
      </nav>
    </Layout>
  );
}

/** What /getcookie shows: the cookie's value, as text. */
export function CookiePage(props: { value: string | undefined }) {
  return (
    <Layout title="Get Cookie">
      <p>Cookie value: {props.value ?? "(not set)"}</p>
      <nav>
        <a href="/">Home</a>
        <a href="/setcookie">Set Cookie</a>
      </nav>
    </Layout>
  );
}

/**
 * The signed-in user's sessions, with "sign out everywhere else". `mode` is `sessions.mode` ("cookie" or the store's
 * name): it says why the list is missing when the sessions cannot be listed.
 */
export function SessionsPage(props: {
  username: string;
  mode: string;
  sessions: UserSessionInfo[] | undefined;
  /** Sessions that cannot be listed can still be signed out (cookie mode with revocation). */
  canRevoke?: boolean;
  flash?: string | undefined;
}) {
  const others = props.sessions?.filter((s) => !s.current).length ?? 0;
  return (
    <Layout title="Active sessions">
      <Flash message={props.flash} />
      <h1>Active sessions</h1>
      {props.sessions === undefined && props.mode === "cookie" && props.canRevoke === true ? (
        <>
          <p class="muted">
            In cookie mode each session lives in its browser's cookie, so the server cannot list them; it can still sign
            them out: every other browser's cookie is refused from the next request on.
          </p>
          <form method="post" action="/sessions/revoke-others">
            <p>
              <button type="submit">Sign out everywhere else</button>
            </p>
          </form>
        </>
      ) : props.sessions === undefined ? (
        <p class="muted">
          {props.mode === "cookie"
            ? "In cookie mode each session lives only in its browser's cookie, so the server cannot list or revoke them."
            : `The ${props.mode} session store cannot list a user's sessions, so they cannot be listed or revoked here.`}
        </p>
      ) : (
        <>
          <div class="scroll">
            <table>
              <thead>
                <tr>
                  <th>Browser</th>
                  <th>Created</th>
                  <th>Last seen</th>
                </tr>
              </thead>
              <tbody>
                {props.sessions.map((s) => (
                  <tr>
                    <td>
                      {describeBrowser(s.userAgent)} {s.current ? <span class="tag">This browser</span> : null}
                    </td>
                    <td class="time" data-label="Created">
                      {formatTime(s.createdAt)}
                    </td>
                    <td class="time" data-label="Last seen">
                      {formatTime(s.lastSeenAt)}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <form method="post" action="/sessions/revoke-others">
            <p>
              <button type="submit" disabled={others === 0}>
                Sign out everywhere else
              </button>
              {others === 0 ? <span class="muted">No other sessions.</span> : null}
            </p>
          </form>
        </>
      )}
      <nav>
        <a href="/">Home</a>
        <a href="/logout">Logout</a>
      </nav>
    </Layout>
  );
}

/** 404, 413, 500 and the like: a short message, never a stack trace. */
export function ErrorPage(props: { status: number; message: string }) {
  return (
    <Layout title={`${props.status}`}>
      <h1>{props.status}</h1>
      <p>{props.message}</p>
      <nav>
        <a href="/">Home</a>
      </nav>
    </Layout>
  );
}

function formatTime(epochMs: number): string {
  return new Date(epochMs).toISOString().replace("T", " ").slice(0, 16) + " UTC";
}

/** A browser name and platform from a User-Agent header, for people rather than analytics. */
export function describeBrowser(userAgent: string | undefined): string {
  if (!userAgent) return "Unknown browser";
  const browser =
    [
      ["Edg/", "Edge"],
      ["HeadlessChrome/", "Headless Chromium"],
      ["Chrome/", "Chrome"],
      ["Firefox/", "Firefox"],
      ["Safari/", "Safari"],
      ["curl/", "curl"],
      ["node", "Node.js"],
    ].find(([marker]) => userAgent.includes(marker!))?.[1] ?? "Unknown browser";
  const platform =
    [
      ["Windows", "Windows"],
      ["Android", "Android"],
      ["iPhone", "iOS"],
      ["Mac OS X", "macOS"],
      ["Linux", "Linux"],
    ].find(([marker]) => userAgent.includes(marker!))?.[1];
  return platform ? `${browser} on ${platform}` : browser;
}
