// Python's json.loads for a Flask session payload: standard JSON plus NaN and Infinity, integers of any size.

import { CodecError } from "../../core/errors.js";
import { maxIntDigits, type PyDict, type PyValue } from "./python.js";

/**
 * Nesting deeper than this is refused. Session data nests at most 63 levels and Flask's tags add at most two per
 * level, so no cookie tessera or Flask writes for data tessera can hold comes near it; Python itself gives up
 * (RecursionError, an HTTP 500 in Flask) near 1000.
 */
export const maxNesting = 200;

/** RFC 8259 §6 number, which is also Python's `json.scanner` NUMBER_RE: `-?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?`. */
const numberRegExp = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?/y;

/** A run of string characters that need no decoding: anything but `"`, `\` and the C0 controls (RFC 8259 §7). */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const plainRunRegExp = /[^"\\\u0000-\u001f]*/y;

/** Four hex digits after `\u`. */
const hexRegExp = /^[0-9a-fA-F]{4}$/;

/** RFC 8259 §2 insignificant whitespace, the only whitespace Python's json skips. */
const whitespaceRegExp = /[ \t\n\r]*/y;

const shortEscapes: Record<string, string> = { '"': '"', "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" };

/**
 * Parses JSON text the way Python's `json.loads` reads it (the reader Flask uses): `NaN`, `Infinity` and
 * `-Infinity` are floats, an integer keeps all its digits, a number with a fraction or exponent is a float. Stricter
 * than Python where Python is ambiguous or fails late: a key that appears twice in one object (Python keeps the
 * last), a BOM, nesting over `maxNesting` and integers over 4300 digits are refused. Throws
 * `CodecError("bad_payload")` for anything else that is not JSON.
 *
 * @example
 * loads('{"n":1.0,"big":18446744073709551616}');
 * // { kind: "dict", entries: Map { "n" => { kind: "float", value: 1 }, "big" => { kind: "int", text: "18446744073709551616" } } }
 */
export function loads(text: string): PyValue {
  let at = 0;

  const fail = (): never => {
    throw new CodecError("bad_payload");
  };

  const skipWhitespace = (): void => {
    whitespaceRegExp.lastIndex = at;
    whitespaceRegExp.test(text);
    at = whitespaceRegExp.lastIndex;
  };

  const literal = (word: string): void => {
    if (!text.startsWith(word, at)) fail();
    at += word.length;
  };

  const parseString = (): string => {
    at++; // the opening quote
    let result = "";
    for (;;) {
      plainRunRegExp.lastIndex = at;
      plainRunRegExp.test(text);
      result += text.slice(at, plainRunRegExp.lastIndex);
      at = plainRunRegExp.lastIndex;
      const char = text[at];
      if (char === '"') {
        at++;
        return result;
      }
      // A raw control character (Python's strict mode refuses it too) or the end of the text.
      if (char !== "\\") return fail();
      const escape = text[at + 1];
      if (escape === "u") {
        const hex = text.slice(at + 2, at + 6);
        if (!hexRegExp.test(hex)) fail();
        // One UTF-16 unit per escape: a surrogate pair written as two escapes becomes one astral character, as
        // Python joins them, and a lone surrogate stays lone, as in a Python str.
        result += String.fromCharCode(parseInt(hex, 16));
        at += 6;
      } else {
        const decoded = escape === undefined ? undefined : shortEscapes[escape];
        if (decoded === undefined) fail();
        result += decoded;
        at += 2;
      }
    }
  };

  const parseNumber = (): PyValue => {
    numberRegExp.lastIndex = at;
    const match = numberRegExp.exec(text);
    if (match === null) return fail();
    at = numberRegExp.lastIndex;
    const token = match[0];
    if (match[1] !== undefined || match[2] !== undefined) return { kind: "float", value: Number(token) };
    const negative = token.startsWith("-");
    const digits = negative ? token.slice(1) : token;
    if (digits.length > maxIntDigits) fail();
    // JSON's -0 is Python's int 0.
    return { kind: "int", text: digits === "0" ? "0" : token };
  };

  const parseValue = (depth: number): PyValue => {
    skipWhitespace();
    const char = text[at];
    switch (char) {
      case "{":
        return parseObject(depth + 1);
      case "[":
        return parseArray(depth + 1);
      case '"':
        return parseString();
      case "t":
        literal("true");
        return true;
      case "f":
        literal("false");
        return false;
      case "n":
        literal("null");
        return null;
      case "N":
        literal("NaN");
        return { kind: "float", value: Number.NaN };
      case "I":
        literal("Infinity");
        return { kind: "float", value: Infinity };
      case "-":
        if (text[at + 1] === "I") {
          literal("-Infinity");
          return { kind: "float", value: -Infinity };
        }
        return parseNumber();
      default:
        return parseNumber();
    }
  };

  const parseArray = (depth: number): PyValue[] => {
    if (depth > maxNesting) fail();
    at++;
    const items: PyValue[] = [];
    skipWhitespace();
    if (text[at] === "]") {
      at++;
      return items;
    }
    for (;;) {
      items.push(parseValue(depth));
      skipWhitespace();
      const char = text[at++];
      if (char === "]") return items;
      if (char !== ",") fail();
    }
  };

  const parseObject = (depth: number): PyDict => {
    if (depth > maxNesting) fail();
    at++;
    const entries = new Map<string, PyValue>();
    skipWhitespace();
    if (text[at] === "}") {
      at++;
      return { kind: "dict", entries };
    }
    for (;;) {
      skipWhitespace();
      if (text[at] !== '"') fail();
      const key = parseString();
      // Two readers of one cookie must never see two sessions: a repeated key is refused, not resolved.
      if (entries.has(key)) fail();
      skipWhitespace();
      if (text[at++] !== ":") fail();
      entries.set(key, parseValue(depth));
      skipWhitespace();
      const char = text[at++];
      if (char === "}") return { kind: "dict", entries };
      if (char !== ",") fail();
    }
  };

  const value = parseValue(0);
  skipWhitespace();
  if (at !== text.length) fail();
  return value;
}
