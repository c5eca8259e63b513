// Progress of a long command on stderr: a redrawn bar on a terminal, one plain line per step otherwise.

import type { Io } from "./command.js";
import { count } from "./text.js";

/** Reports steps of work towards a total that may be unknown. */
export interface Progress {
  /** One step done: `done` so far in all, and a note for the plain line. */
  step(done: number, note: string): void;
  /** Clears the bar (a terminal) so the summary starts on a clean line. */
  end(): void;
}

/** A terminal is redrawn at most this often. */
const redrawMs = 100;

/**
 * A progress reporter for `io.stderr`: a bar when it is a terminal, else one line per step (for logs and CI).
 *
 * @example
 * const progress = createProgress(io, "deleted", expected);
 * progress.step(500, "batch 1: 500 rows in 3.2 ms");
 */
export function createProgress(io: Io, noun: string, total: number | undefined): Progress {
  const stream = io.stderr;
  if (!stream.isTTY) {
    return {
      step: (done, note) => stream.write(`${note}; ${count(done)}${total === undefined ? "" : ` of ${count(total)}`} ${noun}\n`),
      end: () => undefined,
    };
  }
  let last = 0;
  let drawn = false;
  const started = performance.now();
  return {
    step(done) {
      const now = performance.now();
      if (drawn && now - last < redrawMs) return;
      last = now;
      drawn = true;
      const rate = done / Math.max(0.001, (now - started) / 1000);
      const width = Math.max(10, Math.min(40, (stream.columns ?? 80) - 50));
      const fraction = total ? Math.min(1, done / total) : 0;
      const filled = Math.round(fraction * width);
      const bar = total ? `[${"#".repeat(filled)}${".".repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}% ` : "";
      stream.write(`\r${bar}${count(done)}${total === undefined ? "" : ` / ${count(total)}`} ${noun}, ${count(Math.round(rate))}/s\u001b[K`);
    },
    end() {
      if (drawn) stream.write("\r\u001b[K");
    },
  };
}
