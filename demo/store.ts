// SESSION_STORE to a tessera store. Each store is its own subpath, so only the chosen driver is loaded.

import type { SessionEvent, SessionsOptions, Store } from "tessera";
import { ConfigError, type DemoConfig } from "./config.js";
import { privateDatabase } from "./files.js";

/** The store for `spec`, or undefined for cookie mode. */
export async function openStore(spec: string): Promise<Store | undefined> {
  if (spec === "cookie" || spec === "flask") return undefined;
  if (spec === "memory") return (await import("tessera/stores/memory")).memoryStore();
  if (spec.startsWith("sqlite:")) {
    const path = spec.slice("sqlite:".length) || "data/sessions.db";
    // Sessions are readable by the owner only, like data/secret.key: a session row is as good as a login.
    privateDatabase(path);
    return (await import("tessera/stores/sqlite")).sqliteStore({ path });
  }
  if (/^rediss?:\/\//.test(spec)) return (await import("tessera/stores/redis")).redisStore({ url: spec });
  if (/^postgres(ql)?:\/\//.test(spec)) return (await import("tessera/stores/postgres")).postgresStore({ url: spec });
  if (spec.startsWith("memcached://")) return (await import("tessera/stores/memcached")).memcachedStore({ url: spec });
  throw new ConfigError(
    `SESSION_STORE must be sqlite:<path>, memory, cookie, flask, or a redis://, postgres:// or memcached:// URL (got a value of ${spec.length} characters)`,
  );
}

/** Where SESSION_STORE=cookie keeps its revocation records: the SQLite file the default store uses. */
export const revocationDatabase = "data/sessions.db";

/**
 * Cookie mode's codec, cookie and revocation for the configuration. With SESSION_STORE=cookie, each user's
 * revocation record lives in the demo's SQLite file, so logging out, or signing out everywhere else, refuses every
 * copy of the cookie. With SESSION_STORE=flask the session cookie is the Flask app's own `session` cookie (signed
 * with its SECRET_KEY), so a Flask app beside the demo shares its login; that app would not read revocations, so
 * there are none.
 */
export async function cookieSession(config: DemoConfig): Promise<Pick<SessionsOptions, "codec" | "cookie" | "revocation">> {
  if (config.store === "cookie") {
    privateDatabase(revocationDatabase);
    return { revocation: (await import("tessera/stores/sqlite")).sqliteStore({ path: revocationDatabase }) };
  }
  if (config.flask === undefined) return {};
  const { flaskCodec } = await import("tessera/codecs/flask");
  return { codec: flaskCodec({ secretKey: config.flask.secretKey, fallbacks: config.flask.fallbacks }), cookie: { name: "session" } };
}

/**
 * Asks the store for a session that does not exist, so an unreachable store is reported at start-up rather than
 * by the first visitor's 503. The demo still starts: pages answer 503 until the store is back. Resolves to a line
 * for the log, or undefined when the store answered; it names the error's code, never the URL.
 *
 * @example
 * const problem = await probeStore(store, "redis");
 */
export async function probeStore(store: Store, name: string, timeoutMs = 3_000): Promise<string | undefined> {
  const signal = AbortSignal.timeout(timeoutMs);
  const timedOut = new Promise<"timeout">((resolve) => signal.addEventListener("abort", () => resolve("timeout"), { once: true }));
  try {
    const answer = await Promise.race([Promise.resolve(store.get("tessera-demo-start-up-probe", { signal })), timedOut]);
    if (answer !== "timeout") return undefined;
    return `the session store (${name}) did not answer within ${timeoutMs / 1000} s: pages that need a session answer 503 until it does`;
  } catch (error) {
    const code = typeof (error as { code?: unknown }).code === "string" ? ` (${(error as { code: string }).code})` : "";
    return `the session store (${name}) is unreachable${code}: pages that need a session answer 503 until it is back`;
  }
}

/**
 * Logs store failures as they happen (the operation and error code, never a token or URL), at most once per
 * `intervalMs`, so an outage is visible in the log without flooding it.
 *
 * @example
 * createSessions({ ..., onEvent: storeErrorLogger(console.error) });
 */
export function storeErrorLogger(log: (line: string) => void, intervalMs = 10_000, now = Date.now): (event: SessionEvent) => void {
  let last = -Infinity;
  let skipped = 0;
  return (event) => {
    if (event.type !== "store_error") return;
    if (now() - last < intervalMs) {
      skipped++;
      return;
    }
    last = now();
    log(`session store error: ${event.operation} failed (${event.code})${skipped > 0 ? `; ${skipped} more since the last report` : ""}`);
    skipped = 0;
  };
}

/** How the store is described in logs: the scheme only, never credentials in a URL. */
export function describeStore(spec: string): string {
  return spec.split(":")[0] ?? spec;
}
