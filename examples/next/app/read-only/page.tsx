// A Server Component cannot set a cookie: a change there is refused with ERR_SESSION_READ_ONLY, naming the fix.
import { isTesseraError } from "tessera";
import { getSession, readSession } from "tessera/next";
import { sessions } from "../../lib/sessions";

export default async function ReadOnly() {
  const session = await readSession(sessions);
  const refused: string[] = [];
  for (const attempt of [() => (session as unknown as { set(k: string, v: number): void }).set("visits", 0), () => getSession(sessions)]) {
    try {
      await attempt();
    } catch (error) {
      if (isTesseraError(error)) refused.push(error.code);
    }
  }
  return (
    <p>
      {session.get("username") ?? "guest"}: {refused.join(" ")}
    </p>
  );
}
