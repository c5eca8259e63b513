// Starts the demo app (demo/server.ts) as its own process, as `npm start` does, and stops it.

import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const serverPath = fileURLToPath(new URL("../../demo/server.ts", import.meta.url));
/** tsx's ESM loader, by absolute URL: `--import tsx` would resolve against the demo's working folder. */
const tsxLoader = pathToFileURL(join(dirname(createRequire(import.meta.url).resolve("tsx/package.json")), "dist/loader.mjs")).href;

export interface RunningDemo {
  url: string;
  process: ChildProcess;
  output: () => string;
  /** Sends `signal` and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Runs the demo in `cwd` (its data/ folder goes there) with `env` added to this process's environment, and
 * resolves once it prints the address it listens on. Rejects with its output if it exits first.
 */
export function startDemo(cwd: string, env: Record<string, string> = {}): Promise<RunningDemo> {
  const child = spawn(process.execPath, ["--import", tsxLoader, serverPath], {
    cwd,
    env: { ...process.env, PORT: "0", HOST: "127.0.0.1", NODE_ENV: "development", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/[^/\s]+)\//.exec(output);
      if (match) {
        child.stdout!.off("data", onData);
        child.stdout!.on("data", (more: Buffer) => (output += more.toString()));
        resolve({
          url: match[1]!,
          process: child,
          output: () => output,
          async stop(signal = "SIGTERM") {
            if (child.exitCode === null && child.signalCode === null) child.kill(signal);
            return exited;
          },
        });
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    void exited.then((code) => reject(new Error(`demo exited with ${code} before listening:\n${output}`)));
  });
}

/** Runs the demo expecting it to refuse to start; resolves with its exit code and output. */
export async function failingDemo(cwd: string, env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  try {
    const running = await startDemo(cwd, env);
    await running.stop();
    throw new Error("the demo started");
  } catch (error) {
    const message = (error as Error).message;
    const match = /^demo exited with (\S+) before listening:\n([\s\S]*)$/.exec(message);
    if (!match) throw error;
    return { code: match[1] === "null" ? null : Number(match[1]), output: match[2]! };
  }
}
