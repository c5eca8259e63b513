import { Hono } from "hono";
import type { Sessions } from "tessera";
import { honoSessions, type SessionEnv } from "tessera/hono";

type Data = { views?: number; username?: string };

export function honoApp(sessions: Sessions<Data>) {
  const app = new Hono<SessionEnv<Data>>();
  app.use(honoSessions(sessions));
  app.get("/", (c) => {
    const session = c.get("session"); // Session<Data>
    const views = session.update("views", (n) => (n ?? 0) + 1);
    return c.text(`${session.get("username") ?? "guest"}, visit ${views}`);
  });
  app.post("/login", async (c) => {
    await c.get("session").signIn("alice"); // new session id: session fixation closed
    c.get("session").set("username", "alice");
    return c.redirect("/", 303);
  });
  return app;
}
