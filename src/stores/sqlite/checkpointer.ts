// WAL checkpoints off the event loop: a worker thread with its own connection copies the log into the database.

import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";

/** How often the worker checkpoints, in ms. */
export const checkpointIntervalMs = 200;

/** WAL frames (4 KiB pages) past which the worker also restarts the log: about 4 MiB, SQLite's own checkpoint size. */
export const restartFrames = 1000;

/**
 * The worker's program (CommonJS, run with `eval`, so it needs no file of its own beside the compiled store). A
 * PASSIVE checkpoint copies what it can without waiting for readers or writers; its fsync, which takes tens of
 * milliseconds on a busy disk, blocks only this thread. Under steady writes a PASSIVE checkpoint never finds the
 * log idle, and SQLite only rewinds the log when a writer starts after a checkpoint that copied everything, so once
 * the log passes `restartFrames` a RESTART checkpoint makes writers wait (on timers, in the store) for the short
 * copy of what is left and rewinds it; journal_size_limit then gives the file its space back.
 */
const source = `
const { workerData, parentPort } = require("node:worker_threads");
const Database = require(workerData.driver);
const db = new Database(workerData.path, { fileMustExist: true });
db.pragma("busy_timeout = 1000");
const run = () => {
  try {
    const [passive] = db.pragma("wal_checkpoint(PASSIVE)");
    if (passive && passive.log > workerData.restartFrames) db.pragma("wal_checkpoint(RESTART)");
  } catch {
    // Another process checkpointing, or the file gone: the next round tries again.
  }
};
const timer = setInterval(run, workerData.intervalMs);
parentPort.on("message", () => {
  clearInterval(timer);
  run();
  db.close();
  process.exit(0);
});
`;

/**
 * Starts a checkpointing worker for the SQLite file at `path`, or returns `undefined` when the runtime cannot start
 * one (the caller then leaves SQLite's own checkpoints on). `onFailure` runs if the worker dies.
 *
 * @example
 * const checkpointer = startCheckpointer("data/sessions.db", () => db.pragma("wal_autocheckpoint = 1000"));
 * await checkpointer?.stop();
 */
export function startCheckpointer(path: string, onFailure: () => void): { stop(): Promise<void> } | undefined {
  let worker: Worker;
  try {
    const driver = createRequire(import.meta.url).resolve("better-sqlite3");
    worker = new Worker(source, { eval: true, workerData: { path, driver, intervalMs: checkpointIntervalMs, restartFrames } });
  } catch {
    return undefined;
  }
  worker.unref();
  let stopped = false;
  worker.on("error", () => {
    if (!stopped) onFailure();
  });
  worker.on("exit", (code) => {
    if (!stopped && code !== 0) onFailure();
  });
  return {
    stop() {
      if (stopped) return Promise.resolve();
      stopped = true;
      return new Promise<void>((resolve) => {
        // Referenced again while it stops, so a caller awaiting close() keeps the process alive until it is done.
        worker.ref();
        worker.once("exit", () => resolve());
        worker.postMessage("stop");
        // A worker stuck on a lock is ended rather than waited for.
        setTimeout(() => void worker.terminate(), 2000).unref();
      });
    },
  };
}
