// The same counter on the edge runtime: tessera's root entry runs on Web Crypto, so the sealed cookie is shared.
import { withSession } from "tessera/next";
import { sessions } from "../../../lib/sessions";

export const runtime = "edge";

export const GET = withSession(sessions, async (_request, session) => {
  const visits = session.update("visits", (n) => (n ?? 0) + 1);
  return Response.json({ username: session.get("username") ?? null, visits, runtime: "edge" });
});
