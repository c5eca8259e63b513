// A private memcached for fault tests: started on a free loopback port, probed until it answers `version`, and asked
// how many connections it holds.

import { spawn, type ChildProcess } from "node:child_process";
import { createConnection } from "node:net";
import { freePort, waitUntil } from "./redis-server.js";

/** A running memcached child process. */
export interface MemcachedServer {
  readonly port: number;
  /** `memcached://127.0.0.1:<port>`. */
  readonly url: string;
  readonly process: ChildProcess;
  /** Client connections open now, from `stats` (`curr_connections`), the probe's own excluded. */
  connections(): Promise<number>;
  /** Stops it with SIGTERM and waits for it to exit. */
  stop(): Promise<void>;
}

/**
 * Sends one text-protocol command to 127.0.0.1:`port` over a fresh connection and resolves with the answer up to
 * `END` (or the first line for other answers).
 *
 * @example
 * await memcachedCommand(port, "stats"); // "STAT pid 123\r\n...END\r\n"
 */
export function memcachedCommand(port: number, command: string, timeoutMs = 1000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: "127.0.0.1", port }, () => socket.write(`${command}\r\n`));
    let answer = "";
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`memcached on port ${port} did not answer ${command}`)));
    socket.on("data", (chunk: Buffer) => {
      answer += chunk.toString("latin1");
      if (/(^|\n)(END|VERSION [^\r\n]*|ERROR[^\r\n]*)\r\n$/.test(answer)) {
        socket.destroy();
        resolve(answer);
      }
    });
    socket.on("error", reject);
  });
}

/**
 * Starts `memcached` on 127.0.0.1 (TCP only, no UDP) and resolves once it answers `version` (a readiness probe).
 *
 * @example
 * const server = await startMemcachedServer();
 * await server.stop();
 */
export async function startMemcachedServer(): Promise<MemcachedServer> {
  const port = await freePort();
  // memcached refuses to run as root unless told which user to be.
  const user = process.getuid?.() === 0 ? ["-u", "root"] : [];
  const child = spawn("memcached", ["-l", "127.0.0.1", "-p", String(port), "-U", "0", "-m", "64", ...user], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  child.stderr!.on("data", (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const early = exited.then(() => {
    throw new Error(`memcached on port ${port} exited before it was ready:\n${output}`);
  });
  early.catch(() => undefined);
  try {
    await Promise.race([waitUntil(async () => (await memcachedCommand(port, "version")).startsWith("VERSION"), 10_000, `memcached on port ${port}`), early]);
  } catch (error) {
    child.kill("SIGKILL");
    await exited;
    throw error;
  }
  return {
    port,
    url: `memcached://127.0.0.1:${port}`,
    process: child,
    async connections() {
      const stats = await memcachedCommand(port, "stats");
      const current = Number(/STAT curr_connections (\d+)/.exec(stats)?.[1]);
      // curr_connections counts the probe's own connection as well.
      return current - 1;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}
