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
      if (keyEnd - keyStart === name.length && header.startsWith(name, keyStart)) {
        let valueStart = skipSpace(header, eq + 1, end);
        let valueEnd = trimSpaceEnd(header, valueStart, end);
        if (valueEnd - valueStart >= 2 && header.charCodeAt(valueStart) === 0x22 && header.charCodeAt(valueEnd - 1) === 0x22) {
          valueStart++;
          valueEnd--;
        }
        values.push(header.slice(valueStart, valueEnd));
      }
    }
    start = end + 1;
  }
  return values;
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
