// A cookie value too long for one cookie, split over `<name>.0`, `<name>.1`, ... and joined back.

import { maxCookieBytes } from "./serialize.js";

/**
 * The most cookies one value is split over. A value's chunks are read back only up to here, so a header stuffed with
 * chunk names costs nothing more; 16 × 4 KiB is past what any server accepts in a Cookie header.
 */
export const maxChunks = 16;

/** Chunk 0 is `count "." part`, the count from 2 to `maxChunks` in canonical decimal; its first "." ends the count. */
const countRegExp = /^([2-9]|1[0-6])\./;

/** A value split into chunks: each chunk's name and value. */
export interface CookieChunk {
  name: string;
  value: string;
}

/**
 * `value` split over the fewest cookies `<name>.0`, `<name>.1`, ... each of at most 4096 bytes of name and value
 * (`maxCookieBytes`), the first led by the count ("3." for three); undefined past `maxChunks` cookies. Every chunk
 * but the last is full.
 *
 * @example
 * splitCookieValue("sid", sealed).map((chunk) => chunk.name); // ["sid.0", "sid.1"]
 */
export function splitCookieValue(name: string, value: string): CookieChunk[] | undefined {
  for (let count = 2; count <= maxChunks; count++) {
    const room = (index: number): number => maxCookieBytes - name.length - 1 - String(index).length - (index === 0 ? String(count).length + 1 : 0);
    let capacity = 0;
    for (let index = 0; index < count; index++) capacity += room(index);
    if (capacity < value.length) continue;
    const chunks: CookieChunk[] = [];
    let offset = 0;
    for (let index = 0; index < count; index++) {
      const part = value.slice(offset, offset + room(index));
      offset += part.length;
      chunks.push({ name: `${name}.${index}`, value: index === 0 ? `${count}.${part}` : part });
    }
    return chunks;
  }
  return undefined;
}

/** What `joinChunks` found: values to try, and how many chunk sets were refused before any cryptography. */
export interface JoinedChunks {
  /** Each joined value with the number of chunks it took, in the order to try them. */
  values: { value: string; count: number }[];
  /** Chunk 0 values without a count `splitCookieValue` writes. */
  malformed: number;
  /** Chunk sets that lack a chunk their count calls for, or chunks sent without a chunk 0. */
  incomplete: number;
}

/**
 * The values that chunks sent under one name can join into (`chunks[i]`: every value sent for chunk `i`, in order),
 * at most `limit`: first the first value of each chunk, then, when a chunk was sent more than once (another path
 * or domain set it too), the other combinations, so a chunk planted beside the real one does not hide it. Chunks
 * past the count are not part of any value.
 *
 * @example
 * joinChunks([["2.ab"], ["cd"]], 8).values; // [{ value: "abcd", count: 2 }]
 */
export function joinChunks(chunks: readonly (readonly string[])[], limit: number): JoinedChunks {
  const joined: JoinedChunks = { values: [], malformed: 0, incomplete: 0 };
  const heads = chunks[0] ?? [];
  if (heads.length === 0) {
    if (chunks.some((values) => values.length > 0)) joined.incomplete++;
    return joined;
  }
  for (const head of heads) {
    const match = countRegExp.exec(head);
    if (match === null) {
      joined.malformed++;
      continue;
    }
    const count = Number(match[1]);
    const rest = chunks.slice(1, count);
    if (rest.length < count - 1 || rest.some((values) => values.length === 0)) {
      joined.incomplete++;
      continue;
    }
    // Every combination of the chunks' values, the first value of each first: an odometer over their indices.
    const picks = new Array<number>(count - 1).fill(0);
    for (;;) {
      if (joined.values.length >= limit) return joined;
      joined.values.push({ value: head.slice(match[0].length) + picks.map((pick, i) => rest[i]![pick]!).join(""), count });
      let digit = picks.length - 1;
      while (digit >= 0 && ++picks[digit]! === rest[digit]!.length) picks[digit--] = 0;
      if (digit < 0) break;
    }
  }
  return joined;
}
