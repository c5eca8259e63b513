// A private three-master Redis Cluster for tests: nodes on free loopback ports, created with redis-cli, probed until ok.

import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort, redisCommand, startRedisServer, waitUntil, type RedisServer } from "./redis-server.js";

/** The cluster bus listens on the node's port plus this (redis.io, "Redis cluster specification"). */
const busOffset = 10_000;

/** A running Redis Cluster of child processes. */
export interface RedisCluster {
  /** Every node: `{ url }` entries, ready to be `rootNodes` of `createCluster`. */
  readonly rootNodes: { url: string }[];
  readonly nodes: readonly RedisServer[];
  /** Stops every node and removes their files. */
  stop(): Promise<void>;
}

/**
 * Starts `masters` redis-server nodes in cluster mode, joins them with `redis-cli --cluster create` (no replicas)
 * and resolves once every node reports `cluster_state:ok`.
 *
 * @example
 * const cluster = await startRedisCluster();
 * const client = await createCluster({ rootNodes: cluster.rootNodes }).connect();
 */
export async function startRedisCluster(masters = 3): Promise<RedisCluster> {
  const dir = mkdtempSync(join(tmpdir(), "tessera-redis-cluster-"));
  const nodes: RedisServer[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(nodes.map((node) => node.stop()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < masters; i++) {
      const port = await freePort(busOffset);
      nodes.push(
        await startRedisServer({
          port,
          dir,
          args: ["--cluster-enabled", "yes", "--cluster-config-file", join(dir, `nodes-${port}.conf`), "--cluster-node-timeout", "5000"],
        }),
      );
    }
    const addresses = nodes.map((node) => `127.0.0.1:${node.port}`);
    await promisify(execFile)("redis-cli", ["--cluster", "create", ...addresses, "--cluster-replicas", "0", "--cluster-yes"], { timeout: 30_000 });
    await waitUntil(
      async () => {
        const states = await Promise.all(nodes.map((node) => redisCommand(node.port, ["CLUSTER", "INFO"])));
        return states.every((info) => /^cluster_state:ok\r?$/m.test(info));
      },
      30_000,
      "redis cluster",
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { rootNodes: nodes.map((node) => ({ url: node.url })), nodes, stop };
}
