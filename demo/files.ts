// The demo's private files: its data/ folder at 0700, the secret key and the SQLite database (with its -wal and
// -shm files) at 0600, readable by the user the demo runs as and nobody else.

import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from "node:fs";
import { dirname, resolve } from "node:path";

/** The demo's own folder, relative to where it runs; the only existing folder it ever changes the mode of. */
export const dataFolder = "data";

/**
 * Makes `folder` (and any missing parents) with mode 0700. The demo's own `data/` is also tightened when it
 * already exists; any other existing folder is left as it is (it may be shared, like /tmp).
 *
 * @example
 * privateFolder("data"); // data/ is now drwx------
 */
export function privateFolder(folder: string): void {
  // mkdir's mode passes through the umask, which can only remove bits: 0700 stays 0700 or less.
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  if (resolve(folder) === resolve(dataFolder)) chmodSync(folder, 0o700);
}

/**
 * Prepares a SQLite database path so that nobody but the owner can read a session: the folder as `privateFolder`
 * makes it, and the database file created empty (SQLite takes an empty file as a new database) or tightened to
 * 0600 before SQLite opens it. SQLite creates the -wal and -shm files with the database file's mode, and any left
 * from an earlier run are tightened here too.
 *
 * @example
 * privateDatabase("data/sessions.db");
 */
export function privateDatabase(path: string): void {
  if (path === ":memory:" || path === "") return;
  privateFolder(dirname(path));
  closeSync(openSync(path, "a", 0o600));
  for (const file of [path, `${path}-wal`, `${path}-shm`, `${path}-journal`]) {
    if (existsSync(file)) chmodSync(file, 0o600);
  }
}
