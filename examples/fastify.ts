import Fastify from "fastify";
import type { Sessions } from "tessera";
import { fastifySessions } from "tessera/fastify";

// request.session is typed from TesseraSessionData (examples/session-data.ts): { views?: number; username?: string }.
export async function fastifyApp(sessions: Sessions) {
  const fastify = Fastify();
  await fastify.register(fastifySessions, { sessions });
  fastify.get("/", async (request) => {
    const views = request.session.update("views", (n) => (n ?? 0) + 1);
    return `${request.session.get("username") ?? "guest"}, visit ${views}`;
  });
  fastify.post("/login", async (request, reply) => {
    await request.session.signIn("alice"); // new session id: session fixation closed
    request.session.set("username", "alice");
    return reply.redirect("/", 303);
  });
  return fastify;
}
