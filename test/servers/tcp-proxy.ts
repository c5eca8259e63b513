// A loopback TCP proxy for outage tests: forwards to a real server until cut (drops and refuses connections) or
// stalled (accepts and holds bytes, forwards nothing, keeps every socket open).

import { createConnection, createServer, type AddressInfo, type Socket } from "node:net";

/** Where the proxy forwards to. */
export interface TcpProxyOptions {
  /** The real server's host. @default "127.0.0.1" */
  host?: string;
  /** The real server's port. */
  port: number;
}

/** How `cut` ends the connections that are open. */
export interface CutOptions {
  /**
   * `"close"` ends them with FIN, as a server that exits does; `"reset"` with RST, as a crashed host or a firewall
   * does. New connections are always reset at once while cut. @default "close"
   */
  how?: "close" | "reset";
}

/** How `resume` ends a stall. */
export interface ResumeOptions {
  /**
   * `"forward"` delivers the bytes held during the stall, in order, and forwards again, as a network that comes
   * back does; `"drop"` ends the stalled connections (held bytes discarded) so clients reconnect, and forwards new
   * ones. @default "forward"
   */
  how?: "forward" | "drop";
}

/** A running proxy. */
export interface TcpProxy {
  /** The loopback port clients connect to. */
  readonly port: number;
  /** Connections from clients open right now (each with its upstream twin). */
  readonly connections: number;
  /** Connections accepted since the proxy started, refused ones included. */
  readonly accepted: number;
  /** Whether the proxy is cut. */
  readonly isCut: boolean;
  /** Whether the proxy is stalled. */
  readonly isStalled: boolean;
  /** Bytes held by the stall so far, both directions (0 when not stalled). */
  readonly heldBytes: number;
  /** Ends every open connection, both sides, and resets every new one until `restore()`. */
  cut(options?: CutOptions): void;
  /** Forwards new connections again. */
  restore(): void;
  /**
   * Stops forwarding without closing anything: open connections stay open, new ones are accepted (and connected
   * upstream), and every byte either side sends is read and held, so nobody sees an error, only silence.
   */
  stall(): void;
  /** Ends a stall. */
  resume(options?: ResumeOptions): void;
  /** Ends every connection and stops listening. */
  close(): Promise<void>;
}

/**
 * Starts a proxy on 127.0.0.1 (a free port) that forwards each connection to `host:port`.
 *
 * @example
 * const proxy = await startTcpProxy({ port: 5432 });
 * proxy.cut(); // the server is "gone"
 * proxy.restore();
 * proxy.stall(); // the network goes silent
 * proxy.resume();
 * await proxy.close();
 */
export async function startTcpProxy(options: TcpProxyOptions): Promise<TcpProxy> {
  const host = options.host ?? "127.0.0.1";

  /** Per connection: the two sockets and the chunks the stall holds for each direction. */
  interface Pair {
    sockets: [Socket, Socket];
    held: { toUpstream: Buffer[]; toClient: Buffer[] };
  }
  const pairs = new Set<Pair>();
  let cut = false;
  let stalled = false;
  let heldBytes = 0;
  let accepted = 0;

  /** Writes `chunk` to `to`, pausing `from` while `to`'s buffer is full (what `pipe` does). */
  const write = (from: Socket, to: Socket, chunk: Buffer): void => {
    if (to.destroyed) return;
    if (!to.write(chunk)) {
      from.pause();
      to.once("drain", () => from.resume());
    }
  };

  const server = createServer((client) => {
    accepted++;
    if (cut) {
      client.on("error", () => undefined);
      client.resetAndDestroy();
      return;
    }
    const upstream = createConnection({ host, port: options.port });
    const pair: Pair = { sockets: [client, upstream], held: { toUpstream: [], toClient: [] } };
    pairs.add(pair);
    const end = (): void => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    // Either side failing or closing ends both: the proxy never holds half a connection.
    for (const socket of pair.sockets) {
      socket.on("error", end);
      socket.on("close", end);
    }
    const forward = (from: Socket, to: Socket, held: Buffer[]) => (chunk: Buffer) => {
      if (stalled) {
        held.push(chunk);
        heldBytes += chunk.length;
      } else write(from, to, chunk);
    };
    client.on("data", forward(client, upstream, pair.held.toUpstream));
    upstream.on("data", forward(upstream, client, pair.held.toClient));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });

  const dropAll = (how: "close" | "reset"): void => {
    for (const pair of pairs) {
      for (const socket of pair.sockets) {
        if (how === "reset" && !socket.destroyed) socket.resetAndDestroy();
        else socket.destroy();
      }
    }
    pairs.clear();
  };

  return {
    port: (server.address() as AddressInfo).port,
    get connections() {
      return pairs.size;
    },
    get accepted() {
      return accepted;
    },
    get isCut() {
      return cut;
    },
    get isStalled() {
      return stalled;
    },
    get heldBytes() {
      return heldBytes;
    },
    cut(cutOptions = {}) {
      cut = true;
      dropAll(cutOptions.how ?? "close");
    },
    restore() {
      cut = false;
    },
    stall() {
      stalled = true;
    },
    resume(resumeOptions = {}) {
      stalled = false;
      heldBytes = 0;
      if ((resumeOptions.how ?? "forward") === "drop") {
        dropAll("close");
        return;
      }
      for (const { sockets, held } of pairs) {
        const [client, upstream] = sockets;
        for (const chunk of held.toUpstream.splice(0)) write(client, upstream, chunk);
        for (const chunk of held.toClient.splice(0)) write(upstream, client, chunk);
      }
    },
    close() {
      cut = true;
      stalled = false;
      dropAll("close");
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
