// Small helpers the end-to-end and manager tests share: requests with cookies, and Set-Cookie reading.

import { parseSetCookie, type SetCookie } from "cookie";

export const secret = "0123456789abcdef0123456789abcdef-current";
export const oldSecret = "fedcba9876543210fedcba9876543210-previous";

/** A Fetch API request to http://app.test (or https) carrying `cookie`, if any. */
export function request(cookie?: string, init: { url?: string; headers?: Record<string, string> } = {}): Request {
  const headers = new Headers(init.headers);
  if (cookie !== undefined) headers.set("cookie", cookie);
  return new Request(init.url ?? "http://app.test/", { headers });
}

/** Every Set-Cookie of a response, parsed. */
export function setCookies(response: Response): SetCookie[] {
  return response.headers.getSetCookie().map((header) => parseSetCookie(header));
}

/** The one Set-Cookie for `name`, or undefined; fails when there are several. */
export function setCookieFor(response: Response, name = "sid"): SetCookie | undefined {
  const found = setCookies(response).filter((cookie) => cookie.name === name);
  if (found.length > 1) throw new Error(`${found.length} Set-Cookie headers for ${name}`);
  return found[0];
}

/** `name=value` for the next request's Cookie header, from a response that set the cookie. */
export function cookieHeader(response: Response, name = "sid"): string {
  const cookie = setCookieFor(response, name);
  if (!cookie?.value) throw new Error(`response set no ${name} cookie`);
  return `${name}=${cookie.value}`;
}

/** A clock tests move by hand. */
export function manualClock(start = Date.UTC(2026, 0, 1)): { now: () => number; advance: (ms: number) => void } {
  let time = start;
  return { now: () => time, advance: (ms) => (time += ms) };
}

/** The Cookie header a browser would send next: the cookie set by `response`, none if it was cleared, else `previous`. */
export function nextCookie(response: Response, previous: string | undefined, name = "sid"): string | undefined {
  const cookie = setCookieFor(response, name);
  if (cookie === undefined) return previous;
  return cookie.value ? `${name}=${cookie.value}` : undefined;
}
