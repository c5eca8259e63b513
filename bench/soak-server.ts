// The demo server for `npm run soak`: demo/server.ts exactly as `npm start` runs it, plus its memory on request.
// Started by bench/soak.ts with an IPC channel and --expose-gc; answers "memory" with the heap left after a full
// collection (the live heap, not garbage waiting to be collected) and the resident set size.

process.on("message", (message) => {
  if (message !== "memory") return;
  (globalThis as { gc?: () => void }).gc?.();
  const { rss, heapUsed } = process.memoryUsage();
  process.send?.({ rss, heapUsed });
});

await import("../demo/server.js");
