// A private redis-server for tests: started on a free loopback port, probed until it answers PING, killed and restarted.

import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** How to start a private redis-server. */
export interface RedisServerOptions {
  /** Extra `redis-server` arguments, such as `["--maxmemory-policy", "allkeys-lru"]`. */
  args?: string[];
  /** `--requirepass`; the probe authenticates with it. */
  password?: string;
  /** The port; a free one when left out. */
  port?: number;
  /** The working directory (`--dir`), for AOF or cluster files; a new temporary one when left out. */
  dir?: string;
  /** How long to wait for PING to answer, in ms. @default 10000 */
  readyTimeoutMs?: number;
}

/** A running redis-server child process. */
export interface RedisServer {
  readonly port: number;
  /** `redis://[:password@]127.0.0.1:<port>`. */
  readonly url: string;
  /** Its `--dir`. */
  readonly dir: string;
  /** The child process while it runs. */
  readonly process: ChildProcess | undefined;
  /** Kills it with SIGKILL (no shutdown, no final save) and waits for it to exit. */
  kill(): Promise<void>;
  /** Starts it again on the same port and directory, and waits until it answers PING. */
  restart(): Promise<void>;
  /** Stops it with SIGTERM (SIGKILL after 5 s) and removes its directory when the helper made it. */
  stop(): Promise<void>;
}

/**
 * Starts `redis-server` as a child process and resolves once it answers PING (a readiness probe, not a sleep).
 *
 * @example
 * const server = await startRedisServer({ args: ["--maxmemory-policy", "allkeys-lru"] });
 * await server.stop();
 */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const ownDir = options.dir === undefined;
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), "tessera-redis-"));
  const port = options.port ?? (await freePort());
  const args = [
    "--port", String(port),
    "--bind", "127.0.0.1",
    "--save", "",
    "--appendonly", "no",
    "--dir", dir,
    "--daemonize", "no",
    ...(options.password === undefined ? [] : ["--requirepass", options.password]),
    ...(options.args ?? []),
  ];
  let child: ChildProcess | undefined;

  const launch = async (): Promise<void> => {
    const started = spawn("redis-server", args, { stdio: ["ignore", "pipe", "pipe"] });
    child = started;
    let output = "";
    const collect = (chunk: Buffer): void => {
      output = (output + chunk.toString()).slice(-4000);
    };
    started.stdout!.on("data", collect);
    started.stderr!.on("data", collect);
    const exited = new Promise<never>((_, reject) => {
      started.once("error", reject);
      started.once("exit", (code, signal) => reject(new Error(`redis-server on port ${port} exited (${code ?? signal}) before it was ready:\n${output}`)));
    });
    exited.catch(() => undefined);
    try {
      await Promise.race([waitForPing(port, options.password, options.readyTimeoutMs ?? 10_000), exited]);
    } catch (error) {
      await exit("SIGKILL");
      throw error;
    }
  };

  const exit = async (signal: NodeJS.Signals): Promise<void> => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => running.once("exit", () => resolve()));
    running.kill(signal);
    const escalate = signal === "SIGKILL" ? undefined : setTimeout(() => running.kill("SIGKILL"), 5000);
    await gone;
    clearTimeout(escalate);
  };

  await launch();
  const auth = options.password === undefined ? "" : `:${encodeURIComponent(options.password)}@`;
  return {
    port,
    url: `redis://${auth}127.0.0.1:${port}`,
    dir,
    get process() {
      return child;
    },
    kill: () => exit("SIGKILL"),
    async restart() {
      await exit("SIGKILL");
      await launch();
    },
    async stop() {
      await exit("SIGTERM");
      if (ownDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A TCP port nobody listens on right now, on 127.0.0.1 (and, with `busOffset`, `port + busOffset` too, as a
 * Redis Cluster node needs for its bus).
 *
 * @example
 * const port = await freePort(10_000);
 */
export async function freePort(busOffset?: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await listenOnce(0);
    if (busOffset === undefined) return port;
    if (port + busOffset > 65_535) continue;
    try {
      await listenOnce(port + busOffset);
      return port;
    } catch {
      // The bus port is taken: try another.
    }
  }
  throw new Error("no free port pair found");
}

function listenOnce(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      const { port: bound } = server.address() as { port: number };
      server.close(() => resolve(bound));
    });
  });
}

/**
 * Sends one command to 127.0.0.1:`port` over a fresh connection and resolves with the reply's first line or bulk
 * string (an error reply starts with "-"). Enough for probes; not a client.
 *
 * @example
 * await redisCommand(port, ["CLUSTER", "INFO"]); // "cluster_state:ok\r\n..."
 */
export function redisCommand(port: number, command: string[], password?: string, timeoutMs = 1000): Promise<string> {
  const encode = (parts: string[]): string => `*${parts.length}\r\n${parts.map((p) => `$${Buffer.byteLength(p)}\r\n${p}\r\n`).join("")}`;
  return new Promise((resolve, reject) => {
    const socket = createConnection({ port, host: "127.0.0.1" });
    let buffer = Buffer.alloc(0);
    let skip = password === undefined ? 0 : 1;
    const done = (error: Error | undefined, reply?: string): void => {
      socket.destroy();
      if (error) reject(error);
      else resolve(reply!);
    };
    socket.setTimeout(timeoutMs, () => done(new Error(`no reply from port ${port} in ${timeoutMs} ms`)));
    socket.once("error", (error) => done(error));
    socket.once("connect", () => socket.write((password === undefined ? "" : encode(["AUTH", password])) + encode(command)));
    socket.on("data", (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        const end = buffer.indexOf("\r\n");
        if (end < 0) return;
        const line = buffer.subarray(0, end).toString();
        let reply: string;
        let length = end + 2;
        if (line.startsWith("$")) {
          const size = Number(line.slice(1));
          if (size < 0) reply = "";
          else {
            if (buffer.length < end + 2 + size + 2) return;
            reply = buffer.subarray(end + 2, end + 2 + size).toString();
            length = end + 2 + size + 2;
          }
        } else {
          reply = line;
        }
        buffer = buffer.subarray(length);
        if (skip > 0) {
          skip--;
          if (reply.startsWith("-")) return done(new Error(`AUTH failed on port ${port}`));
          continue;
        }
        return done(undefined, reply);
      }
    });
  });
}

/**
 * Polls until `probe` resolves true, or fails after `timeoutMs`. Each failed probe is followed by a short pause:
 * this is a readiness probe, never a fixed wait.
 *
 * @example
 * await waitUntil(async () => (await redisCommand(port, ["PING"])) === "+PONG", 10_000, "redis PING");
 */
export async function waitUntil(probe: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      if (await probe()) return;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`${what} not ready after ${timeoutMs} ms${last instanceof Error ? `: ${last.message}` : ""}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function waitForPing(port: number, password: string | undefined, timeoutMs: number): Promise<void> {
  // PING answers -LOADING while an AOF is replayed, so only +PONG means ready.
  return waitUntil(async () => (await redisCommand(port, ["PING"], password)) === "+PONG", timeoutMs, `redis-server on port ${port}`);
}
