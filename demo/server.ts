// The seed's app on tessera, minimal for now: log in, greet, log out, over node:http with sessions in SQLite.

import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { createSessions } from "tessera";
import { nodeSessions } from "tessera/node";
import { sqliteStore } from "tessera/stores/sqlite";

/** The secret from SECRET_KEY, or one generated once into data/secret.key for development. */
function secretKey(): string {
  if (process.env.SECRET_KEY) return process.env.SECRET_KEY;
  if (process.env.NODE_ENV === "production") {
    console.error("SECRET_KEY must be set in production (at least 32 bytes); generate one with: openssl rand -base64 32");
    process.exit(1);
  }
  const file = "data/secret.key";
  if (!existsSync(file)) {
    mkdirSync("data", { recursive: true });
    writeFileSync(file, randomBytes(32).toString("base64url"), { mode: 0o600 });
    console.warn(`No SECRET_KEY set: generated one in ${file} for development.`);
  }
  chmodSync(file, 0o600);
  return readFileSync(file, "utf8").trim();
}

const sessions = createSessions<{ username?: string }>({
  secrets: [secretKey()],
  store: sqliteStore({ path: "data/sessions.db" }),
});

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const server = createServer(
  nodeSessions(sessions).handler(async (req, res, session) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    res.setHeader("Content-Type", "text/html; charset=utf-8");
    if (url.pathname === "/" && session.has("username")) {
      res.end(`<h1>Hello ${escape(session.get("username")!)}!</h1><a href="/logout">Logout</a>`);
    } else if (url.pathname === "/login" && req.method === "POST") {
      const body = new URLSearchParams(await new Response(req as unknown as ReadableStream).text().catch(() => ""));
      const username = (body.get("username") ?? "").trim().slice(0, 64);
      if (username) {
        await session.signIn(username);
        session.set("username", username);
      }
      res.writeHead(303, { Location: "/" }).end();
    } else if (url.pathname === "/logout") {
      await session.destroy();
      res.writeHead(303, { Location: "/login" }).end();
    } else if (url.pathname === "/" || url.pathname === "/login") {
      res.end('<form method="post" action="/login"><p>Username: <input name="username"></p><p><input type="submit" value="Login"></p></form>');
    } else {
      res.statusCode = 404;
      res.end("<h1>Not found</h1>");
    }
  }),
);

const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? "127.0.0.1";
server.listen(port, host, () => console.log(`tessera demo on http://${host}:${port}/`));
const stop = () => server.close(() => void sessions.close().then(() => process.exit(0)));
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
