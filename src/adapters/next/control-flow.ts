// Next.js's control-flow errors (redirect, notFound, forbidden, unauthorized), which are answers, not failures.

import { unstable_rethrow } from "next/navigation.js";

/**
 * Whether `error` is one Next.js throws to answer the request (`redirect()`, `notFound()`, ...) rather than a
 * failure. Next's own test for it is `unstable_rethrow`, which throws such errors again and ignores the rest.
 *
 * @example
 * if (isNextAnswer(error)) await commitSession(sessions, session);
 */
export function isNextAnswer(error: unknown): boolean {
  try {
    unstable_rethrow(error);
    return false;
  } catch {
    return true;
  }
}
