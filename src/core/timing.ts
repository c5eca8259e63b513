// Limits and checks for the timers and batches stores run: one place for what setInterval can honour.

import { TesseraError } from "./errors.js";

/** The longest delay setTimeout and setInterval honour (a signed 32-bit count of ms); a longer one fires after 1 ms. */
export const maxTimerMs = 2 ** 31 - 1;

/**
 * Checks a timer interval option in seconds: setInterval turns NaN, negative or over-long delays into 1 ms, which
 * would run the timer a thousand times a second. `allowZero` lets 0 mean "off".
 *
 * @example
 * checkIntervalSeconds("gcIntervalSeconds", options.gcIntervalSeconds ?? 600, { allowZero: true });
 */
export function checkIntervalSeconds(option: string, seconds: number, { allowZero }: { allowZero: boolean }): number {
  const inRange = (allowZero ? seconds >= 0 : seconds > 0) && seconds * 1000 <= maxTimerMs;
  if (!inRange) {
    const rule = allowZero ? `must be 0 (off) or a number of seconds up to ${maxTimerMs / 1000}` : `must be a number of seconds above 0 and at most ${maxTimerMs / 1000}`;
    throw new TesseraError("ERR_INVALID_OPTION", `\`${option}\` ${rule}`);
  }
  return seconds;
}

/**
 * Checks a garbage-collection batch size: a batch of 0 (or less) would never finish, since collection loops until a
 * batch deletes fewer rows than the batch size.
 *
 * @example
 * const batchSize = checkBatchSize(options.gcBatchSize ?? 500);
 */
export function checkBatchSize(size: number): number {
  if (!Number.isSafeInteger(size) || size < 1) throw new TesseraError("ERR_INVALID_OPTION", "`gcBatchSize` must be a positive integer");
  return size;
}
