"use server";
// Server Actions: sessionAction saves the session when the action returns or redirects.
import { redirect } from "next/navigation";
import { commitSession, getSession, sessionAction } from "tessera/next";
import { sessions } from "../lib/sessions";

export const logIn = sessionAction(sessions, async (session, form: FormData) => {
  const username = String(form.get("username") ?? "").trim();
  if (!/^[\w.-]{1,64}$/.test(username)) redirect("/?error=username");
  await session.signIn(username); // a new session id: session fixation closed
  session.set("username", username);
  redirect("/");
});

// The same with the calls spelled out: getSession, then commitSession before redirect() ends the action.
export async function logOut(): Promise<void> {
  const session = await getSession(sessions);
  await session.destroy();
  await commitSession(sessions, session);
  redirect("/");
}
