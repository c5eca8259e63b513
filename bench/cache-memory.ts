// Memory per entry of cookie mode's decode cache: `node --expose-gc --import tsx bench/cache-memory.ts` prints one
// JSON line. The heap is measured after a full collection before and after the cache fills with distinct sessions.

import { createSessionManager } from "../src/manager/sessions.js";

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error("run with --expose-gc");

const entries = 10_000;
const bytesPerEntry: Record<string, number> = {};
// The managers stay reachable until the end, or a collection could take a cache with its manager.
const kept: unknown[] = [];
let cookieBytes = 0;
for (const cipher of ["aes-256-gcm", "xchacha20-poly1305"] as const) {
  const manager = createSessionManager<{ username?: string; visits?: number }>({
    secrets: ["bench-secret-bench-secret-bench-secret-0123456789"],
    decodeCacheSize: entries,
    cipher,
  });
  const cookies: string[] = [];
  for (let i = 0; i < entries; i++) {
    const session = await manager.loadFrom({ cookie: undefined, secure: false });
    session.set("username", `user-${i}`);
    session.set("visits", i);
    cookies.push((await manager.commitHeaders(session)).setCookie[0]!.split(";")[0]!);
  }
  cookieBytes = Math.round(cookies.reduce((sum, cookie) => sum + cookie.length, 0) / entries);
  gc();
  gc();
  const before = process.memoryUsage().heapUsed;
  for (const cookie of cookies) await manager.loadFrom({ cookie, secure: false });
  gc();
  gc();
  bytesPerEntry[cipher] = Math.round((process.memoryUsage().heapUsed - before) / entries);
  kept.push(manager);
}
console.log(JSON.stringify({ entries, cookieBytes, bytesPerEntry, managers: kept.length }));
