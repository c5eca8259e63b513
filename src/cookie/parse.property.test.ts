// Properties of the Cookie header parser: never throws, reads what a plain split-and-trim reads, linear work on
// 64 KB hostile headers (counted, not timed), and no name read through quoting, encoding or case.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { readCookieValues } from "./parse.js";

const seed = 0xc00c1e;

/** Any UTF-16 code unit, lone surrogates and NUL included. */
const codeUnitArb = fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code));

/** Pieces a hostile header is made of: separators, quotes, escapes, controls, and names that nearly match. */
const fragmentArb = fc.oneof(
  fc.constantFrom(";", "=", '"', " ", "\t", ",", "\\", "%", "%3B", "%3D", "%22", "%00", "%5F", "%2D", "\r\n", "\0", "\x7f", "\x01", "é", "\ud800"),
  fc.constantFrom("sid", "sid=", "sid=x", " sid = y ", '"sid"', "SID", "Sid", "sid ", "__Host-sid", "__HOST-sid", "__Host%2Dsid", '"__Host-sid"', "=sid", "a=b"),
  fc.stringMatching(/^[A-Za-z0-9_-]{1,8}$/),
  codeUnitArb,
);

/** A header assembled from fragments, up to a few hundred characters. */
const headerArb = fc.array(fragmentArb, { maxLength: 60 }).map((parts) => parts.join(""));

/**
 * A header of exactly 64 KiB: a fragment pattern repeated, as an attacker fills a header, then a short tail (so
 * that what the pattern lacks, such as a "=", comes only at the far end).
 */
const hostileHeaderArb = fc
  .tuple(fc.array(fragmentArb, { minLength: 1, maxLength: 12 }), fc.array(fragmentArb, { maxLength: 4 }))
  .map(([pattern, tail]) => [pattern.join(""), tail.join("")] as const)
  .filter(([pattern]) => pattern.length > 0)
  .map(([pattern, tail]) => (pattern.repeat(Math.ceil(65_536 / pattern.length)).slice(0, 65_536 - tail.length) + tail).slice(0, 65_536));

const nameArb = fc.constantFrom("sid", "__Host-sid", "a", "SID", "sid ", "x=y", "");
const limitArb = fc.integer({ min: 0, max: 6 });

/** The reference reading: split on ";", name before the first "=", both trimmed of spaces and tabs, one pair of quotes dropped. */
function reference(header: string, name: string, limit: number): string[] {
  const values: string[] = [];
  for (const pair of header.split(";")) {
    if (values.length >= limit) break;
    const eq = pair.indexOf("=");
    if (eq === -1 || trim(pair.slice(0, eq)) !== name) continue;
    let value = trim(pair.slice(eq + 1));
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    values.push(value);
  }
  return values;
}

function trim(text: string): string {
  return text.replace(/^[ \t]+|[ \t]+$/g, "");
}

/** A header that counts the characters the parser's string methods examine: work, not time. */
class CountingHeader extends String {
  examined = 0;

  override indexOf(search: string, position = 0): number {
    const found = super.indexOf(search, position);
    this.examined += (found === -1 ? this.length : found + search.length) - position;
    return found;
  }

  override charCodeAt(index: number): number {
    this.examined++;
    return super.charCodeAt(index);
  }

  override startsWith(search: string, position?: number): boolean {
    this.examined += search.length;
    return super.startsWith(search, position);
  }

  override slice(start?: number, end?: number): string {
    const part = super.slice(start, end);
    this.examined += part.length;
    return part;
  }
}

describe("readCookieValues properties", () => {
  it("never throws on any string, and returns at most the limit of values", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: codeUnitArb, maxLength: 400 }), headerArb), nameArb, limitArb, (header, name, limit) => {
        const values = readCookieValues(header, name, limit);
        expect(Array.isArray(values)).toBe(true);
        expect(values.length).toBeLessThanOrEqual(limit);
      }),
      { seed, numRuns: 5000 },
    );
  });

  it("reads exactly what splitting on ; and trimming spaces and tabs reads, in header order", () => {
    fc.assert(
      fc.property(headerArb, nameArb, limitArb, (header, name, limit) => {
        expect(readCookieValues(header, name, limit)).toEqual(reference(header, name, limit));
      }),
      { seed, numRuns: 5000 },
    );
  });

  it("never throws on a 64 KB hostile header, and reads what the reference reads", () => {
    fc.assert(
      fc.property(hostileHeaderArb, nameArb, (header, name) => {
        expect(readCookieValues(header, name, 4)).toEqual(reference(header, name, 4));
      }),
      { seed, numRuns: 300 },
    );
  });

  it("examines each character of a 64 KB hostile header a bounded number of times, whatever it holds", () => {
    fc.assert(
      fc.property(hostileHeaderArb, nameArb, limitArb, (text, name, limit) => {
        const header = new CountingHeader(text);
        expect(readCookieValues(header as unknown as string, name, limit)).toEqual(readCookieValues(text, name, limit));
        expect(header.examined).toBeLessThanOrEqual(4 * text.length + name.length + 8);
      }),
      { seed, numRuns: 300 },
    );
  });

  it("reads back, in order, every value set under a name, whatever other cookies surround them", () => {
    const tokenArb = fc.stringMatching(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,12}$/);
    const octetsArb = fc.stringMatching(/^[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]{0,40}$/);
    fc.assert(
      fc.property(tokenArb, fc.array(fc.tuple(fc.boolean(), tokenArb, octetsArb), { maxLength: 12 }), (name, pairs) => {
        const cookies = pairs.map(([own, other, value]) => ({ name: own ? name : other, value }));
        const header = cookies.map((cookie) => `${cookie.name}=${cookie.value}`).join("; ");
        expect(readCookieValues(header, name, 100)).toEqual(cookies.filter((cookie) => cookie.name === name).map((cookie) => cookie.value));
      }),
      { seed, numRuns: 2000 },
    );
  });

  it("never reads a cookie under a name that differs by quoting, percent-encoding, case or inner characters", () => {
    const name = "__Host-sid";
    const mangledArb = fc.oneof(
      fc.constantFrom('"__Host-sid"', "__Host%2Dsid", "%5F%5FHost-sid", "__host-sid", "__HOST-sid", "__Host-SID", "__Host-sid\0", "\0__Host-sid", "__Host-sid\r\n", "__Host -sid", "__Host-sid\u00a0", "\u00a0__Host-sid"),
      fc.tuple(fc.nat({ max: name.length }), codeUnitArb).map(([at, unit]) => name.slice(0, at) + unit + name.slice(at)).filter((mangled) => trim(mangled) !== name),
      fc.array(fc.boolean(), { minLength: name.length, maxLength: name.length }).map((upper) => [...name].map((c, i) => (upper[i] ? c.toUpperCase() : c.toLowerCase())).join("")).filter((mangled) => mangled !== name),
    );
    fc.assert(
      fc.property(mangledArb, (mangled) => {
        expect(readCookieValues(`${mangled}=planted; other=1`, name)).toEqual([]);
      }),
      { seed, numRuns: 2000 },
    );
  });
});
