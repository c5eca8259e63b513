// What every adapter shares: the scheme a request came over, and the one way a commit's headers are written.

import type { ResponseChanges } from "../manager/changes.js";

/**
 * Whether a request reached the first trusted proxy over HTTPS, from the `X-Forwarded-Proto` list: each proxy
 * appends what it saw, so with `hops` trusted proxies the entry `hops` from the right is the outermost trusted
 * one's. A list shorter than that (a proxy that overwrites instead of appending) is read from its first entry.
 * Entries further left were written by the client and are never believed.
 *
 * @example
 * forwardedSecure(false, "http, https", 1); // true: the one trusted proxy saw https
 * forwardedSecure(false, "https, http", 1); // false: "https" was the client's
 */
export function forwardedSecure(connectionSecure: boolean, header: string | null | undefined, hops: number): boolean {
  if (hops === 0 || !header) return connectionSecure;
  const entries = header.split(",");
  const entry = entries[Math.max(0, entries.length - hops)]!.trim().toLowerCase();
  return entry === "" ? connectionSecure : entry === "https";
}

/** A `Vary` list that names Cookie (or `*`). */
const varyCookieRegExp = /(^|,)\s*(cookie|\*)\s*(,|$)/i;

/**
 * The `Vary` header value to set so that it includes Cookie, or `undefined` when it already does.
 *
 * @example
 * varyWithCookie("Accept-Encoding"); // "Accept-Encoding, Cookie"
 */
export function varyWithCookie(vary: string | null | undefined): string | undefined {
  if (!vary) return "Cookie";
  return varyCookieRegExp.test(vary) ? undefined : `${vary}, Cookie`;
}

/** A response's headers as a framework exposes them: what `writeChanges` needs. */
export interface HeaderTarget {
  /** The current `Vary` value, several joined with ", ". */
  vary(): string | undefined;
  /** Sets a header, replacing its value. */
  set(name: "vary" | "cache-control", value: string): void;
  /** Adds `Set-Cookie` values, keeping those the application already set. */
  appendSetCookie(values: readonly string[]): void;
}

/**
 * Writes a commit's changes: `Vary: Cookie` always, `Set-Cookie` values added, `Cache-Control: no-store` when a
 * cookie was set or cleared. Every adapter writes through here, with its framework's header API.
 *
 * @example
 * writeChanges(changes, { vary: () => headers.get("vary") ?? undefined, set: (n, v) => headers.set(n, v), appendSetCookie: (l) => l.forEach((v) => headers.append("set-cookie", v)) });
 */
export function writeChanges(changes: ResponseChanges, target: HeaderTarget): void {
  const vary = varyWithCookie(target.vary());
  if (vary !== undefined) target.set("vary", vary);
  if (changes.setCookie.length > 0) target.appendSetCookie(changes.setCookie);
  if (changes.noStore) target.set("cache-control", "no-store");
}

/**
 * A header value as node:http and Fastify give it (a string, a number or a list) as one string.
 *
 * @example
 * joined(res.getHeader("vary")); // "Accept-Encoding, Cookie"
 */
export function joined(value: string | number | readonly string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(", ") : value === undefined ? undefined : String(value);
}
