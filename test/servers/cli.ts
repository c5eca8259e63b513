// Runs the built `tessera` binary as a child process, as an operator would, and checks that nothing it prints
// holds a secret or a token the test registered.

import { execFile, execFileSync } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";

const root = fileURLToPath(new URL("../..", import.meta.url));

/** The bin as package.json names it (`dist/cli/main.js`). */
export const bin = join(root, (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { bin: Record<string, string> }).bin.tessera!);

function newestSource(folder: string): number {
  let newest = 0;
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts")) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * Builds dist/ when the bin is missing or older than a source file. `npm test` builds first (pretest), so this only
 * runs when a test file is run on its own after a change.
 */
export function ensureBuilt(): void {
  let built = 0;
  try {
    built = statSync(bin).mtimeMs;
  } catch {
    // Not built yet.
  }
  if (built < newestSource(join(root, "src"))) execFileSync("npm", ["run", "build"], { cwd: root, stdio: "ignore" });
}

/** What one run printed, and how it ended. */
export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Strings no output may contain: secrets, cookie values, tokens, passwords. */
export const sensitive = new Set<string>();

/**
 * Runs `tessera ...args` (the bin itself, so its shebang and executable bit are used) with only `env` and PATH in
 * its environment, `input` on stdin. Fails the test if the output holds anything in `sensitive`.
 *
 * @example
 * const { code, stdout } = await tessera(["keygen"]);
 */
export function tessera(args: string[], { env = {}, input }: { env?: Record<string, string>; input?: string } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = execFile(bin, args, { env: { PATH: process.env.PATH ?? "", ...env }, timeout: 120_000, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : -1) : 0;
      if (error && typeof error.code !== "number") {
        reject(error);
        return;
      }
      for (const value of sensitive) {
        expect(stdout, `stdout of tessera ${args[0]} holds a registered secret`).not.toContain(value);
        expect(stderr, `stderr of tessera ${args[0]} holds a registered secret`).not.toContain(value);
      }
      resolve({ code, stdout, stderr });
    });
    child.stdin?.end(input ?? "");
  });
}

/**
 * The JSON a run printed on stdout.
 *
 * @example
 * const report = json<{ valid: boolean }>(await tessera(["inspect", value, "--json"], { env }));
 */
export function json<T = Record<string, unknown>>(run: Run): T {
  return JSON.parse(run.stdout) as T;
}
