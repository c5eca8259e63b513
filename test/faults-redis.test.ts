// Fault injection on a private Redis: killed with SIGKILL under load through the demo and every adapter.

import { redisStore } from "tessera/stores/redis";
import { describeServerKill } from "./servers/fault-suite.js";
import { redisCommand, startRedisServer, type RedisServer } from "./servers/redis-server.js";

/** Client connections on `port` other than the one asking, from CLIENT LIST (one line per connection). */
async function clientCount(port: number): Promise<number> {
  const list = await redisCommand(port, ["CLIENT", "LIST"]);
  return list.split("\n").filter((line) => line.startsWith("id=") && !/ cmd=client\|list /.test(line)).length;
}

describeServerKill("Redis", {
  // AOF with fsync on every write: a write Redis acknowledged survives SIGKILL.
  start: () => startRedisServer({ args: ["--appendonly", "yes", "--appendfsync", "always"] }),
  store: (server, adapter) => redisStore({ url: server.url, prefix: `faults:${adapter}:` }),
  connections: (server) => clientCount((server as RedisServer).port),
  // One client per store: the demo's and the four counter apps'.
  maxConnections: 5,
});
