// A Route Handler: withSession loads the session and commits it onto the Response.
import { withSession } from "tessera/next";
import { sessions } from "../../../lib/sessions";

export const GET = withSession(sessions, async (_request, session) => {
  const visits = session.update("visits", (n) => (n ?? 0) + 1);
  return Response.json({ username: session.get("username") ?? null, visits });
});
