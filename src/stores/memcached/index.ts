// The memcached store: sessions as cache items with native expiry, compare-and-set through CAS tokens.

import type { Socket } from "node:net";
import { Client, Server, Utils, type Response as MemcachedResponse } from "memjs";
import type { Store, StoreFactory, StoredSession } from "../../core/store.js";
import type { Duration } from "../../core/duration.js";
import { TesseraError } from "../../core/errors.js";
import { durationOption, refuseRenamedOptions } from "../../core/options.js";
import { timerMs } from "../../core/timing.js";

/** Options of `memcachedStore`. Give `url` or `client`, not both. */
export interface MemcachedStoreOptions {
  /**
   * The servers, comma-separated, each `host[:port]` with an optional `memcached://` scheme and `user:password@`
   * for SASL: `"memcached://127.0.0.1:11211"`. The store makes its own client and closes it on `close()`.
   */
  url?: string;
  /**
   * A memjs client to use instead of `url`; `close()` then leaves it open. Give it a short `timeout`: memjs waits
   * that long for an answer before it fails a call.
   */
  client?: Client;
  /** Put before every id to make the key, to share a server with other data. Printable ASCII, no spaces. @default "tessera:" */
  prefix?: string;
  /** How long the store's own client waits for a connection before failing: seconds or a string such as `"1s"`. @default "1s" */
  connectTimeout?: Duration;
  /** How long the store's own client waits for each answer before failing: seconds or a string such as `"1s"`. @default "1s" */
  callTimeout?: Duration;
}

/** Defaults of `memcachedStore`. */
export const defaults = Object.freeze({ prefix: "tessera:", connectTimeout: "1s", callTimeout: "1s" } as const);

/** Options of earlier releases, refused with what replaces them. */
const renamed = Object.freeze({
  timeoutSeconds: `${durationOption("callTimeout", "seconds")} (each answer), with \`connectTimeout\` (the connection) beside it`,
});

/** A key prefix: printable ASCII without spaces (memcached keys may not hold spaces or control characters), short
 * enough that prefix + a 43-character id stays within memcached's 250-byte key limit. */
const prefixRegExp = /^[\x21-\x7e]{0,200}$/;

/** memcached reads an expiration above 30 days as a unix time rather than seconds from now (protocol.txt, "Expiration times"). */
const relativeLimitSeconds = 60 * 60 * 24 * 30;

/** Binary protocol opcodes (protocol_binary.txt §"Command Opcodes"). */
const opcode = Object.freeze({ get: 0x00, set: 0x01, add: 0x02, delete: 0x04 });

/** Binary protocol response statuses: 0 no error, 1 key not found, 2 key exists (for a CAS write: the item changed). */
const status = Object.freeze({ ok: 0, notFound: 1, exists: 2 });

/** Compare-and-set rounds in `update` when the item changed without its version changing (a `touch` from elsewhere). */
const casRounds = 3;

const silentLogger = { log: () => undefined };

/**
 * memjs's Server (1.3) with two connection faults fixed, which outage tests found:
 *
 * - Its socket `close` listener always clears the server's current socket, even when that socket has already
 *   been replaced after an error. The replacement is then orphaned: the request waiting on it never gets written
 *   and never times out, and the socket stays open for good. Here a stale socket's `close` changes nothing.
 * - When the server closes the connection (a restart), requests already sent are neither answered nor failed
 *   until some later request times out. Here they fail at once, and bytes left of a half-read answer are dropped
 *   so they cannot be mistaken for the start of an answer on the next connection.
 */
class MemcachedServer extends Server {
  override sock(sasl: boolean, go: (socket: Socket) => void): void {
    const self = this as unknown as { _socket?: Socket; responseBuffer: Buffer };
    const before = self._socket;
    super.sock(sasl, go);
    const socket = self._socket;
    if (socket === undefined || socket === before) return;
    self.responseBuffer = Buffer.alloc(0);
    const listeners = socket.listeners("close") as ((hadError: boolean) => void)[];
    socket.removeAllListeners("close");
    socket.on("close", (hadError: boolean) => {
      if (self._socket !== socket) return;
      for (const listener of listeners) listener.call(socket, hadError);
      this.error(new Error("memcached closed the connection"));
    });
  }
}

/** Reads `url` into memjs servers. */
function serversOf(url: string, timeouts: { connect: number; call: number }): Server[] {
  return url.split(",").map((entry) => {
    let parsed: URL;
    try {
      parsed = new URL(`memcached://${entry.trim().replace(/^memcached?:\/\//, "")}`);
    } catch {
      throw new TesseraError("ERR_INVALID_OPTION", "`url` must list memcached servers as host:port, comma-separated");
    }
    if (parsed.hostname === "" || (parsed.pathname !== "" && parsed.pathname !== "/")) {
      throw new TesseraError("ERR_INVALID_OPTION", "`url` must list memcached servers as host:port, comma-separated");
    }
    const host = parsed.hostname.replace(/^\[(.*)\]$/, "$1");
    const port = parsed.port === "" ? 11211 : Number(parsed.port);
    const username = parsed.username === "" ? undefined : decodeURIComponent(parsed.username);
    const password = parsed.password === "" ? undefined : decodeURIComponent(parsed.password);
    return new MemcachedServer(host, port, username, password, {
      timeout: timeouts.call,
      conntimeout: timeouts.connect,
      keepAlive: true,
    });
  });
}

/** An item's value: the version on the first line, then the record's text. */
function encodeValue(version: number, json: string): string {
  return `${version}\n${json}`;
}

/** The version at the head of a value, or undefined when the value is not one of ours. */
function versionOf(value: Buffer): number | undefined {
  const newline = value.indexOf(0x0a);
  if (newline < 1 || newline > 16) return undefined;
  const version = Number(value.subarray(0, newline).toString("latin1"));
  return Number.isSafeInteger(version) && version >= 1 ? version : undefined;
}

/** The expiration field for a TTL: seconds from now up to 30 days, a unix time beyond (by this machine's clock). */
function expirationOf(ttlSeconds: number): number {
  const ttl = Math.max(1, Math.ceil(ttlSeconds));
  if (ttl <= relativeLimitSeconds) return ttl;
  return Math.min(0xffff_ffff, Math.floor(Date.now() / 1000) + ttl);
}

/**
 * A store in memcached, through memjs. Each session is one item keyed by prefix + the SHA-256 of its token, its
 * version inside the value; update is a CAS write (`gets`, then `set` with the CAS token) and expiry is memcached's
 * own. memcached cannot find keys by user, so the store has no user index (`sessions.userSessions` and
 * `revokeUserSessions` throw `ERR_NOT_SUPPORTED`), and it may evict any session under memory pressure and loses
 * every session on restart (see README.md).
 *
 * @example
 * const store = memcachedStore({ url: "memcached://127.0.0.1:11211" });
 */
export const memcachedStore: StoreFactory<MemcachedStoreOptions, Store> = (options) => {
  if (options === null || typeof options !== "object") {
    throw new TesseraError("ERR_INVALID_OPTION", "`memcachedStore` needs an options object with `url` or `client`");
  }
  refuseRenamedOptions("memcachedStore", options, renamed);
  const prefix = options.prefix ?? defaults.prefix;
  if (typeof prefix !== "string" || !prefixRegExp.test(prefix)) {
    throw new TesseraError("ERR_INVALID_OPTION", "`prefix` must be at most 200 printable ASCII characters without spaces");
  }
  if ((options.url === undefined) === (options.client === undefined)) {
    throw new TesseraError("ERR_INVALID_OPTION", "`memcachedStore` needs exactly one of `url` and `client`");
  }
  const owned = options.client === undefined;
  let client: Client;
  if (options.client) {
    client = options.client;
  } else {
    if (typeof options.url !== "string" || options.url.trim() === "") {
      throw new TesseraError("ERR_INVALID_OPTION", "`url` must list memcached servers as host:port, comma-separated");
    }
    // memjs takes its timeouts in seconds.
    const timeouts = {
      connect: timerMs("connectTimeout", options.connectTimeout ?? defaults.connectTimeout) / 1000,
      call: timerMs("callTimeout", options.callTimeout ?? defaults.callTimeout) / 1000,
    };
    // One attempt per call (`retries: 1`): the manager has its own deadline, and memjs re-sending a write whose
    // first copy landed would make a CAS write come back "exists", read as a lost race, and replayed twice.
    client = new Client(serversOf(options.url, timeouts), { retries: 1, logger: silentLogger });
  }

  let closed = false;
  const keyOf = (id: string): string => `${prefix}${id}`;

  /** Sends one binary-protocol request, with a CAS token when given, and resolves with memcached's answer. */
  const send = (
    operation: keyof typeof opcode,
    key: string,
    extras: Buffer | "",
    value: string,
    cas?: Buffer,
    signal?: AbortSignal,
  ): Promise<MemcachedResponse> =>
    new Promise((resolve, reject) => {
      if (closed) {
        reject(new TesseraError("ERR_STORE_UNAVAILABLE", "the memcached store was closed"));
        return;
      }
      // The manager gave up on this call: a write it reported as failed must not be sent now.
      if (signal?.aborted) {
        reject(new TesseraError("ERR_STORE_UNAVAILABLE", "the memcached call was abandoned"));
        return;
      }
      client.incrSeq();
      const seq = client.seq;
      const packet = Utils.makeRequestBuffer(opcode[operation], key, extras, value, seq);
      // The header's last 8 bytes carry the CAS token (protocol_binary.txt §"Request header"); memjs sets none.
      cas?.copy(packet, 16);
      client.perform(
        key,
        packet,
        seq,
        (error: unknown, response?: MemcachedResponse) => {
          if (error) reject(error instanceof Error ? error : new Error(String(error)));
          else resolve(response!);
        },
        1,
      );
    });
  const unexpected = (operation: string, response: MemcachedResponse): Error =>
    new Error(`memcached answered ${operation} with status 0x${response.header.status.toString(16)}`);
  const writeExtras = (ttlSeconds: number): Buffer => {
    const extras = Buffer.alloc(8);
    extras.writeUInt32BE(0, 0); // flags
    extras.writeUInt32BE(expirationOf(ttlSeconds), 4);
    return extras;
  };
  return {
    name: "memcached",
    async get(id, options) {
      const response = await send("get", keyOf(id), "", "", undefined, options?.signal);
      if (response.header.status === status.notFound) return undefined;
      if (response.header.status !== status.ok) throw unexpected("get", response);
      const version = versionOf(response.val);
      // An item that is not one of ours reads as an empty text, which no decoder accepts.
      if (version === undefined) return { text: "", version: 1 };
      const stored: StoredSession = { text: response.val.subarray(response.val.indexOf(0x0a) + 1).toString("utf8"), version };
      return stored;
    },
    async create(id, text, { ttlSeconds, signal }) {
      const response = await send("add", keyOf(id), writeExtras(ttlSeconds), encodeValue(1, text), undefined, signal);
      if (response.header.status === status.exists) return false;
      if (response.header.status !== status.ok) throw unexpected("add", response);
      return true;
    },
    async update(id, text, expectedVersion, { ttlSeconds, signal }) {
      const key = keyOf(id);
      const value = encodeValue(expectedVersion + 1, text);
      for (let round = 0; round < casRounds; round++) {
        const current = await send("get", key, "", "", undefined, signal);
        if (current.header.status === status.notFound) return undefined;
        if (current.header.status !== status.ok) throw unexpected("get", current);
        if (versionOf(current.val) !== expectedVersion) return undefined;
        // Written only if nobody changed the item since the read: the CAS token is the item's, not ours.
        const written = await send("set", key, writeExtras(ttlSeconds), value, current.header.cas, signal);
        if (written.header.status === status.ok) return expectedVersion + 1;
        if (written.header.status === status.notFound) return undefined;
        if (written.header.status !== status.exists) throw unexpected("set", written);
      }
      return undefined;
    },
    async delete(id, options) {
      const key = keyOf(id);
      const expected = options?.expectedVersion;
      for (let round = 0; round < casRounds; round++) {
        let cas: Buffer | undefined;
        if (expected !== undefined) {
          const current = await send("get", key, "", "", undefined, options?.signal);
          if (current.header.status === status.notFound) return false;
          if (current.header.status !== status.ok) throw unexpected("get", current);
          if (versionOf(current.val) !== expected) return false;
          cas = current.header.cas;
        }
        // With a CAS token, deleted only if nobody changed the item since the read.
        const response = await send("delete", key, "", "", cas, options?.signal);
        if (response.header.status === status.ok) return true;
        if (response.header.status === status.notFound) return false;
        if (response.header.status !== status.exists) throw unexpected("delete", response);
      }
      return false;
    },
    close() {
      if (closed) return;
      closed = true;
      if (owned) client.close();
    },
  };
};
