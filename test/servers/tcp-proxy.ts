// A loopback TCP proxy for outage tests: forwards to a real server until cut, then drops and refuses connections.

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
  /** Ends every open connection, both sides, and resets every new one until `restore()`. */
  cut(options?: CutOptions): void;
  /** Forwards new connections again. */
  restore(): void;
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
 * await proxy.close();
 */
export async function startTcpProxy(options: TcpProxyOptions): Promise<TcpProxy> {
  const host = options.host ?? "127.0.0.1";
  const pairs = new Set<[Socket, Socket]>();
  let cut = false;
  let accepted = 0;

  const server = createServer((client) => {
    accepted++;
    if (cut) {
      client.on("error", () => undefined);
      client.resetAndDestroy();
      return;
    }
    const upstream = createConnection({ host, port: options.port });
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    const end = (): void => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    // Either side failing or closing ends both: the proxy never holds half a connection.
    for (const socket of pair) {
      socket.on("error", end);
      socket.on("close", end);
    }
    client.pipe(upstream);
    upstream.pipe(client);
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
      for (const socket of pair) {
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
    cut(cutOptions = {}) {
      cut = true;
      dropAll(cutOptions.how ?? "close");
    },
    restore() {
      cut = false;
    },
    close() {
      cut = true;
      dropAll("close");
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
