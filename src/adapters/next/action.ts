// sessionAction: a Server Action that gets the session and has it saved when it returns or redirects.

import type { SessionData } from "../../core/data.js";
import { sessionState, type Session } from "../../core/session.js";
import type { SessionManager } from "../../manager/sessions.js";
import { isNextAnswer } from "./control-flow.js";
import { commitSession, getSession } from "./session.js";

/**
 * Wraps a Server Action so it receives the session first and the session is saved when the action ends: when it
 * returns, and when it calls `redirect()` or `notFound()` (Next's way of answering, which sets the cookie on that
 * answer). When it throws anything else, nothing it did to the session is saved but a destroy. The commit happens
 * inside the action, before Next renders its answer: after that no cookie can be set (`after()` is too late).
 *
 * @example
 * "use server";
 * export const logIn = sessionAction(sessions, async (session, form: FormData) => {
 *   await session.signIn(String(form.get("username")));
 *   redirect("/");
 * });
 */
export function sessionAction<D extends SessionData, A extends unknown[], R>(
  sessions: SessionManager<D>,
  action: (session: Session<D>, ...args: A) => Promise<R>,
): (...args: A) => Promise<R> {
  return async (...args: A): Promise<R> => {
    const session = await getSession(sessions);
    let result: R;
    try {
      result = await action(session, ...args);
    } catch (error) {
      if (!session[sessionState].committed) {
        const answered = isNextAnswer(error);
        try {
          await commitSession(sessions, session, { failed: !answered });
        } catch (commitError) {
          if (answered) throw commitError;
        }
      }
      throw error;
    }
    if (!session[sessionState].committed) await commitSession(sessions, session);
    return result;
  };
}
