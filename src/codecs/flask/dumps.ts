// Python's json.dumps as Flask calls it for the session: compact, keys sorted, every non-ASCII character escaped.

import { floatRepr, type PyValue } from "./python.js";

/** Characters Python writes as they are inside a string (`ensure_ascii`): printable ASCII other than `"` and `\`. */
const plainStringRegExp = /^[\u0020\u0021\u0023-\u005b\u005d-\u007e]*$/;

/** Python's `ESCAPE_DCT`: the short escapes; every other control or non-ASCII unit is `\u` and four lowercase hex digits. */
const shortEscapes: Record<string, string> = { '"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f" };

/**
 * The JSON text Flask writes for a value: `json.dumps(value, separators=(",", ":"), sort_keys=True,
 * ensure_ascii=True)`, byte for byte (Flask's `DefaultJSONProvider` and `TaggedJSONSerializer.dumps`).
 *
 * @example
 * dumps({ kind: "dict", entries: new Map([["b", { kind: "float", value: 1 }], ["a", "é"]]) }); // '{"a":"\\u00e9","b":1.0}'
 */
export function dumps(value: PyValue): string {
  if (value === null) return "null";
  if (value === true) return "true";
  if (value === false) return "false";
  if (typeof value === "string") return quote(value);
  if (Array.isArray(value)) return `[${value.map(dumps).join(",")}]`;
  switch (value.kind) {
    case "int":
      return value.text;
    case "float":
      return floatRepr(value.value);
    case "dict": {
      const keys = [...value.entries.keys()].sort(compareCodePoints);
      return `{${keys.map((key) => `${quote(key)}:${dumps(value.entries.get(key)!)}`).join(",")}}`;
    }
  }
}

/** A string as Python's `json.dumps` writes it with `ensure_ascii`: astral characters as their surrogate pair. */
function quote(text: string): string {
  if (plainStringRegExp.test(text)) return `"${text}"`;
  let out = '"';
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    const char = text[i]!;
    if (unit >= 0x20 && unit <= 0x7e && char !== '"' && char !== "\\") out += char;
    else out += shortEscapes[char] ?? `\\u${unit.toString(16).padStart(4, "0")}`;
  }
  return `${out}"`;
}

/**
 * Python's order for `sort_keys`: by code point. JS's default sort compares UTF-16 units, which puts an astral
 * character (a surrogate pair, D800-DBFF first) before U+E000-U+FFFF; Python puts it after.
 */
function compareCodePoints(a: string, b: string): number {
  for (let i = 0; i < a.length && i < b.length; ) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x - y;
    i += x > 0xffff ? 2 : 1;
  }
  return a.length - b.length;
}
