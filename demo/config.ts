// The demo's configuration, read from the environment with safe defaults.

import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { Duration } from "tessera";
import { privateFolder } from "./files.js";

export interface DemoConfig {
  port: number;
  host: string;
  secrets: string[];
  /** `sqlite:<path>`, `memory`, `cookie`, `flask`, or a `redis://`, `postgres://` or `memcached://` URL. */
  store: string;
  /** With `SESSION_STORE=flask`: the Flask app's SECRET_KEY and its older keys, which sign and verify the cookie. */
  flask: { secretKey: string; fallbacks: string[] } | undefined;
  idleTimeout: Duration | undefined;
  absoluteTimeout: Duration | undefined;
  /** How many proxies in front are believed about the scheme (0: none). */
  trustProxy: number;
  /** Printed once at start-up (never contains a secret). */
  warnings: string[];
}

/** A configuration the demo refuses to start with; the message says what to set. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

const secretFile = "data/secret.key";

/**
 * Reads PORT, HOST, SECRET_KEY, SECRET_KEY_FALLBACKS, SESSION_STORE, FLASK_SECRET_KEY, FLASK_SECRET_KEY_FALLBACKS,
 * SESSION_IDLE_TIMEOUT, SESSION_ABSOLUTE_TIMEOUT and TRUST_PROXY. In development a missing SECRET_KEY is generated once into
 * data/secret.key (mode 0600, in data/ at 0700); in production it stops the start.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): DemoConfig {
  const warnings: string[] = [];
  const production = env.NODE_ENV === "production";
  let secret = env.SECRET_KEY;
  if (!secret) {
    if (production) {
      throw new ConfigError("SECRET_KEY must be set when NODE_ENV=production (32 bytes or more; try: openssl rand -base64 32)");
    }
    secret = developmentSecret(warnings);
  }
  const fallbacks = list(env.SECRET_KEY_FALLBACKS);
  const store = env.SESSION_STORE || "sqlite:data/sessions.db";
  let flask: DemoConfig["flask"];
  if (store === "flask") {
    // The Flask app's key, not ours: there is nothing to generate, the two apps must hold the same one.
    if (!env.FLASK_SECRET_KEY) throw new ConfigError("FLASK_SECRET_KEY must be set with SESSION_STORE=flask: the SECRET_KEY of the Flask app that shares the cookie");
    flask = { secretKey: env.FLASK_SECRET_KEY, fallbacks: list(env.FLASK_SECRET_KEY_FALLBACKS) };
  }
  const port = Number(env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError("PORT must be a port number");
  return {
    port,
    host: env.HOST || "127.0.0.1",
    secrets: [secret, ...fallbacks],
    store,
    flask,
    idleTimeout: duration(env.SESSION_IDLE_TIMEOUT),
    absoluteTimeout: duration(env.SESSION_ABSOLUTE_TIMEOUT),
    trustProxy: proxyHops(env.TRUST_PROXY),
    warnings,
  };
}

function developmentSecret(warnings: string[]): string {
  privateFolder(dirname(secretFile));
  if (!existsSync(secretFile)) {
    writeFileSync(secretFile, `${randomBytes(32).toString("base64url")}\n`, { mode: 0o600 });
    warnings.push(`SECRET_KEY is not set: generated a development key in ${secretFile}. Set SECRET_KEY in production.`);
  } else {
    warnings.push(`SECRET_KEY is not set: using the development key in ${secretFile}.`);
  }
  chmodSync(secretFile, 0o600);
  return readFileSync(secretFile, "utf8").trim();
}

/** A comma-separated list of keys, blanks dropped. */
function list(value: string | undefined): string[] {
  return (value ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

/** TRUST_PROXY: unset, "0" or "false" for none, "true" for one, or a number of proxies. */
function proxyHops(value: string | undefined): number {
  if (value === undefined || value === "" || value === "false") return 0;
  if (value === "true") return 1;
  if (/^\d{1,2}$/.test(value)) return Number(value);
  throw new ConfigError("TRUST_PROXY must be true, false or the number of proxies in front (0 to 99)");
}

/** "30m", "12h" or a number of seconds; tessera checks the value itself. */
function duration(value: string | undefined): Duration | undefined {
  if (value === undefined || value === "") return undefined;
  return (/^\d+(\.\d+)?$/.test(value) ? Number(value) : value) as Duration;
}
