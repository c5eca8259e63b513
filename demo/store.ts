// SESSION_STORE to a tessera store. Each store is its own subpath, so only the chosen driver is loaded.

import type { SessionsOptions, Store } from "tessera";
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

/**
 * Cookie mode's codec and cookie for the configuration: with SESSION_STORE=flask the session cookie is the Flask
 * app's own `session` cookie (signed with its SECRET_KEY), so a Flask app beside the demo shares its login.
 */
export async function cookieSession(config: DemoConfig): Promise<Pick<SessionsOptions, "codec" | "cookie">> {
  if (config.flask === undefined) return {};
  const { flaskCodec } = await import("tessera/codecs/flask");
  return { codec: flaskCodec({ secretKey: config.flask.secretKey, fallbacks: config.flask.fallbacks }), cookie: { name: "session" } };
}

/** How the store is described in logs: the scheme only, never credentials in a URL. */
export function describeStore(spec: string): string {
  return spec.split(":")[0] ?? spec;
}
