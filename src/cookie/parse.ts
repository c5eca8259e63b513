// Cookie header parsing: lenient, linear, never throws, and keeps every value sent under one name.

/**
 * Every value sent under `name` in a `Cookie` header, in order, at most `limit` of them. Pairs are split on
 * `;`, names and values trimmed of spaces and tabs (RFC 6265 §5.4 leaves the order of duplicates to the
 * browser, so callers try each). Values in double quotes lose the quotes. One pass over the header: a 64 KiB
 * hostile header costs a 64 KiB scan.
 *
 * @example
 * readCookieValues("a=1; sid=x; sid=y", "sid"); // ["x", "y"]
 */
export function readCookieValues(header: string | null | undefined, name: string, limit = 4): string[] {
  const values: string[] = [];
  if (!header) return values;
  const length = header.length;
  let start = 0;
  // The next "=" at or after `start`, found once and reused, so a header of ";" with no "=" stays one pass.
  let eq = -1;
  while (start < length && values.length < limit) {
    let end = header.indexOf(";", start);
    if (end === -1) end = length;
    if (eq < start) {
      eq = header.indexOf("=", start);
      if (eq === -1) break;
    }
    if (eq < end) {
      const keyStart = skipSpace(header, start, eq);
      const keyEnd = trimSpaceEnd(header, keyStart, eq);
      if (keyEnd - keyStart === name.length && header.startsWith(name, keyStart)) values.push(valueOf(header, eq + 1, end));
    }
    start = end + 1;
  }
  return values;
}

/** The value between `from` (after "=") and `to` (";" or the end), trimmed of spaces and tabs, its double quotes removed. */
function valueOf(header: string, from: number, to: number): string {
  let valueStart = skipSpace(header, from, to);
  let valueEnd = trimSpaceEnd(header, valueStart, to);
  if (valueEnd - valueStart >= 2 && header.charCodeAt(valueStart) === 0x22 && header.charCodeAt(valueEnd - 1) === 0x22) {
    valueStart++;
    valueEnd--;
  }
  return header.slice(valueStart, valueEnd);
}

function skipSpace(text: string, from: number, to: number): number {
  while (from < to && isSpace(text.charCodeAt(from))) from++;
  return from;
}

function trimSpaceEnd(text: string, from: number, to: number): number {
  while (to > from && isSpace(text.charCodeAt(to - 1))) to--;
  return to;
}

function isSpace(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

/** The values of one cookie sent whole and split into chunks (see `readChunkedCookie`). */
export interface ChunkedCookieValues {
  /** Values sent under the name itself, in order. */
  whole: string[];
  /** Values sent under `<name>.<i>`, by `i`, in order; an index not sent is empty. */
  chunks: string[][];
}

/**
 * Every value of cookie `name` and of its chunks `<name>.0`, `<name>.1`, ... below `maxChunks`, in one pass over the
 * header (the same pass as `readCookieValues`): at most `limit` whole values and `perChunk` values of each chunk.
 * A chunk index is canonical decimal ("07" is not chunk 7), so each chunk has one name.
 *
 * @example
 * readChunkedCookie("sid.1=b; sid.0=2.a", "sid", 16); // { whole: [], chunks: [["2.a"], ["b"], [], ...] }
 */
export function readChunkedCookie(header: string | null | undefined, name: string, maxChunks: number, limit = 4, perChunk = 4): ChunkedCookieValues {
  const found: ChunkedCookieValues = { whole: [], chunks: Array.from({ length: maxChunks }, () => []) };
  if (!header) return found;
  const length = header.length;
  let start = 0;
  let eq = -1;
  while (start < length) {
    let end = header.indexOf(";", start);
    if (end === -1) end = length;
    if (eq < start) {
      eq = header.indexOf("=", start);
      if (eq === -1) break;
    }
    if (eq < end) {
      const keyStart = skipSpace(header, start, eq);
      const keyEnd = trimSpaceEnd(header, keyStart, eq);
      const index = keyEnd - keyStart >= name.length && header.startsWith(name, keyStart) ? chunkIndexOf(header, keyStart + name.length, keyEnd) : -2;
      const into = index === -1 ? (found.whole.length < limit ? found.whole : undefined) : index >= 0 && index < maxChunks && found.chunks[index]!.length < perChunk ? found.chunks[index] : undefined;
      into?.push(valueOf(header, eq + 1, end));
    }
    start = end + 1;
  }
  return found;
}

/** After the name: -1 for nothing (the whole cookie), the index for ".<canonical decimal>", else -2. */
function chunkIndexOf(header: string, from: number, to: number): number {
  if (from === to) return -1;
  // "." then 1 or 2 digits, no leading zero: chunk indices stay below 100.
  if (header.charCodeAt(from) !== 0x2e || to - from < 2 || to - from > 3) return -2;
  let index = 0;
  for (let i = from + 1; i < to; i++) {
    const digit = header.charCodeAt(i) - 0x30;
    if (digit < 0 || digit > 9 || (digit === 0 && i === from + 1 && to - from > 2)) return -2;
    index = index * 10 + digit;
  }
  return index;
}
