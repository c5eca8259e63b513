// How commands lay out text: aligned tables, label/value blocks, times with how long ago, counts with separators.

/**
 * Rows under a header, each column as wide as its widest cell, separated by two spaces.
 *
 * @example
 * table(["id", "user"], [["x1", "alice"]]); // "id  user\nx1  alice"
 */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column]!)))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}

/**
 * `label  value` lines with the values aligned; pairs whose value is undefined are left out.
 *
 * @example
 * block([["format", "sealed"], ["user", undefined]]); // "format  sealed"
 */
export function block(pairs: readonly (readonly [string, string | undefined])[]): string {
  const shown = pairs.filter((pair): pair is readonly [string, string] => pair[1] !== undefined);
  const width = Math.max(...shown.map(([label]) => label.length));
  return shown.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join("\n");
}

/**
 * An instant as ISO 8601 to the second, in UTC.
 *
 * @example
 * isoTime(Date.UTC(2026, 0, 1)); // "2026-01-01T00:00:00Z"
 */
export function isoTime(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/**
 * An instant with how far it is from `now`: `2026-01-01T00:00:00Z (3 h ago)`, `(in 20 min)`.
 *
 * @example
 * when(now - 90_000, now); // "... (2 min ago)"
 */
export function when(epochMs: number, now: number): string {
  const delta = epochMs - now;
  const span = duration(Math.abs(delta));
  return `${isoTime(epochMs)} (${Math.abs(delta) < 1000 ? "now" : delta < 0 ? `${span} ago` : `in ${span}`})`;
}

/**
 * A length of time in its largest sensible unit, rounded: `45 s`, `12 min`, `3 h`, `29 d`.
 *
 * @example
 * duration(7_200_000); // "2 h"
 */
export function duration(ms: number): string {
  const seconds = ms / 1000;
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)} min`;
  if (seconds < 48 * 3600) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86_400)} d`;
}

/**
 * A count with thousands separators: `1,000,000`.
 *
 * @example
 * count(100000); // "100,000"
 */
export function count(n: number): string {
  return n.toLocaleString("en-US");
}
