import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs } from "react-router";
import type { Sessions } from "tessera";
import { createTesseraSessionStorage } from "tessera/react-router";

type Data = { username: string; visits: number };
type Flash = { notice: string };

// Route modules' loaders and actions, unchanged from React Router's own session storages but for where it comes from.
export function sessionRoutes(sessions: Sessions) {
  const { getSession, commitSession, destroySession } = createTesseraSessionStorage<Data, Flash>(sessions);
  return {
    async homeLoader({ request }: LoaderFunctionArgs) {
      const session = await getSession(request.headers.get("Cookie"));
      session.set("visits", (session.get("visits") ?? 0) + 1);
      const page = { username: session.get("username") ?? "guest", visits: session.get("visits"), notice: session.get("notice") };
      return data(page, { headers: { "Set-Cookie": await commitSession(session) } });
    },
    async loginAction({ request }: ActionFunctionArgs) {
      const session = await getSession(request.headers.get("Cookie"));
      const username = String((await request.formData()).get("username") ?? "");
      if (!/^[\w.-]{1,64}$/.test(username)) return data({ error: "bad username" }, { status: 400 });
      await session.signIn(username); // new session id: session fixation closed
      session.set("username", username);
      session.flash("notice", `Welcome, ${username}`);
      return redirect("/", { headers: { "Set-Cookie": await commitSession(session) } });
    },
    async logoutAction({ request }: ActionFunctionArgs) {
      const session = await getSession(request.headers.get("Cookie"));
      return redirect("/", { headers: { "Set-Cookie": await destroySession(session) } });
    },
  };
}
