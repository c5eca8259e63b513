import { createSessions, type Sessions } from "tessera";
import { sqliteStore } from "tessera/stores/sqlite";

type Account = { username?: string };

// Cookie mode where sign-out holds: the session stays in the cookie, and one small record per user in SQLite refuses
// every copy of a cookie signed out. Each process re-reads a user's record at most every 5 seconds.
export function accountSessions(secret: string, path: string): Sessions<Account> {
  return createSessions<Account>({ secrets: [secret], revocation: { store: sqliteStore({ path }), cacheFor: "5s" } });
}

export function accountHandler(sessions: Sessions<Account>) {
  return async (request: Request): Promise<Response> => {
    const session = await sessions.load(request);
    const action = request.method === "POST" ? new URL(request.url).pathname : "";
    if (action === "/login") {
      const username = String((await request.formData()).get("username")); // after checking the password
      await session.signIn(username);
      session.set("username", username);
    } else if (action === "/logout") {
      await session.destroy(); // a stolen copy of this cookie is refused too, on every process
    } else if (action === "/logout-others" && session.userId !== undefined) {
      await sessions.revokeUserSessions(session.userId, { except: session });
    }
    return sessions.commit(session, new Response(session.get("username") ?? "guest"));
  };
}
