import express from "express";
import type { Sessions } from "tessera";
import { expressSessions } from "tessera/express";

// req.session is typed from TesseraSessionData (examples/session-data.ts): { views?: number; username?: string }.
export function expressApp(sessions: Sessions) {
  const app = express();
  app.use(expressSessions(sessions));
  app.get("/", (req, res) => {
    req.session.views = (req.session.views ?? 0) + 1; // express-session style, or req.session.update(...)
    res.send(`${req.session.username ?? "guest"}, visit ${req.session.views}`);
  });
  app.post("/login", async (req, res) => {
    await req.session.signIn("alice"); // new session id: session fixation closed
    req.session.username = "alice";
    res.redirect(303, "/");
  });
  return app;
}
