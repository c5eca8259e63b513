// What a commit asks of the response: Set-Cookie values, Vary and Cache-Control.

/** What a commit asks of the response. Adapters write it with their framework's header API. */
export interface ResponseChanges {
  /** `Set-Cookie` header values to append. */
  setCookie: string[];
  /** Always true: the response depends on the `Cookie` header, so add `Vary: Cookie`. */
  vary: true;
  /** True when a session cookie is set or cleared (or a failed request's session was not saved): add `Cache-Control: no-store`. */
  noStore: boolean;
}

/** A commit that changes no cookie. */
export const unchanged: ResponseChanges = Object.freeze({ setCookie: [], vary: true, noStore: false }) as ResponseChanges;

/**
 * A commit that sets or clears the cookie with `header`.
 *
 * @example
 * return setting(cookies.clear(state, now));
 */
export function setting(header: string): ResponseChanges {
  return { setCookie: [header], vary: true, noStore: true };
}
