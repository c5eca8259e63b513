import { createServer } from "node:http";
import type { Sessions } from "tessera";
import { nodeSessions } from "tessera/node";

type Data = { views?: number; username?: string };

export function nodeServer(sessions: Sessions<Data>) {
  const node = nodeSessions(sessions);
  return createServer(
    node.handler(async (req, res, session) => {
      if (req.method === "POST" && req.url === "/login") {
        await session.signIn("alice"); // new session id: session fixation closed
        session.set("username", "alice");
        res.writeHead(303, { location: "/" }).end();
        return;
      }
      const views = session.update("views", (n) => (n ?? 0) + 1);
      res.end(`${session.get("username") ?? "guest"}, visit ${views}`); // committed before the head goes out
    }),
  );
}
