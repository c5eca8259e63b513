import { createSessions, type Store } from "tessera";

type Cart = { cart?: string[] };

// Store mode with renewal: the token in the cookie is replaced once it is 15 minutes old, without the user
// noticing; requests still carrying the old one succeed for 30 seconds (and get the new cookie), then it is dead.
export function cartSessions(store: Store, secret: string, clock?: () => number) {
  return createSessions<Cart>({
    secrets: [secret],
    store,
    renewAfter: "15m",
    renewalGrace: "30s",
    clock, // leave out: Date.now (tests move time with it)
  });
}

// Any Fetch API server: POST /cart?item=book adds to the cart, GET /cart shows it.
export function cartHandler(sessions: ReturnType<typeof cartSessions>) {
  return async (request: Request): Promise<Response> => {
    const session = await sessions.load(request);
    const item = new URL(request.url).searchParams.get("item");
    if (request.method === "POST" && item !== null) session.update("cart", (cart) => [...(cart ?? []), item]);
    return sessions.commit(session, Response.json(session.get("cart") ?? []));
  };
}
