"use server";
// An action that fails after changing the session: sessionAction saves none of it.
import { sessionAction } from "tessera/next";
import { sessions } from "../../lib/sessions";

export const failAfterChange = sessionAction(sessions, async (session) => {
  session.set("username", "mallory");
  throw new Error("the action failed after changing the session");
});
