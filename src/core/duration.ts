// Durations in options: "30m", "12h", "7d", "45s" or a number of seconds.

import { TesseraError } from "./errors.js";

/** A duration as a number of seconds or a string such as `"30m"`. */
export type Duration = number | `${number}${"s" | "m" | "h" | "d"}`;

/** `<digits>[.<digits>]<unit>` where unit is one of s, m, h, d. */
const durationRegExp = /^(\d+(?:\.\d+)?)([smhd])$/;

const unitSeconds = { s: 1, m: 60, h: 3600, d: 86_400 } as const;

/**
 * Converts a duration option to milliseconds, naming the option when it is not a positive duration.
 *
 * @example
 * toMilliseconds("30m", "idleTimeout"); // 1_800_000
 */
export function toMilliseconds(value: Duration, option: string): number {
  let seconds: number | undefined;
  if (typeof value === "number") {
    seconds = value;
  } else if (typeof value === "string") {
    const match = durationRegExp.exec(value);
    if (match) seconds = Number(match[1]) * unitSeconds[match[2] as keyof typeof unitSeconds];
  }
  // A value that rounds to 0 ms or overflows to Infinity (1e308) is no usable duration either.
  const milliseconds = seconds === undefined ? Number.NaN : Math.round(seconds * 1000);
  if (!Number.isSafeInteger(milliseconds) || milliseconds <= 0) {
    throw new TesseraError(
      "ERR_INVALID_OPTION",
      `\`${option}\` must be a positive number of seconds or a string such as "30m" (got ${describe(value)})`,
    );
  }
  return milliseconds;
}

function describe(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value.slice(0, 20)) : typeof value;
}
