// The app's sessions: sealed in the cookie, so every route (Node.js and edge) reads the same session.
import { createSessions } from "tessera";

export type Data = { username?: string; visits?: number };

export const sessions = createSessions<Data>({
  secrets: [process.env.SECRET_KEY!],
  idleTimeout: "30m",
  absoluteTimeout: "12h",
});
