/** @jsxRuntime automatic @jsxImportSource hono/jsx */
// The demo's pages: the tutorial's index and login templates, plus logout, active sessions and error pages.
// hono/jsx escapes every interpolated value, so nothing a visitor sends is ever markup. No page has a script, an
// event handler attribute or inline style, so the Content-Security-Policy can forbid all three.

import type { Child } from "hono/jsx";
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
.muted { color: var(--muted); }
.tag { white-space: nowrap; font-size: .8rem; padding: .1rem .5rem; border-radius: 999px; background: #e6f4ea; }
`;

function Layout(props: { title: string; children: Child }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{props.title}</title>
        <link rel="stylesheet" href="/style.css" />
      </head>
      <body>
        <main>{props.children}</main>
      </body>
    </html>
  );
}

function Flash(props: { message: string | undefined }) {
  return props.message ? (
    <p class="flash" role="status">
      {props.message}
    </p>
  ) : null;
}

/** The tutorial's index.html: a greeting and a Logout link (to the page with the button), or a Login link. */
export function IndexPage(props: { username: string | undefined; flash?: string | undefined; signedIn?: boolean }) {
  return (
    <Layout title="Index">
      <Flash message={props.flash} />
      {props.username ? (
        <>
          <h1>Hello {props.username}!</h1>
          <a href="/logout">Logout</a>
        </>
      ) : (
        <>
          <p>Please log in.</p>
          <a href="/login">Login</a>
        </>
      )}
      <nav>
        <a href="/setcookie">Set Cookie</a>
        <a href="/getcookie">Get Cookie</a>
        {props.signedIn ? <a href="/sessions">Active sessions</a> : null}
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
 * site cannot do it. `copiesEnded` says whether the server can end copies of the cookie (store mode) or not
 * (cookie mode: the session lives in the cookie, and a copy stays valid until it expires).
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

/** The signed-in user's sessions, with "sign out everywhere else". */
export function SessionsPage(props: { username: string; sessions: UserSessionInfo[] | undefined; flash?: string | undefined }) {
  const others = props.sessions?.filter((s) => !s.current).length ?? 0;
  return (
    <Layout title="Active sessions">
      <Flash message={props.flash} />
      <h1>Active sessions</h1>
      {props.sessions === undefined ? (
        <p class="muted">This session store cannot list a user's sessions (cookie mode keeps them only in the browser), so they cannot be listed or revoked here.</p>
      ) : (
        <>
          <table>
            <thead>
              <tr>
                <th>Browser</th>
                <th>Created</th>
                <th>Last seen</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {props.sessions.map((s) => (
                <tr>
                  <td>{describeBrowser(s.userAgent)}</td>
                  <td>{formatTime(s.createdAt)}</td>
                  <td>{formatTime(s.lastSeenAt)}</td>
                  <td>{s.current ? <span class="tag">This browser</span> : null}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <form method="post" action="/sessions/revoke-others">
            <button type="submit" disabled={others === 0}>
              Sign out everywhere else
            </button>
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
