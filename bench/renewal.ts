// `node --import tsx bench/renewal.ts [-- --stores=memory,sqlite,redis]`: what `renewAfter` costs a request.
// For each store, the same request (load a session, change one key, commit) when no renewal is due, when the
// token is due (a new record, then the old one turned into a forwarder), and when it carries the old token inside
// the grace (followed to the successor). Sequential requests, so the figures are latency, not throughput. Prints a
// table; asserts nothing.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createSessions, type Store } from "../src/index.js";

const argument = (name: string, fallback: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const stores = argument("stores", "memory,sqlite").split(",");
const rounds = Number(argument("rounds", "2000"));
const secret = "renewal benchmark secret, at least 32 bytes long";

async function open(name: string): Promise<{ store: Store; cleanup: () => Promise<void> }> {
  if (name === "memory") {
    const { memoryStore } = await import("../src/stores/memory/index.js");
    return { store: memoryStore({ gcInterval: false }), cleanup: async () => undefined };
  }
  if (name === "sqlite") {
    const dir = mkdtempSync(join(tmpdir(), "tessera-bench-renewal-"));
    const { sqliteStore } = await import("../src/stores/sqlite/index.js");
    return { store: sqliteStore({ path: join(dir, "sessions.db"), gcInterval: false }), cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  if (name === "redis") {
    const { redisStore } = await import("../src/stores/redis/index.js");
    const prefix = `bench-renewal:${process.pid}:`;
    const cleanup = async () => {
      const { createClient } = await import("redis");
      const client = await createClient({ url: "redis://127.0.0.1:6379" }).connect();
      for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) if (keys.length > 0) await client.del(keys);
      await client.close();
    };
    return { store: redisStore({ url: "redis://127.0.0.1:6379", prefix }), cleanup };
  }
  throw new Error(`unknown store ${name}`);
}

const cookieOf = (response: Response): string => response.headers.getSetCookie().find((h) => h.startsWith("sid="))!.split(";")[0]!;

async function measure(name: string): Promise<[string, number, number, number]> {
  const { store, cleanup } = await open(name);
  let now = Date.now();
  const sessions = createSessions<{ n?: number }>({ secrets: [secret], store, clock: () => now, renewAfter: "15m", renewalGrace: "30s" });
  const request = (cookie?: string) => new Request("http://bench.test/", cookie ? { headers: { cookie } } : {});
  const write = async (cookie: string): Promise<Response> => {
    const session = await sessions.load(request(cookie));
    session.update("n", (n) => (n ?? 0) + 1);
    return sessions.commit(session, new Response("ok"));
  };
  const cookies: string[] = [];
  for (let i = 0; i < rounds; i++) {
    const session = await sessions.load(request());
    session.set("n", 0);
    cookies.push(cookieOf(await sessions.commit(session, new Response("ok"))));
  }
  const time = async (run: (cookie: string) => Promise<unknown>): Promise<number> => {
    const start = process.hrtime.bigint();
    for (const cookie of cookies) await run(cookie);
    return Number(process.hrtime.bigint() - start) / rounds / 1000;
  };
  // A pass unmeasured first, so the first phase timed does not pay for the JIT's warm-up alone.
  await time(write);
  const plain = await time(write);
  now += 15 * 60_000;
  const renewing = await time(write);
  const followed = await time(write);
  await sessions.close();
  await cleanup();
  return [name, plain, renewing, followed];
}

console.log("| store | write, no renewal due µs | write that renews µs | × | write with the old token in the grace µs | × |");
console.log("| --- | ---: | ---: | ---: | ---: | ---: |");
for (const name of stores) {
  const [store, plain, renewing, followed] = await measure(name);
  console.log(`| ${store} | ${plain.toFixed(0)} | ${renewing.toFixed(0)} | ${(renewing / plain).toFixed(2)} | ${followed.toFixed(0)} | ${(followed / plain).toFixed(2)} |`);
}
