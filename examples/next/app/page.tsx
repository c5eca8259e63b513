// A Server Component reads the session (read-only) and renders the login or logout form.
import { readSession } from "tessera/next";
import { sessions } from "../lib/sessions";
import { logIn, logOut } from "./actions";

export default async function Home() {
  const session = await readSession(sessions);
  const username = session.get("username");
  if (username === undefined) {
    return (
      <form action={logIn}>
        <p>Hello guest</p>
        <input name="username" />
        <button type="submit">Log in</button>
      </form>
    );
  }
  return (
    <form action={logOut}>
      <p>Hello {username}</p>
      <button type="submit">Log out</button>
    </form>
  );
}
