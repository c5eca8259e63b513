// `--store URL` to a store, through the public store subpaths, so only the driver the URL names is loaded.

import { existsSync } from "node:fs";
import type { Store } from "../index.js";
import { CliError, exitCodes } from "./command.js";

/** Options every command that opens a store takes. */
export const storeOptions = {
  store: { type: "string" },
  table: { type: "string" },
  prefix: { type: "string" },
} as const;

/** The help lines for `storeOptions`. */
export const storeHelp = `  --store URL        sqlite:<path>, redis://..., rediss://..., postgres://... or memcached://...
                     (as the demo's SESSION_STORE takes them)
  --table NAME       SQLite and PostgreSQL: the sessions table (default tessera_sessions)
  --prefix TEXT      Redis and memcached: the key prefix (default tessera:)`;

/** A store a command opened, with what its output must never show. */
export interface OpenedStore {
  store: Store;
  /** `sqlite`, `redis`, `postgres` or `memcached`: how the store is named in output (never the URL). */
  kind: string;
  /** The URL and any password in it, for redaction. */
  sensitive: string[];
}

/**
 * Opens the store `url` names, as an application would: `tessera/stores/<kind>`'s factory. A SQLite file that does
 * not exist is refused rather than created, a PostgreSQL table is never created, and no store runs its own gc timer.
 *
 * @example
 * const { store } = await openStore("sqlite:data/sessions.db", {});
 * try { await store.get(id); } finally { await store.close(); }
 */
export async function openStore(url: string | undefined, options: { table?: string | undefined; prefix?: string | undefined }): Promise<OpenedStore> {
  if (url === undefined || url === "") throw new CliError(exitCodes.usage, "`--store URL` is required");
  const sensitive = [url, ...passwordOf(url)];
  if (url.startsWith("sqlite:")) {
    if (options.prefix !== undefined) throw new CliError(exitCodes.usage, "`--prefix` is for Redis and memcached; SQLite takes `--table`");
    const path = url.slice("sqlite:".length);
    if (path === "" || path === ":memory:") throw new CliError(exitCodes.usage, "`--store sqlite:<path>` needs the database file's path");
    // An operator's typo must not leave an empty database behind (the store creates one when missing).
    if (!existsSync(path)) throw new CliError(exitCodes.refused, `no SQLite database at ${path}`);
    const { sqliteStore } = await load("sqlite", "better-sqlite3", () => import("../stores/sqlite/index.js"));
    return { store: sqliteStore({ path, table: options.table, gcInterval: false }), kind: "sqlite", sensitive };
  }
  if (/^postgres(ql)?:\/\//.test(url)) {
    if (options.prefix !== undefined) throw new CliError(exitCodes.usage, "`--prefix` is for Redis and memcached; PostgreSQL takes `--table`");
    const { postgresStore } = await load("postgres", "pg", () => import("../stores/postgres/index.js"));
    // createTable: false: a tool reads and deletes rows; it never creates the application's schema.
    const store = postgresStore({ url, table: options.table, gcInterval: false, createTable: false, maxConnections: 2 });
    return { store, kind: "postgres", sensitive };
  }
  if (/^rediss?:\/\//.test(url)) {
    if (options.table !== undefined) throw new CliError(exitCodes.usage, "`--table` is for SQLite and PostgreSQL; Redis takes `--prefix`");
    const { redisStore } = await load("redis", "redis", () => import("../stores/redis/index.js"));
    return { store: redisStore({ url, prefix: options.prefix }), kind: "redis", sensitive };
  }
  if (url.startsWith("memcached://")) {
    if (options.table !== undefined) throw new CliError(exitCodes.usage, "`--table` is for SQLite and PostgreSQL; memcached takes `--prefix`");
    const { memcachedStore } = await load("memcached", "memjs", () => import("../stores/memcached/index.js"));
    return { store: memcachedStore({ url, prefix: options.prefix }), kind: "memcached", sensitive };
  }
  throw new CliError(
    exitCodes.usage,
    `\`--store\` must be sqlite:<path>, or a redis://, rediss://, postgres:// or memcached:// URL (got a value of ${url.length} characters)`,
  );
}

/** A store subpath, or a refusal naming the driver to install when it is missing. */
async function load<T>(kind: string, driver: string, importer: () => Promise<T>): Promise<T> {
  try {
    return await importer();
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") {
      throw new CliError(exitCodes.refused, `the ${kind} store needs the \`${driver}\` package: npm install ${driver}`);
    }
    throw error;
  }
}

/** The password in a URL's userinfo (as written, and decoded), if any. */
function passwordOf(url: string): string[] {
  try {
    const password = new URL(url).password;
    return password ? [password, decodeURIComponent(password)] : [];
  } catch {
    return [];
  }
}
