// One benchmark server, in its own process: `node --import tsx bench/server.ts "<contestant>"`.
// Prints "ready <port>" once it listens on 127.0.0.1, and "stats {...}" (its counters) for each "stats" line it reads.

import { createServer } from "node:net";
import { contestants, counters } from "./contestants.js";

const name = process.argv[2];
const contestant = contestants.find((c) => c.name === name);
if (!contestant) {
  console.error(`no contestant named ${JSON.stringify(name)}`);
  process.exit(2);
}

/** A free loopback port, from the kernel. */
const port = await new Promise<number>((resolve, reject) => {
  const probe = createServer();
  probe.once("error", reject);
  probe.listen(0, "127.0.0.1", () => {
    const { port } = probe.address() as { port: number };
    probe.close(() => resolve(port));
  });
});
await contestant.start(port);
process.stdout.write(`ready ${port}\n`);
// The orchestrator ends this process; it also ends if the orchestrator goes away.
process.stdin.setEncoding("utf8");
process.stdin.on("data", (text: string) => {
  for (const line of text.split("\n")) if (line.trim() === "stats") process.stdout.write(`stats ${JSON.stringify(counters)}\n`);
});
process.stdin.on("end", () => process.exit(0));
