// Next.js's control-flow errors (redirect, notFound, forbidden, unauthorized), which are answers, not failures.

/** The `digest` prefixes of the errors `redirect()` and `notFound()`/`forbidden()`/`unauthorized()` throw. */
const answerDigestRegExp = /^(?:NEXT_REDIRECT|NEXT_HTTP_ERROR_FALLBACK);/;

/**
 * Whether `error` is one Next.js throws to answer the request (`redirect()`, `notFound()`, ...) rather than a
 * failure, by the `digest` Next gives those errors (what its own `isNextRouterError` reads; `unstable_rethrow` lives
 * in next/navigation, which a Route Handler may not import under that name from a library). Next's other internal
 * errors (dynamic rendering bail-outs while prerendering) count as failures: nothing is saved.
 *
 * @example
 * if (isNextAnswer(error)) await commitSession(sessions, session);
 */
export function isNextAnswer(error: unknown): boolean {
  const digest = (error as { digest?: unknown } | null)?.digest;
  return typeof digest === "string" && answerDigestRegExp.test(digest);
}
