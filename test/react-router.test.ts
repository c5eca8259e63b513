// tessera/react-router under React Router's own createRequestHandler: a small server build whose routes' loaders and
// actions use the SessionStorage as they would React Router's (examples/react-router.ts), driven with Requests.

import { createRequestHandler, createSession, isSession, type EntryContext, type ServerBuild } from "react-router";
import { createSessions, isTesseraError } from "tessera";
import { createTesseraSessionStorage } from "tessera/react-router";
import { memoryStore } from "tessera/stores/memory";
import { describe, expect, it } from "vitest";
import { sessionRoutes } from "../examples/react-router.js";
import { secret } from "./helpers.js";

/** A server build as `react-router build` makes one, reduced to the routes and a document renderer. */
function serverBuild(routes: ReturnType<typeof sessionRoutes>): ServerBuild {
  const home = { loader: routes.homeLoader, default: () => null };
  return {
    entry: {
      module: {
        // The document: the matched loaders' data as JSON, with the headers React Router merged (Set-Cookie among them).
        default: (_request: Request, status: number, headers: Headers, context: EntryContext) =>
          new Response(JSON.stringify(context.staticHandlerContext.loaderData), { status, headers }),
      },
    },
    routes: {
      root: { id: "root", path: "", module: { default: () => null } },
      "routes/home": { id: "routes/home", parentId: "root", index: true, module: home },
      "routes/login": { id: "routes/login", parentId: "root", path: "login", module: { action: routes.loginAction } },
      "routes/logout": { id: "routes/logout", parentId: "root", path: "logout", module: { action: routes.logoutAction } },
    },
    assets: { entry: { imports: [], module: "" }, routes: {}, url: "", version: "1" },
    publicPath: "/",
    assetsBuildDirectory: "build/client",
    future: {},
    ssr: true,
    isSpaMode: false,
    prerender: [],
    routeDiscovery: { mode: "lazy", manifestPath: "/__manifest" },
  } as unknown as ServerBuild;
}

const origin = "https://app.test";

describe.each(["cookie mode", "store mode"])("tessera/react-router (%s)", (mode) => {
  const setup = () => {
    const sessions = createSessions({ secrets: [secret], store: mode === "store mode" ? memoryStore() : undefined });
    const handle = createRequestHandler(serverBuild(sessionRoutes(sessions)), "production");
    const home = async (cookie?: string) => {
      const response = await handle(new Request(`${origin}/`, { headers: cookie ? { cookie } : {} }));
      const loaderData = (await response.json()) as Record<string, { username: string; visits: number; notice?: string }>;
      return { response, page: loaderData["routes/home"]! };
    };
    const post = (path: string, cookie?: string, fields: Record<string, string> = {}) =>
      handle(new Request(`${origin}${path}`, { method: "POST", body: new URLSearchParams(fields), headers: { origin, ...(cookie ? { cookie } : {}) } }));
    return { sessions, home, post };
  };
  /** `__Host-sid=value` from a response that set the cookie. */
  const cookieOf = (response: Response): string => {
    const header = response.headers.getSetCookie().find((h) => h.startsWith("__Host-sid="));
    expect(header).toBeDefined();
    return header!.split(";")[0]!;
  };
  /** The cookie a browser sends next: the one `response` set, else `previous` (store mode sets none when the id stays). */
  const browserCookie = (response: Response, previous: string): string =>
    response.headers.getSetCookie().length > 0 ? cookieOf(response) : previous;

  it("signs in with a new session id, leaves a flash read once, and keeps the data", async () => {
    const { home, post } = setup();
    const first = await home();
    expect(first.page).toEqual({ username: "guest", visits: 1 });
    const anonymous = cookieOf(first.response);
    expect(first.response.headers.getSetCookie()[0]).toMatch(/; HttpOnly; Secure; SameSite=Lax$/);

    const login = await post("/login", anonymous, { username: "alice" });
    expect(login.status).toBe(302);
    expect(login.headers.get("location")).toBe("/");
    const signedIn = cookieOf(login);
    expect(signedIn).not.toBe(anonymous);

    const welcome = await home(signedIn);
    expect(welcome.page).toEqual({ username: "alice", visits: 2, notice: "Welcome, alice" });
    const next = await home(browserCookie(welcome.response, signedIn));
    expect(next.page).toEqual({ username: "alice", visits: 3 }); // the flash was read once
  });

  it("logs out with destroySession: the cookie is cleared and the session is gone", async () => {
    const { home, post } = setup();
    const signedIn = cookieOf(await post("/login", undefined, { username: "bob" }));
    const logout = await post("/logout", signedIn);
    expect(logout.status).toBe(302);
    expect(logout.headers.getSetCookie()[0]).toMatch(/^__Host-sid=; Max-Age=0;/);
    expect((await home()).page.username).toBe("guest");
    if (mode === "store mode") expect((await home(signedIn)).page).toEqual({ username: "guest", visits: 1 });
  });

  it("treats a tampered cookie as a new visitor", async () => {
    const { home, post } = setup();
    const signedIn = cookieOf(await post("/login", undefined, { username: "carol" }));
    const flipped = signedIn.slice(0, -1) + (signedIn.endsWith("A") ? "B" : "A");
    expect((await home(flipped)).page).toEqual({ username: "guest", visits: 1 });
  });

  it("refuses a bad login with the action's own 400 and no cookie", async () => {
    const { post } = setup();
    const response = await post("/login", undefined, { username: "" });
    expect(response.status).toBe(400);
    expect(response.headers.getSetCookie()).toEqual([]);
  });

  it("gives React Router Session objects: isSession, id, data with flash keys, has without reading", async () => {
    const { sessions, post } = setup();
    const storage = createTesseraSessionStorage<{ username: string }, { notice: string }>(sessions);
    const cookie = cookieOf(await post("/login", undefined, { username: "dave" }));
    const session = await storage.getSession(cookie);
    expect(isSession(session)).toBe(true);
    expect(session.id).toBe("");
    expect(session.userId).toBe("dave");
    expect(session.data).toEqual({ username: "dave", __flash_notice__: "Welcome, dave" });
    expect(session.has("notice")).toBe(true);
    expect(session.has("notice")).toBe(true);
    expect(session.get("notice")).toBe("Welcome, dave");
    expect(session.has("notice")).toBe(false);
    expect(session.get("notice")).toBeUndefined();
    session.unset("username");
    expect(session.data).toEqual({});
  });

  it("commits nothing for an unchanged session: an empty Set-Cookie value", async () => {
    const { sessions } = setup();
    const storage = createTesseraSessionStorage(sessions);
    expect(await storage.commitSession(await storage.getSession(null))).toBe("");
  });

  it("refuses a session it did not make, with a typed error", async () => {
    const { sessions } = setup();
    const storage = createTesseraSessionStorage(sessions);
    const error = await storage.commitSession(createSession({ username: "eve" })).catch((caught: unknown) => caught);
    expect(isTesseraError(error) && error.code).toBe("ERR_INVALID_SESSION_DATA");
  });

  it("issues the plain cookie with secure: false, for development over http", async () => {
    const { sessions } = setup();
    const storage = createTesseraSessionStorage<{ n: number }>(sessions, { secure: false });
    const session = await storage.getSession(null);
    session.set("n", 1);
    expect(await storage.commitSession(session)).toMatch(/^sid=[^;]+; Max-Age=\d+; Path=\/; Expires=[^;]+; HttpOnly; SameSite=Lax$/);
  });
});

describe("the store-mode sign-in", () => {
  it("retires the anonymous session's id: a cookie planted before sign-in is worthless after (session fixation)", async () => {
    const sessions = createSessions({ secrets: [secret], store: memoryStore() });
    const handle = createRequestHandler(serverBuild(sessionRoutes(sessions)), "production");
    const first = await handle(new Request(`${origin}/`));
    const planted = first.headers.getSetCookie()[0]!.split(";")[0]!;
    const login = await handle(
      new Request(`${origin}/login`, { method: "POST", body: new URLSearchParams({ username: "alice" }), headers: { origin, cookie: planted } }),
    );
    expect(login.headers.getSetCookie()[0]!.split(";")[0]).not.toBe(planted);
    const replay = (await (await handle(new Request(`${origin}/`, { headers: { cookie: planted } }))).json()) as Record<string, { username: string }>;
    expect(replay["routes/home"]!.username).toBe("guest");
  });
});
