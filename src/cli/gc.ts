// `tessera gc`: deletes expired sessions in small batches while the application keeps serving from the same store.

import { describeError, CliError, exitCodes, parse, printJson, wholeNumber, type Command } from "./command.js";
import { createProgress } from "./progress.js";
import { openStore, storeHelp, storeOptions } from "./store-url.js";
import { count, duration } from "./text.js";

const help = `Usage: tessera gc --store URL [--batch N] [--json]

Deletes expired sessions (expiry at or before now) in batches of N, each its own short transaction, pausing between
batches so that an application sharing the store keeps serving. Shows a progress bar on a terminal (one line per batch
otherwise, on stderr), then a summary: sessions scanned, expired, deleted, batches, time, and the longest pause (the
longest one batch held the store: the most a request could have waited on gc). Ctrl-C stops after the current batch.

Redis and memcached expire sessions themselves: gc says so and exits 0.

Options:
${storeHelp}
  --batch N          rows per batch, 1 to 100000 (default: the store's, 500); smaller batches mean shorter pauses
  --json             print the summary as JSON on stdout
  -h, --help         this text

Exit codes: 0 done (or nothing to do), 1 the store failed, 2 usage, 130 interrupted (the summary says how far it got).`;

/** `tessera gc`. */
export const gc: Command = {
  name: "gc",
  summary: "delete expired sessions in batches (SQLite, PostgreSQL)",
  help,
  async run(args, io) {
    const { values } = parse(args, { ...storeOptions, batch: { type: "string" }, json: { type: "boolean" } }, { command: "gc" });
    if (values.help) {
      io.stdout.write(`${help}\n`);
      return exitCodes.ok;
    }
    const batchSize = wholeNumber(values.batch, "--batch", { min: 1, max: 100_000 });
    const opened = await openStore(values.store, { table: values.table, prefix: values.prefix });
    const { store, kind } = opened;
    try {
      if (!store.gc) {
        const message = `${kind} expires sessions itself (each is written with a TTL): there is nothing to collect`;
        if (values.json) printJson(io, { store: kind, collected: false, reason: "native_expiry", message });
        else io.stdout.write(`${message}\n`);
        return exitCodes.ok;
      }
      const now = Date.now();
      const counted = store.count ? await store.count(now) : undefined;
      const progress = createProgress(io, "deleted", counted?.expired);
      let batches = 0;
      let deleted = 0;
      let longestPauseMs = 0;
      const started = performance.now();
      const removed = await store.gc(now, {
        batchSize,
        signal: io.signal,
        onBatch(batch) {
          batches++;
          deleted += batch.deleted;
          longestPauseMs = Math.max(longestPauseMs, batch.durationMs);
          progress.step(deleted, `batch ${count(batches)}: ${count(batch.deleted)} deleted in ${batch.durationMs.toFixed(1)} ms`);
        },
      });
      progress.end();
      const seconds = (performance.now() - started) / 1000;
      const interrupted = io.signal.aborted;
      const summary = {
        store: kind,
        collected: true,
        scanned: counted?.sessions ?? null,
        expired: counted?.expired ?? null,
        deleted: removed,
        batches,
        seconds: Number(seconds.toFixed(3)),
        longestPauseMs: Number(longestPauseMs.toFixed(3)),
        interrupted,
      };
      if (values.json) {
        printJson(io, summary);
      } else {
        const scanned = counted === undefined ? "" : `scanned ${count(counted.sessions)} sessions (${count(counted.expired)} expired); `;
        io.stdout.write(
          `${interrupted ? "interrupted: " : ""}${scanned}deleted ${count(removed)} in ${count(batches)} batch${batches === 1 ? "" : "es"}, ` +
            `${seconds < 90 ? `${seconds.toFixed(1)} s` : duration(seconds * 1000)}; longest pause ${longestPauseMs.toFixed(1)} ms\n`,
        );
      }
      return interrupted ? exitCodes.interrupted : exitCodes.ok;
    } catch (error) {
      if (error instanceof CliError) throw error;
      throw new CliError(exitCodes.refused, `gc failed: ${describeError(error, opened.sensitive)}`);
    } finally {
      await store.close();
    }
  },
};
