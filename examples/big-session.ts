import { createSessions, isTesseraError, type Sessions } from "tessera";

type Cart = { cart?: string[] };

// A cart kept in the cookie alone. Past the 4096 bytes one cookie holds it is split over sid.0, sid.1, ...;
// past 8 KiB in all, commit refuses it with ERR_COOKIE_TOO_LARGE and the cart stays as it was.
export function cartSessions(secret: string): Sessions<Cart> {
  return createSessions<Cart>({ secrets: [secret], cookie: { chunks: true, maxBytes: 8192 } });
}

export function cartHandler(sessions: Sessions<Cart>) {
  return async (request: Request): Promise<Response> => {
    const session = await sessions.load(request);
    if (request.method === "POST") {
      const item = String((await request.formData()).get("item") ?? "").slice(0, 200);
      session.update("cart", (cart) => [...(cart ?? []), item]);
    }
    try {
      return await sessions.commit(session, new Response(`${session.get("cart")?.length ?? 0} items`));
    } catch (error) {
      if (isTesseraError(error) && error.code === "ERR_COOKIE_TOO_LARGE") return new Response("cart full", { status: 413 });
      throw error;
    }
  };
}
