// The Fetch API's session, typed from TesseraSessionData with no type argument.
// Each `@ts-expect-error` names the error code `test/types.test.ts` checks the line fails with.

import { createSessions, type Session } from "tessera";
import "./session-data.js";

const sessions = createSessions({ secrets: ["an example secret that is 32 bytes or longer"] });

export async function handle(request: Request): Promise<Response> {
  const session: Session = await sessions.load(request);
  session.set("username", "alice");
  const cart = session.get("cart");
  const count: number = cart?.items.length ?? 0;
  // @ts-expect-error TS2345 a key the app never declared
  session.set("colour", "red");
  // @ts-expect-error TS2322 a declared key with the wrong type
  const views: string | undefined = session.get("views");
  // @ts-expect-error TS2542 values read are frozen: no index assignment
  if (cart) cart.items[0] = { sku: "pear", quantity: 1 };
  return sessions.commit(session, new Response(`${count} ${views}`));
}
