// The Redis store: a hash per session, compare-and-set in Lua, native TTLs, a set per user; Redis Cluster too.

import { createHash } from "node:crypto";
import { createClient } from "redis";
import type { IndexedStore, ListedSession, StoreFactory, StoreWriteOptions } from "../../core/store.js";
import type { Duration } from "../../core/duration.js";
import { TesseraError } from "../../core/errors.js";
import { durationOption, refuseRenamedOptions } from "../../core/options.js";
import { serverClock } from "../../core/skew.js";
import { timerMs } from "../../core/timing.js";

/** What the store uses of a node-redis v5 client: anything `createClient(...)` returns fits. */
export interface RedisClientLike {
  readonly isOpen: boolean;
  readonly isReady: boolean;
  sendCommand(args: string[], options?: { abortSignal?: AbortSignal }): Promise<unknown>;
  on(event: "ready" | "error", listener: (...args: unknown[]) => void): unknown;
  off(event: "ready" | "error", listener: (...args: unknown[]) => void): unknown;
}

/** What the store uses of a node-redis v5 cluster: anything `createCluster(...)` returns fits. */
export interface RedisClusterLike {
  readonly isOpen: boolean;
  readonly masters: readonly object[];
  nodeClient(node: object): Promise<{ sendCommand(args: string[]): Promise<unknown> }>;
  sendCommand(firstKey: string, isReadonly: boolean, args: string[], options?: { abortSignal?: AbortSignal }): Promise<unknown>;
  on(event: "ready" | "error", listener: (...args: unknown[]) => void): unknown;
  off(event: "ready" | "error", listener: (...args: unknown[]) => void): unknown;
}

/** Options of `redisStore`: a `url`, or a `client` you made yourself. */
export interface RedisStoreOptions {
  /**
   * `redis[s]://[[username][:password]@][host][:port][/db-number]`. The store creates its own client, set to fail
   * fast while disconnected and to reconnect in the background, connects it, and closes it on `close()`.
   */
  url?: string;
  /**
   * A connected client (`createClient`) or cluster (`createCluster`) to use instead of `url`; `close()` leaves it
   * open. Create it with `disableOfflineQueue: true`, or commands wait in its queue while Redis is down.
   */
  client?: RedisClientLike | RedisClusterLike;
  /** Put before every key the store writes. @default "tessera:" */
  prefix?: string;
  /** How long the store's own client waits for a TCP (and TLS) connection: seconds or a string such as `"2s"`. @default "2s" */
  connectTimeout?: Duration;
  /** The longest pause between the store's own client's reconnection attempts: seconds or a string such as `"1s"`. @default "1s" */
  maxReconnectDelay?: Duration;
  /**
   * Told, at most once per store, about a server setting that puts sessions at risk (a `maxmemory-policy` that
   * evicts them). Messages never contain a URL, password or token. @default console.warn
   */
  onWarning?: (message: string) => void;
}

/** Defaults of `redisStore`. */
export const defaults = Object.freeze({
  prefix: "tessera:",
  connectTimeout: "2s",
  maxReconnectDelay: "1s",
} as const);

/** Options of earlier releases, refused with what replaces them. */
const renamed = Object.freeze({
  connectTimeoutMs: durationOption("connectTimeout", "ms"),
  maxReconnectDelayMs: durationOption("maxReconnectDelay", "ms"),
});

/** How long `close()` waits for the store's own client to finish commands in flight before it stops waiting. */
const closeTimeoutMs = 2000;

/** Eviction policies that may remove keys with a TTL, which every session key has (redis.io, "Key eviction"). */
const evictingPolicyRegExp = /^(allkeys|volatile)-[a-z]+$/;

interface Script {
  source: string;
  sha: string;
}

function script(source: string): Script {
  return { source, sha: createHash("sha1").update(source).digest("hex") };
}

/**
 * The fence every write script starts with: true when the server's clock has passed `fence` (epoch ms, the
 * caller's deadline in the server's time), so a write that reaches Redis after its caller gave up is refused.
 * "0" means no fence. Scripts are replicated by their effects (Redis 5+), so reading TIME before writing is allowed.
 */
const lateLua = `
local function late(fence)
  if fence == '0' then return false end
  local now = redis.call('TIME')
  return tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000) > tonumber(fence)
end
`;

/**
 * Create: writes the record at version 1 with its TTL, only when the key is absent. Returns 1, 0 when taken, or -1
 * when it arrived after its fence. KEYS[1] session; ARGV record, ttl ms, "1" when there is a user, user id, fence.
 */
const createScript = script(`${lateLua}
if late(ARGV[5]) then return -1 end
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'v', '1', 'r', ARGV[1])
if ARGV[3] == '1' then redis.call('HSET', KEYS[1], 'u', ARGV[4]) end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`);

/**
 * Compare-and-set: replaces record, user and TTL only when the session exists at the expected version. Returns
 * { new version, previous user id or nil }, nil (writing nothing) when it is gone or at another version, or -1 when
 * it arrived after its fence. KEYS[1] session; ARGV expected version, record, ttl ms, "1" when there is a user,
 * user id, fence.
 */
const updateScript = script(`${lateLua}
if late(ARGV[6]) then return -1 end
local version = tonumber(redis.call('HGET', KEYS[1], 'v'))
if version == nil or version ~= tonumber(ARGV[1]) then return false end
local previous = redis.call('HGET', KEYS[1], 'u')
version = version + 1
redis.call('HSET', KEYS[1], 'v', tostring(version), 'r', ARGV[2])
if ARGV[4] == '1' then redis.call('HSET', KEYS[1], 'u', ARGV[5]) else redis.call('HDEL', KEYS[1], 'u') end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return { version, previous }
`);

/**
 * Delete: removes the session, only at the expected version when one is given. Returns { 1, user id or nil } when
 * it removed the session, { 0 } when it was gone or at another version, { -1 } when it arrived after its fence.
 * KEYS[1] session; ARGV expected version or "", fence.
 */
const deleteScript = script(`${lateLua}
if late(ARGV[2]) then return { -1 } end
local version = redis.call('HGET', KEYS[1], 'v')
if version == false then return { 0 } end
if ARGV[1] ~= '' and tonumber(version) ~= tonumber(ARGV[1]) then return { 0 } end
local user = redis.call('HGET', KEYS[1], 'u')
redis.call('DEL', KEYS[1])
return { 1, user }
`);

/**
 * Delete one of a user's sessions, only while it still belongs to that user. Returns 1 deleted, 0 already gone,
 * -1 kept because it now belongs to someone else (or no one). KEYS[1] session; ARGV user id.
 */
const deleteOwnedScript = script(`
if redis.call('HGET', KEYS[1], 'u') == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
if redis.call('EXISTS', KEYS[1]) == 1 then return -1 end
return 0
`);

/**
 * Index: adds a session id to a user's set and makes the set live at least as long as that session.
 * KEYS[1] user set; ARGV session id, ttl ms.
 */
const indexScript = script(`
redis.call('SADD', KEYS[1], ARGV[1])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 1
`);

/**
 * One command to the node that owns `key`, standalone or cluster alike. A command still waiting to be written
 * when `signal` aborts is dropped, never sent.
 */
type Send = (key: string, args: string[], signal?: AbortSignal) => Promise<unknown>;

function isCluster(client: RedisClientLike | RedisClusterLike): client is RedisClusterLike {
  return "masters" in client;
}

/** A reply as text: node-redis gives strings, or Buffers when a client maps blob strings to them. */
function text(reply: unknown): string | undefined {
  if (typeof reply === "string") return reply;
  if (Buffer.isBuffer(reply)) return reply.toString("utf8");
  return undefined;
}

function list(reply: unknown): unknown[] {
  if (Array.isArray(reply)) return reply;
  if (reply instanceof Set) return [...reply];
  return [];
}

/** The value of a `CONFIG GET` reply: a [name, value] array in RESP2, a map in RESP3. */
function configValue(reply: unknown): string | undefined {
  if (Array.isArray(reply)) return text(reply[1]);
  if (reply instanceof Map) return text([...reply.values()][0]);
  if (reply !== null && typeof reply === "object") return text(Object.values(reply)[0]);
  return undefined;
}

function ttlMilliseconds({ ttlSeconds }: StoreWriteOptions): string {
  // Checked here, not in Lua: a script that failed at PEXPIRE would leave its HSET behind, without a TTL.
  if (!(ttlSeconds > 0 && Number.isFinite(ttlSeconds))) {
    throw new TesseraError("ERR_INVALID_OPTION", "`ttlSeconds` must be a positive number of seconds");
  }
  return String(Math.ceil(ttlSeconds * 1000));
}

function ignore(): void {}

/**
 * A store in Redis or Redis Cluster, through the official `redis` client (v5). Each session is one hash,
 * `<prefix>session:{<id>}` (version, record, user id), with a native TTL; compare-and-set is a Lua script, so
 * every create and update is one atomic round trip. A set per user, `<prefix>user:{<userId>}`, lists a user's
 * sessions across cluster slots; it is written beside (and, when needed, after) the session, and pruned as it is read.
 *
 * @example
 * const sessions = createSessions({ secrets, store: redisStore({ url: process.env.REDIS_URL! }) });
 * @example
 * const cluster = await createCluster({ rootNodes: [{ url: "redis://10.0.0.1:6379" }] }).connect();
 * const store = redisStore({ client: cluster, prefix: "myapp:sessions:" });
 */
export const redisStore: StoreFactory<RedisStoreOptions, IndexedStore> = (options) => {
  if (options === null || typeof options !== "object") {
    throw new TesseraError("ERR_INVALID_OPTION", "`redisStore` needs an options object with `url` or `client`");
  }
  refuseRenamedOptions("redisStore", options, renamed);
  if ((options.url === undefined) === (options.client === undefined)) {
    throw new TesseraError("ERR_INVALID_OPTION", "`redisStore` needs exactly one of `url` and `client`");
  }
  const prefix = options.prefix ?? defaults.prefix;
  if (typeof prefix !== "string") throw new TesseraError("ERR_INVALID_OPTION", "`prefix` must be a string");
  const connectTimeoutMs = timerMs("connectTimeout", options.connectTimeout ?? defaults.connectTimeout);
  const maxReconnectDelayMs = timerMs("maxReconnectDelay", options.maxReconnectDelay ?? defaults.maxReconnectDelay);
  const onWarning = options.onWarning ?? ((message: string) => console.warn(message));

  let client: RedisClientLike | RedisClusterLike;
  let owned: ReturnType<typeof createClient> | undefined;
  if (options.url !== undefined) {
    if (typeof options.url !== "string" || !/^rediss?:\/\//i.test(options.url)) {
      throw new TesseraError("ERR_INVALID_OPTION", "`url` must be a redis:// or rediss:// URL");
    }
    try {
      owned = createClient({
        url: options.url,
        // A command sent while disconnected fails at once instead of waiting in a queue for a server that may
        // never come back; the reconnection below goes on in the background, so the store recovers by itself.
        disableOfflineQueue: true,
        socket: {
          connectTimeout: connectTimeoutMs,
          // Exponential backoff from 50 ms, capped, with jitter so that many processes do not reconnect in step.
          // Always a number: the client never gives up and closes itself.
          reconnectStrategy: (retries: number) => {
            const delay = Math.min(maxReconnectDelayMs, 50 * 2 ** Math.min(retries, 16));
            return Math.ceil(delay / 2 + (Math.random() * delay) / 2);
          },
        },
      });
    } catch {
      // node-redis and WHATWG URL errors can carry the URL, password included: none of it goes into ours.
      throw new TesseraError("ERR_INVALID_OPTION", "`url` must be a valid redis:// or rediss:// URL");
    }
    client = owned;
  } else {
    client = options.client!;
    if (client === null || typeof client !== "object" || typeof client.sendCommand !== "function") {
      throw new TesseraError("ERR_INVALID_OPTION", "`client` must be a client from `createClient` or `createCluster`");
    }
  }

  // An 'error' event without a listener would crash the process (EventEmitter rule). Connection errors reach
  // callers as rejected commands; the event itself carries nothing more to act on.
  client.on("error", ignore);

  const send: Send = isCluster(client)
    ? // Always the master (isReadonly false): a replica may lag behind, and a stale version or a missing session
      // would turn into needless conflicts or a visitor signed out.
      (key, args, signal) => (client as RedisClusterLike).sendCommand(key, false, args, signal && { abortSignal: signal })
    : (_key, args, signal) => (client as RedisClientLike).sendCommand(args, signal && { abortSignal: signal });

  const evaluate = async (run: Script, key: string, args: string[], signal?: AbortSignal): Promise<unknown> => {
    try {
      return await send(key, ["EVALSHA", run.sha, "1", key, ...args], signal);
    } catch (error) {
      // NOSCRIPT is the error code Redis puts first in its reply when its script cache lacks the script (after a
      // restart, a failover or SCRIPT FLUSH); EVAL sends the source and caches it again.
      if (!(error instanceof Error && error.message.startsWith("NOSCRIPT"))) throw error;
      if (signal?.aborted) throw error;
      return send(key, ["EVAL", run.source, "1", key, ...args], signal);
    }
  };

  /**
   * The server's clock, measured at start-up and again when over a minute old; a write's deadline is turned into
   * the server's time for the scripts' fence. Not for a cluster, whose nodes keep their own clocks: there a write
   * already sent when the deadline passes can still land.
   */
  const server = serverClock(async () => {
    const reply = list(await (client as RedisClientLike).sendCommand(["TIME"]));
    return Number(text(reply[0])) * 1000 + Math.floor(Number(text(reply[1])) / 1000);
  });
  const fenceOf = (deadline: number | undefined): string => (isCluster(client) ? "0" : String(server.fenceOf(deadline)));
  const lateWrite = (): TesseraError => new TesseraError("ERR_STORE_UNAVAILABLE", "the redis write reached the server after its deadline");

  let warned = false;
  const warn = (message: string): void => {
    if (warned) return;
    warned = true;
    try {
      onWarning(message);
    } catch {
      // A warning listener's failure must not turn into a failed store.
    }
  };

  /** Reads `maxmemory-policy` from every master; warns when one may evict sessions. Never rejects. */
  const checkEviction = async (): Promise<void> => {
    const command = ["CONFIG", "GET", "maxmemory-policy"];
    try {
      const replies = isCluster(client)
        ? await Promise.all(client.masters.map(async (node) => (await (client as RedisClusterLike).nodeClient(node)).sendCommand(command)))
        : [await client.sendCommand(command)];
      for (const reply of replies) {
        const policy = configValue(reply);
        if (policy !== undefined && evictingPolicyRegExp.test(policy)) {
          warn(
            `tessera redis store: the server's maxmemory-policy is "${policy}", so Redis may evict live sessions (and ` +
              `user indexes) when it reaches maxmemory, signing users out at random. Set maxmemory-policy to ` +
              `"noeviction", or keep sessions on a Redis of their own.`,
          );
          return;
        }
      }
    } catch {
      // CONFIG is often disabled on managed Redis; the check is advice, not a condition for working.
    }
  };

  // Start-up: the first connection attempt (the store's own client), then the eviction check. Calls wait for it,
  // so the first request neither fails for a connection still being made nor races the warning. The wait ends
  // when the store is closed, and after twice connectTimeout at most: a server that accepts the connection but
  // never answers the handshake or the check would otherwise hold every call.
  let checked = false;
  const checkOnce = (): Promise<void> => {
    if (checked) return Promise.resolve();
    checked = true;
    client.off("ready", onReady);
    if (!isCluster(client)) void server.measure();
    return checkEviction();
  };
  const onReady = (): void => void checkOnce();
  let stopWaiting: () => void = ignore;
  let startup: Promise<void> | undefined = new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 2 * connectTimeoutMs);
    timer.unref();
    stopWaiting = () => {
      clearTimeout(timer);
      resolve();
    };
  });
  void startup.then(() => (startup = undefined));
  if (owned) {
    const own = owned;
    const settle = (): void => {
      own.off("ready", settle);
      own.off("error", settle);
      if (own.isReady) void checkOnce().then(stopWaiting);
      else stopWaiting();
    };
    own.on("ready", settle);
    own.on("error", settle);
    // When the first attempt fails, the check runs on the first connection that succeeds.
    own.on("ready", onReady);
    // connect() resolves once a connection is made, however many attempts that takes; failed attempts are
    // reported through 'error' events, so its promise has nothing to add.
    own.connect().catch(ignore);
  } else if (isCluster(client) ? client.isOpen : client.isReady) {
    void checkOnce().then(stopWaiting);
  } else {
    if (!isCluster(client)) client.on("ready", onReady);
    stopWaiting();
  }

  let closed = false;
  const open = async (): Promise<void> => {
    if (closed) throw new TesseraError("ERR_STORE_UNAVAILABLE", "the redis store was closed");
    if (startup) await startup;
    if (closed) throw new TesseraError("ERR_STORE_UNAVAILABLE", "the redis store was closed");
  };

  const sessionKey = (id: string): string => `${prefix}session:{${id}}`;
  const userKey = (userId: string): string => `${prefix}user:{${userId}}`;

  /** The session's record text, version and user; a hash that is not one of ours reads as an empty text, which no decoder accepts. */
  const read = async (id: string, signal?: AbortSignal): Promise<{ text: string; version: number; userId: string | undefined } | undefined> => {
    const key = sessionKey(id);
    const [version, json, userId] = list(await send(key, ["HMGET", key, "v", "r", "u"], signal)).map(text);
    if (version === undefined && json === undefined) return undefined;
    const parsed = Number(version);
    if (json === undefined || !Number.isSafeInteger(parsed) || parsed < 1) return { text: "", version: 1, userId };
    return { text: json, version: parsed, userId };
  };

  const index = async (userId: string, id: string, ttlMs: string): Promise<void> => {
    const key = userKey(userId);
    await evaluate(indexScript, key, [id, ttlMs]);
  };

  const unindex = async (userId: string, ids: string[]): Promise<void> => {
    if (ids.length === 0) return;
    const key = userKey(userId);
    await send(key, ["SREM", key, ...ids]);
  };

  /**
   * Drops an id from a user's set whose session now belongs to someone else, then reads it again: when it moved
   * back meanwhile, its writer may have indexed it before our SREM, so it goes back in.
   */
  const unindexMoved = async (userId: string, id: string): Promise<void> => {
    await unindex(userId, [id]);
    const key = sessionKey(id);
    const [again, ttl] = await Promise.all([read(id), send(key, ["PTTL", key])]);
    if (again?.userId === userId && Number(ttl) > 0) await index(userId, id, String(ttl));
  };

  const members = async (userId: string): Promise<string[]> => {
    const key = userKey(userId);
    return list(await send(key, ["SMEMBERS", key]))
      .map(text)
      .filter((id): id is string => id !== undefined);
  };

  // A write carrying a userId indexes the session in the user's set beside the script (the same pipeline, or
  // another node in parallel: no extra round trip), so even a process that dies right after the write leaves
  // the session listed, and every write refreshes the set's TTL. When the write made the session that user's
  // (a create, or a changed userId) it indexes again after the script: a listByUser running in between may have
  // pruned the first entry, having read the session before it was the user's.
  const indexBeside = (userId: string | undefined, id: string, ttlMs: string): Promise<void> | undefined =>
    userId === undefined ? undefined : index(userId, id, ttlMs);

  return {
    name: "redis",
    async get(id, options) {
      await open();
      const found = await read(id, options?.signal);
      return found && { text: found.text, version: found.version };
    },
    async create(id, recordText, writeOptions) {
      await open();
      const ttlMs = ttlMilliseconds(writeOptions);
      const { userId, signal, deadline } = writeOptions;
      const key = sessionKey(id);
      const args = [recordText, ttlMs, userId === undefined ? "0" : "1", userId ?? "", fenceOf(deadline)];
      const [created] = await Promise.all([evaluate(createScript, key, args, signal), indexBeside(userId, id, ttlMs)]);
      if (Number(created) === -1) throw lateWrite();
      if (Number(created) !== 1) return false;
      if (userId !== undefined) await index(userId, id, ttlMs);
      return true;
    },
    async update(id, recordText, expectedVersion, writeOptions) {
      await open();
      const ttlMs = ttlMilliseconds(writeOptions);
      const { userId, signal, deadline } = writeOptions;
      const key = sessionKey(id);
      const args = [String(expectedVersion), recordText, ttlMs, userId === undefined ? "0" : "1", userId ?? "", fenceOf(deadline)];
      const [reply] = await Promise.all([evaluate(updateScript, key, args, signal), indexBeside(userId, id, ttlMs)]);
      if (reply === null || reply === undefined) return undefined;
      if (reply === -1) throw lateWrite();
      const [version, previous] = list(reply);
      const previousUserId = text(previous);
      if (previousUserId !== userId) {
        await Promise.all([previousUserId === undefined ? undefined : unindex(previousUserId, [id]), indexBeside(userId, id, ttlMs)]);
      }
      return Number(version);
    },
    async delete(id, options) {
      await open();
      const expected = options?.expectedVersion;
      const args = [expected === undefined ? "" : String(expected), fenceOf(options?.deadline)];
      const [deleted, user] = list(await evaluate(deleteScript, sessionKey(id), args, options?.signal));
      if (Number(deleted) === -1) throw lateWrite();
      const userId = text(user);
      if (userId !== undefined) await unindex(userId, [id]);
      return Number(deleted) === 1;
    },
    async listByUser(userId) {
      await open();
      const ids = await members(userId);
      const rows = await Promise.all(ids.map((id) => read(id)));
      const listed: ListedSession[] = [];
      const gone: string[] = [];
      const moved: string[] = [];
      rows.forEach((row, i) => {
        const id = ids[i]!;
        if (row === undefined) gone.push(id);
        else if (row.userId !== userId) moved.push(id);
        else listed.push({ id, text: row.text, version: row.version });
      });
      // An id whose session is gone never comes back (ids are random and updates never create), so it can go
      // at once; one whose session belongs to someone else is re-checked (unindexMoved).
      await Promise.all([unindex(userId, gone), ...moved.map((id) => unindexMoved(userId, id))]);
      return listed;
    },
    async deleteByUser(userId, exceptId) {
      await open();
      const ids = (await members(userId)).filter((id) => id !== exceptId);
      const results = await Promise.all(ids.map((id) => evaluate(deleteOwnedScript, sessionKey(id), [userId])));
      const dropped: string[] = [];
      const moved: string[] = [];
      let removed = 0;
      results.forEach((result, i) => {
        const outcome = Number(result);
        if (outcome === 1) removed++;
        if (outcome === -1) moved.push(ids[i]!);
        else dropped.push(ids[i]!);
      });
      await Promise.all([unindex(userId, dropped), ...moved.map((id) => unindexMoved(userId, id))]);
      return removed;
    },
    // No gc: Redis expires every session key by its TTL, and user sets by theirs (pruned as they are read).
    async close() {
      if (closed) return;
      closed = true;
      client.off("ready", onReady);
      if (owned?.isOpen && !owned.isReady) {
        // redis 5: destroy() during a connection attempt leaves that attempt's socket open once it completes, and the
        // process never exits. The attempt ends first (connected or failed, connectTimeoutMs at most).
        const attempt = owned;
        await new Promise<void>((resolve) => {
          const done = (): void => {
            attempt.off("ready", done);
            attempt.off("error", done);
            clearTimeout(timer);
            resolve();
          };
          const timer = setTimeout(done, connectTimeoutMs);
          timer.unref();
          attempt.on("ready", done);
          attempt.on("error", done);
        });
      }
      stopWaiting();
      if (!owned) {
        client.off("error", ignore);
        return;
      }
      // The store's own client keeps its 'error' listener: it is being dropped, and late socket errors must not crash.
      if (!owned.isOpen) return;
      if (!owned.isReady) {
        owned.destroy();
        return;
      }
      // close() lets commands in flight finish; it waits for replies that a dying server may never send.
      let timer: NodeJS.Timeout | undefined;
      const gaveUp = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, closeTimeoutMs);
        timer.unref();
      });
      await Promise.race([owned.close().catch(ignore), gaveUp]);
      clearTimeout(timer);
    },
  };
};
