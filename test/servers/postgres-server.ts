// A private PostgreSQL cluster for fault tests: initdb in a temporary folder, a postmaster on a free loopback port,
// probed with pg_isready, killed with SIGKILL and started again. Never touches the machine's shared server.

import { execFile, execFileSync, spawn, type ChildProcess } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort, waitUntil } from "./redis-server.js";

const run = promisify(execFile);

/** How to start a private cluster. */
export interface PostgresServerOptions {
  /** Extra `postgres` arguments, such as `["-c", "max_connections=50"]`. */
  args?: string[];
  /** How long to wait for pg_isready to answer "accepting connections", in ms. @default 20000 */
  readyTimeoutMs?: number;
}

/** A running private postmaster. */
export interface PostgresServer {
  readonly port: number;
  /** `postgres://postgres@127.0.0.1:<port>/postgres` (trust authentication, loopback only). */
  readonly url: string;
  /** The postmaster while it runs. */
  readonly process: ChildProcess | undefined;
  /** Kills the postmaster with SIGKILL (no shutdown checkpoint) and waits for it to exit. Its backends notice and exit. */
  kill(): Promise<void>;
  /** Starts the postmaster again on the same port and data folder (crash recovery runs) and waits until it is ready. */
  restart(): Promise<void>;
  /** Stops it (fast shutdown, SIGKILL after 5 s) and removes the cluster's folder. */
  stop(): Promise<void>;
}

/** The newest installed PostgreSQL's bin folder (Debian layout: /usr/lib/postgresql/<major>/bin). */
function binFolder(): string {
  const root = "/usr/lib/postgresql";
  const majors = existsSync(root) ? readdirSync(root).filter((name) => /^\d+$/.test(name)).sort((a, b) => Number(b) - Number(a)) : [];
  const found = majors.map((major) => join(root, major, "bin")).find((bin) => existsSync(join(bin, "postgres")));
  if (found === undefined) throw new Error("no PostgreSQL server binaries under /usr/lib/postgresql/<major>/bin");
  return found;
}

/** postgres refuses to run as root: when we are root, run it (and initdb) as the `postgres` user. */
function runAs(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const uid = Number(execFileSync("id", ["-u", "postgres"]).toString().trim());
  const gid = Number(execFileSync("id", ["-g", "postgres"]).toString().trim());
  return { uid, gid };
}

/**
 * Creates a cluster with `initdb` (trust authentication, user `postgres`) in a new temporary folder and starts a
 * postmaster on a free 127.0.0.1 port, its Unix socket in that folder too; resolves once `pg_isready` says it
 * accepts connections (a readiness probe, not a sleep).
 *
 * `fsync=off`: a process killed with SIGKILL loses nothing the kernel already has, and the tests kill processes,
 * never the machine. `synchronous_commit` stays on, so a commit is written to the WAL before it is acknowledged.
 *
 * @example
 * const server = await startPostgresServer();
 * await server.kill();
 * await server.restart();
 * await server.stop();
 */
export async function startPostgresServer(options: PostgresServerOptions = {}): Promise<PostgresServer> {
  const bin = binFolder();
  const user = runAs();
  const dir = mkdtempSync(join(tmpdir(), "tessera-pg-"));
  if (user) chownSync(dir, user.uid, user.gid);
  chmodSync(dir, 0o700);
  const data = join(dir, "data");
  let child: ChildProcess | undefined;
  try {
    await run(join(bin, "initdb"), ["-D", data, "--auth=trust", "-U", "postgres", "-E", "UTF8", "--no-sync", "--no-instructions"], {
      ...user,
      timeout: 60_000,
    });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const port = await freePort();
  const args = [
    "-D", data,
    "-p", String(port),
    "-k", dir,
    "-c", "listen_addresses=127.0.0.1",
    "-c", "fsync=off",
    "-c", "max_connections=100",
    ...(options.args ?? []),
  ];

  const launch = async (): Promise<void> => {
    const started = spawn(join(bin, "postgres"), args, { ...user, stdio: ["ignore", "pipe", "pipe"] });
    child = started;
    let output = "";
    const collect = (chunk: Buffer): void => {
      output = (output + chunk.toString()).slice(-4000);
    };
    started.stdout!.on("data", collect);
    started.stderr!.on("data", collect);
    const exited = new Promise<never>((_, reject) => {
      started.once("error", reject);
      started.once("exit", (code, signal) => reject(new Error(`postgres on port ${port} exited (${code ?? signal}) before it was ready:\n${output}`)));
    });
    exited.catch(() => undefined);
    try {
      await Promise.race([
        waitUntil(
          async () => {
            // pg_isready exits 0 only when the server accepts connections (1 while it starts up or recovers).
            await run("pg_isready", ["-h", "127.0.0.1", "-p", String(port), "-U", "postgres", "-d", "postgres", "-t", "1"], { timeout: 3000 });
            return true;
          },
          options.readyTimeoutMs ?? 20_000,
          `postgres on port ${port}`,
        ),
        exited,
      ]);
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

  try {
    await launch();
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    port,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    get process() {
      return child;
    },
    kill: () => exit("SIGKILL"),
    async restart() {
      await exit("SIGKILL");
      // Backends orphaned by a killed postmaster exit when they notice; until then a new postmaster refuses to
      // start ("pre-existing shared memory block is still in use"), so starting is retried, each try probed.
      await waitUntil(
        async () => {
          await launch();
          return true;
        },
        20_000,
        `postgres restart on port ${port}`,
      );
    },
    async stop() {
      // SIGINT is PostgreSQL's fast shutdown: clients are disconnected, then a checkpoint.
      await exit("SIGINT");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
