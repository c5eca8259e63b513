import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { joinChunks, maxChunks, splitCookieValue } from "./chunks.js";
import { readChunkedCookie } from "./parse.js";
import { maxCookieBytes } from "./serialize.js";

const base64url = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const valueOf = (length: number): string => Array.from({ length }, (_, i) => base64url[(i * 7) % 64]).join("");

describe("splitCookieValue", () => {
  it("splits over the fewest cookies of at most 4096 bytes of name and value, all full but the last", () => {
    const chunks = splitCookieValue("__Host-sid", valueOf(9000))!;
    expect(chunks.map((chunk) => chunk.name)).toEqual(["__Host-sid.0", "__Host-sid.1", "__Host-sid.2"]);
    expect(chunks[0]!.value.startsWith("3.")).toBe(true);
    expect(chunks.slice(0, -1).map((chunk) => chunk.name.length + chunk.value.length)).toEqual([maxCookieBytes, maxCookieBytes]);
    expect(chunks.at(-1)!.name.length + chunks.at(-1)!.value.length).toBeLessThan(maxCookieBytes);
  });

  it("gives up past 16 cookies", () => {
    expect(splitCookieValue("sid", valueOf(16 * 4000))).toHaveLength(maxChunks);
    expect(splitCookieValue("sid", valueOf(16 * 4096))).toBeUndefined();
  });

  it("joins back to the value it split, whatever its length and the name's", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60_000 }), fc.constantFrom("s", "sid", "__Host-sid", "x".repeat(200)), (length, name) => {
        const value = valueOf(length);
        const chunks = splitCookieValue(name, value);
        if (chunks === undefined) return;
        expect(chunks.every((chunk) => chunk.name.length + chunk.value.length <= maxCookieBytes)).toBe(true);
        const sent = readChunkedCookie(chunks.map((chunk) => `${chunk.name}=${chunk.value}`).join("; "), name, maxChunks);
        expect(joinChunks(sent.chunks, 8).values).toEqual([{ value, count: chunks.length }]);
      }),
      { numRuns: 200 },
    );
  });
});

describe("joinChunks", () => {
  const chunks = (...lists: string[][]): string[][] => [...lists, ...Array.from({ length: maxChunks - lists.length }, () => [])];

  it("counts a chunk set missing a chunk, or without its chunk 0, as incomplete", () => {
    expect(joinChunks(chunks(["3.a"], ["b"]), 8)).toEqual({ values: [], malformed: 0, incomplete: 1 });
    expect(joinChunks(chunks(["3.a"], [], ["c"]), 8)).toEqual({ values: [], malformed: 0, incomplete: 1 });
    expect(joinChunks(chunks([], ["b"]), 8)).toEqual({ values: [], malformed: 0, incomplete: 1 });
    expect(joinChunks(chunks(), 8)).toEqual({ values: [], malformed: 0, incomplete: 0 });
  });

  it("counts a chunk 0 without a count it could have been written with as malformed", () => {
    for (const head of ["a", "1.a", "0.a", "02.a", "17.a", "99.a", ".a", "2a"]) {
      expect(joinChunks(chunks([head], ["b"]), 8), head).toEqual({ values: [], malformed: 1, incomplete: 0 });
    }
  });

  it("ignores chunks past the count", () => {
    expect(joinChunks(chunks(["2.a"], ["b"], ["junk"], ["more"]), 8).values).toEqual([{ value: "ab", count: 2 }]);
  });

  it("tries the first value of each chunk first, then the other combinations, at most `limit` of them", () => {
    expect(joinChunks(chunks(["2.a"], ["planted", "b"]), 8).values.map((joined) => joined.value)).toEqual(["aplanted", "ab"]);
    const many = chunks(["4.a"], ["1", "2", "3", "4"], ["1", "2", "3", "4"], ["1", "2", "3", "4"]);
    const joined = joinChunks(many, 8).values.map((candidate) => candidate.value);
    expect(joined).toEqual(["a111", "a112", "a113", "a114", "a121", "a122", "a123", "a124"]);
  });
});

describe("readChunkedCookie", () => {
  it("reads the whole cookie and each chunk by its canonical index, in one pass", () => {
    const sent = readChunkedCookie('a=1; sid=w; sid.0=2.x; sid.1=y; sid.01=no; sid.x=no; sid.=no; sid.1="z"; sid.16=no; sidx=no', "sid", maxChunks);
    expect(sent.whole).toEqual(["w"]);
    expect(sent.chunks.slice(0, 3)).toEqual([["2.x"], ["y", "z"], []]);
    expect(sent.chunks).toHaveLength(maxChunks);
    expect(sent.chunks.slice(2).every((values) => values.length === 0)).toBe(true);
  });

  it("keeps at most `limit` whole values and `perChunk` values of each chunk", () => {
    const header = Array.from({ length: 100 }, (_, i) => `sid=${i}; sid.0=${i}; sid.3=${i}`).join("; ");
    const sent = readChunkedCookie(header, "sid", maxChunks, 5, 2);
    expect(sent.whole).toEqual(["0", "1", "2", "3", "4"]);
    expect(sent.chunks[0]).toEqual(["0", "1"]);
    expect(sent.chunks[3]).toEqual(["0", "1"]);
  });

  it("reads nothing from an empty or missing header, or one without '='", () => {
    for (const header of [undefined, null, "", ";".repeat(1000)]) expect(readChunkedCookie(header, "sid", maxChunks).whole).toEqual([]);
  });
});
