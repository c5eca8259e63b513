// Duration options of the timers and batches stores run, converted once: one place for what setTimeout can honour.

import { toMilliseconds, type Duration } from "./duration.js";
import { TesseraError } from "./errors.js";

/** The longest delay setTimeout and setInterval honour (a signed 32-bit count of ms); a longer one fires after 1 ms. */
export const maxTimerMs = 2 ** 31 - 1;

/**
 * Converts a timeout or delay option (a `Duration`: seconds, or a string such as `"5s"`) to milliseconds, naming
 * the option when it is not a positive duration or is longer than a timer can wait (about 24 days). `allowZero`
 * lets `0` mean "do not wait".
 *
 * @example
 * const connectTimeoutMs = timerMs("connectTimeout", options.connectTimeout ?? defaults.connectTimeout);
 */
export function timerMs(option: string, value: Duration, { allowZero = false }: { allowZero?: boolean } = {}): number {
  if (allowZero && value === 0) return 0;
  const ms = toMilliseconds(value, option);
  if (ms > maxTimerMs) throw new TesseraError("ERR_INVALID_OPTION", `\`${option}\` must be at most ${maxTimerMs / 1000} seconds`);
  return ms;
}

/**
 * Converts an interval option to milliseconds, or `undefined` for `false` (no timer). setInterval turns NaN,
 * negative or over-long delays into 1 ms, which would run the timer a thousand times a second, so those are refused.
 *
 * @example
 * const gcEveryMs = intervalMs("gcInterval", options.gcInterval ?? defaults.gcInterval); // undefined: off
 */
export function intervalMs(option: string, value: Duration | false): number | undefined {
  if (value === false) return undefined;
  try {
    return timerMs(option, value);
  } catch {
    throw new TesseraError(
      "ERR_INVALID_OPTION",
      `\`${option}\` must be a duration of at most ${maxTimerMs / 1000} seconds (a number of seconds or a string such as "10m"), or false to turn the timer off`,
    );
  }
}

/**
 * Checks a garbage-collection batch size option: a batch of 0 (or less) would never finish, since collection loops
 * until a batch deletes fewer rows than the batch size.
 *
 * @example
 * const batchSize = checkBatchSize("gcBatchSize", options.gcBatchSize ?? 500);
 */
export function checkBatchSize(option: string, size: number): number {
  if (!Number.isSafeInteger(size) || size < 1) throw new TesseraError("ERR_INVALID_OPTION", `\`${option}\` must be a positive integer`);
  return size;
}

/**
 * Checks the `now` a caller passed to `gc(now)`: a store collects by the caller's clock and has none of its own to
 * fall back on, so a missing time is an error rather than a collection that silently removes nothing.
 *
 * @example
 * gc(now) { checkNow(now); ... }
 */
export function checkNow(now: number): number {
  if (!Number.isFinite(now)) throw new TesseraError("ERR_INVALID_OPTION", "`gc(now)` needs the time to collect by (epoch ms)");
  return now;
}
