// request.session under Fastify, typed from TesseraSessionData.
// Each `@ts-expect-error` names the error code `test/types.test.ts` checks the line fails with.

import Fastify from "fastify";
import { createSessions } from "tessera";
import { fastifySessions } from "tessera/fastify";
import "./session-data.js";

export async function fastifyApp() {
  const sessions = createSessions({ secrets: ["an example secret that is 32 bytes or longer"] });
  const fastify = Fastify();
  await fastify.register(fastifySessions, { sessions });
  fastify.get("/", async (request) => {
    const views = request.session.update("views", (n) => (n ?? 0) + 1);
    const total: number = views;
    request.session.update("cart", (cart) => ({ items: [...(cart?.items ?? []), { sku: "apple", quantity: 1 }] }));
    const name: string | undefined = request.session.get("username");
    // @ts-expect-error TS2345 a key the app never declared
    request.session.get("colour");
    // @ts-expect-error TS2345 a declared key with the wrong type
    request.session.set("username", 42);
    // @ts-expect-error TS2339 values read are frozen: no push
    request.session.get("cart")?.items.push({ sku: "pear", quantity: 1 });
    // @ts-expect-error TS2339 update hands the frozen value: build a new one instead
    request.session.update("cart", (cart) => (cart?.items.push({ sku: "pear", quantity: 1 }), { items: [] }));
    return `${name} ${total}`;
  });
  return fastify;
}
