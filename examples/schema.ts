import { createSessions, isTesseraError, type Store } from "tessera";
import { z } from "zod";

// The session's data, checked on every read and at every commit that changes it; the session is typed from it.
const Data = z.object({
  cart: z.array(z.object({ sku: z.string().min(1), quantity: z.number().int().positive() })).default([]),
  username: z.string().optional(),
});

export function cartSessions(secrets: string[], store?: Store) {
  return createSessions({
    secrets,
    store,
    schema: Data,
    // Version 1 kept the cart as a list of SKUs: such sessions are migrated when read, and saved as version 2.
    dataVersion: 2,
    migrate: (data, fromVersion) =>
      fromVersion < 2 && Array.isArray(data.cart) ? { ...data, cart: data.cart.map((sku) => ({ sku, quantity: 1 })) } : data,
    // A session whose data fails is dropped for a fresh one, and reported: "invalid", "migrate_failed", ...
    onEvent: (event) => {
      if (event.type === "data_rejected") console.warn(`session data rejected: ${event.reason}`);
    },
  });
}

export function cartHandler(sessions: ReturnType<typeof cartSessions>) {
  return async (request: Request): Promise<Response> => {
    const session = await sessions.load(request);
    const sku = new URL(request.url).searchParams.get("add");
    if (request.method === "POST" && sku !== null) session.update("cart", (cart) => [...(cart ?? []), { sku, quantity: 1 }]);
    const cart = session.get("cart") ?? [];
    const body = cart.map((item) => `${item.sku} x${item.quantity}`).join(", ") || "empty";
    try {
      return await sessions.commit(session, new Response(body));
    } catch (error) {
      // Data the schema refuses (an empty SKU here) is not saved.
      if (isTesseraError(error) && error.code === "ERR_INVALID_SESSION_DATA") return new Response("bad item", { status: 400 });
      throw error;
    }
  };
}
