// Options that were renamed or removed: refused with a typed error naming what replaces them, never ignored.

import { TesseraError } from "./errors.js";

/**
 * Throws `ERR_OPTION_RENAMED` when `options` sets one of the old names in `renamed` (to anything but `undefined`),
 * with a message naming its replacement. An old name left in a config would otherwise be ignored silently and its
 * default used instead, which for a timeout or an interval is a change nobody asked for.
 *
 * @example
 * refuseRenamedOptions("memoryStore", options, { sweepIntervalSeconds: "`gcInterval` (a duration: 60 or \"1m\")" });
 * // memoryStore({ sweepIntervalSeconds: 30 }) throws: "`memoryStore` option `sweepIntervalSeconds` is now `gcInterval` (...)"
 */
export function refuseRenamedOptions(owner: string, options: object, renamed: Readonly<Record<string, string>>): void {
  for (const [old, replacement] of Object.entries(renamed)) {
    if ((options as Record<string, unknown>)[old] !== undefined) {
      throw new TesseraError("ERR_OPTION_RENAMED", `\`${owner}\` option \`${old}\` is now ${replacement}`);
    }
  }
}

/**
 * How a renamed duration option is named in the error: its new name and its unit, which for an option that used to
 * take milliseconds is the change that matters (`busyTimeout: 2000` would be over half an hour).
 *
 * @example
 * refuseRenamedOptions("redisStore", options, { connectTimeoutMs: durationOption("connectTimeout", "ms") });
 */
export function durationOption(name: string, oldUnit: "ms" | "seconds"): string {
  const unit = oldUnit === "ms" ? "seconds, not milliseconds" : "seconds";
  return `\`${name}\`, a duration in ${unit}, or a string such as "2s" or "10m"`;
}

/** What replaces a store's own `clock` option: the manager's clock, passed to the store with every write and gc. */
export const managerClock = "createSessions's `clock`: the store takes the manager's time from each write (`now`) and from `gc(now)`";
