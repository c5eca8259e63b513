import type { Sessions } from "tessera";

type Data = { views?: number; username?: string };

// Any Fetch API server: Bun.serve, Deno.serve, Next.js route handlers, Cloudflare-style workers.
export function fetchHandler(sessions: Sessions<Data>) {
  return async (request: Request): Promise<Response> => {
    const session = await sessions.load(request);
    if (request.method === "POST" && new URL(request.url).pathname === "/login") {
      await session.signIn("alice"); // new session id: session fixation closed
      session.set("username", "alice");
      return sessions.commit(session, new Response(null, { status: 303, headers: { location: "/" } }));
    }
    const views = session.update("views", (n) => (n ?? 0) + 1);
    return sessions.commit(session, new Response(`${session.get("username") ?? "guest"}, visit ${views}`));
  };
}
