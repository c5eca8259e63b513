import { describe, it, expect } from "vitest";
import { readChunkedCookie, readCookieValues } from "./parse.js";

/** A header that counts the characters the parser's string methods examine: work, not time, so never flaky. */
class CountingHeader extends String {
  scanned = 0;

  override indexOf(search: string, position = 0): number {
    const found = super.indexOf(search, position);
    this.scanned += (found === -1 ? this.length : found + search.length) - position;
    return found;
  }

  override charCodeAt(index: number): number {
    this.scanned++;
    return super.charCodeAt(index);
  }

  override startsWith(search: string, position?: number): boolean {
    this.scanned += search.length;
    return super.startsWith(search, position);
  }

  override slice(start?: number, end?: number): string {
    const part = super.slice(start, end);
    this.scanned += part.length;
    return part;
  }
}

describe("readCookieValues", () => {
  it("reads the value of the named cookie", () => {
    expect(readCookieValues("a=1; sid=abc; b=2", "sid")).toEqual(["abc"]);
  });

  it("returns every value sent under the name, in header order", () => {
    expect(readCookieValues("sid=first; a=1; sid=second;sid=third", "sid")).toEqual(["first", "second", "third"]);
  });

  it("stops at the limit, which defaults to four", () => {
    const header = Array.from({ length: 10 }, (_, i) => `sid=${i}`).join("; ");
    expect(readCookieValues(header, "sid")).toEqual(["0", "1", "2", "3"]);
    expect(readCookieValues(header, "sid", 2)).toEqual(["0", "1"]);
    expect(readCookieValues(header, "sid", 0)).toEqual([]);
  });

  it("trims spaces and tabs around names and values, but not inside values", () => {
    expect(readCookieValues(" \t sid \t= \t a b \t ;x=1", "sid")).toEqual(["a b"]);
    expect(readCookieValues("a=1;\tsid=v", "sid")).toEqual(["v"]);
  });

  it("drops one pair of surrounding double quotes", () => {
    expect(readCookieValues('sid="quoted"', "sid")).toEqual(["quoted"]);
    expect(readCookieValues('sid=""', "sid")).toEqual([""]);
    expect(readCookieValues('sid="', "sid")).toEqual(['"']);
    expect(readCookieValues('sid="half', "sid")).toEqual(['"half']);
    expect(readCookieValues('sid= "spaced" ', "sid")).toEqual(["spaced"]);
  });

  it("does not match names that merely start or end with the name", () => {
    expect(readCookieValues("sidx=1; sid=2", "sid")).toEqual(["2"]);
    expect(readCookieValues("xsid=1; sid_=2; SID=3", "sid")).toEqual([]);
    expect(readCookieValues("sid=1; sidx=2", "sidx")).toEqual(["2"]);
  });

  it("keeps everything after the first = as the value", () => {
    expect(readCookieValues("sid=a=b==; x=1", "sid")).toEqual(["a=b=="]);
  });

  it("reads an empty value", () => {
    expect(readCookieValues("sid=; a=1", "sid")).toEqual([""]);
  });

  it("returns nothing for an empty, null or undefined header", () => {
    expect(readCookieValues("", "sid")).toEqual([]);
    expect(readCookieValues(undefined, "sid")).toEqual([]);
    expect(readCookieValues(null, "sid")).toEqual([]);
  });

  it("skips pairs without = and still finds the cookie after them", () => {
    expect(readCookieValues("sid; flag; a=1; sid=x", "sid")).toEqual(["x"]);
    expect(readCookieValues("junk;;; ;sid=y", "sid")).toEqual(["y"]);
    expect(readCookieValues("sid", "sid")).toEqual([]);
  });

  it("does not take an = from a later pair for a pair without one", () => {
    expect(readCookieValues("sid; x=1", "sid")).toEqual([]);
    expect(readCookieValues("sid;=1", "sid")).toEqual([]);
  });

  it("handles a header of 65,536 semicolons", () => {
    expect(readCookieValues(";".repeat(65_536), "sid")).toEqual([]);
    expect(readCookieValues(";".repeat(65_536) + "sid=end", "sid")).toEqual(["end"]);
  });

  it("handles 65,536 characters without a separator", () => {
    expect(readCookieValues("a".repeat(65_536), "sid")).toEqual([]);
    expect(readCookieValues("a".repeat(65_536) + "=1", "a".repeat(65_536))).toEqual(["1"]);
  });

  it("reads a 65,536-character value", () => {
    const values = readCookieValues("sid=" + "x".repeat(65_536), "sid");
    expect(values).toHaveLength(1);
    expect(values[0]).toHaveLength(65_536);
  });

  it("handles 32,768 empty pairs", () => {
    expect(readCookieValues("=;".repeat(32_768), "sid")).toEqual([]);
    expect(readCookieValues("=;".repeat(32_768) + "sid=last", "sid")).toEqual(["last"]);
    expect(readCookieValues("=;".repeat(32_768), "")).toHaveLength(4);
  });

  it("handles long runs of spaces and pairs without =", () => {
    expect(readCookieValues(" ".repeat(65_536) + "sid=1", "sid")).toEqual(["1"]);
    expect(readCookieValues("sid" + " ".repeat(65_536) + "=2", "sid")).toEqual(["2"]);
    expect(readCookieValues("a;".repeat(32_768) + "sid=3", "sid")).toEqual(["3"]);
  });

  it.each([
    [";".repeat(65_536) + "sid=end", "sid"],
    ["a".repeat(65_536), "sid"],
    ["sid=" + "x".repeat(65_536), "sid"],
    ["=;".repeat(32_768) + "sid=1", "sid"],
    ["a;".repeat(32_768) + "=", "sid"],
    [" ".repeat(65_536) + "=", "sid"],
    ["sid=1;".repeat(16_384), "sid"],
    ["s=1;".repeat(16_384), "s".repeat(1_000)],
  ])("examines each character of a hostile header a bounded number of times (case %#)", (text, name) => {
    const header = new CountingHeader(text);
    const expected = readCookieValues(text, name);
    expect(readCookieValues(header as unknown as string, name)).toEqual(expected);
    expect(header.scanned).toBeGreaterThan(0);
    expect(header.scanned).toBeLessThanOrEqual(4 * text.length + 8);
  });

  it.each([
    [";".repeat(65_536) + "sid.0=end", "sid"],
    ["sid.1=1;".repeat(8_192), "sid"],
    ["sid.99=1; sid.01=1;".repeat(4_096), "sid"],
    ["s.0=1;".repeat(16_384), "s".repeat(1_000)],
    [" ".repeat(65_536) + "=", "sid"],
  ])("reads chunks in one pass too, examining each character a bounded number of times (case %#)", (text, name) => {
    const header = new CountingHeader(text);
    const expected = readChunkedCookie(text, name, 16);
    expect(readChunkedCookie(header as unknown as string, name, 16)).toEqual(expected);
    expect(header.scanned).toBeGreaterThan(0);
    expect(header.scanned).toBeLessThanOrEqual(4 * text.length + 8);
  });
});
