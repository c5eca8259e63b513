// fast-check arbitraries for the values Python's json module holds (the Flask codec's JSON layer), and their
// description for Python to rebuild exactly: the ground truth of the differential tests against Python's json.

import fc from "fast-check";
import type { PyValue } from "../../src/codecs/flask/python.js";

/** Strings of any UTF-16 units: astral characters, lone surrogates, controls, DEL, U+E000-U+FFFF. */
export const anyStringArb: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: "binary", maxLength: 8 }),
  fc.array(fc.oneof(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0xd800, max: 0xdfff }), fc.integer({ min: 0, max: 0x7f })), { maxLength: 8 }).map((units) => String.fromCharCode(...units)),
);

/**
 * Any value Python's json module reads or writes: None, bool, str, ints of any size, every double (NaN, ±Infinity,
 * -0.0, subnormals), lists and dicts with any string keys.
 *
 * @example
 * fc.assert(fc.property(pyValueArb, (value) => loads(dumps(value)) !== undefined));
 */
export const pyValueArb: fc.Arbitrary<PyValue> = fc.letrec<{ value: PyValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", maxDepth: 4 },
    fc.constant(null),
    fc.boolean(),
    anyStringArb,
    fc.oneof(fc.integer(), fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n })).map((n) => ({ kind: "int" as const, text: BigInt(n).toString() })),
    fc.oneof(fc.double(), fc.integer().map(Number), fc.constantFrom(1e16, 1e-5, 1e-4, 0.1, 1e21, 2 ** 53, -0)).map((value) => ({ kind: "float" as const, value })),
    fc.array(tie("value"), { maxLength: 4 }),
    fc.array(fc.tuple(anyStringArb, tie("value")), { maxLength: 4 }).map((pairs) => ({ kind: "dict" as const, entries: new Map(pairs) })),
  ),
})).value;

/** A value as JSON Python rebuilds without any JSON-number or string ambiguity (see `pythonRebuild`). */
export function describeForPython(value: PyValue): unknown {
  if (value === null || typeof value === "boolean") return value;
  if (typeof value === "string") return ["s", Array.from({ length: value.length }, (_, i) => value.charCodeAt(i))];
  if (Array.isArray(value)) return ["l", value.map(describeForPython)];
  if (value.kind === "int") return ["i", value.text];
  if (value.kind === "float") {
    const bytes = Buffer.alloc(8);
    bytes.writeDoubleBE(value.value);
    return ["f", bytes.toString("hex")];
  }
  return ["d", [...value.entries].map(([key, item]) => [describeForPython(key), describeForPython(item)])];
}

/**
 * Python that rebuilds a described value: strings from their UTF-16 units through json.loads, as Python reads a
 * `\u` escape (a surrogate pair becomes one character, a lone surrogate stays), floats from their IEEE bits.
 */
export const pythonRebuild = `
import json, struct
def rebuild(d):
    if d is None or isinstance(d, bool): return d
    tag, body = d
    if tag == "s": return json.loads('"' + "".join("\\\\u%04x" % u for u in body) + '"')
    if tag == "i": return int(body)
    if tag == "f": return struct.unpack(">d", bytes.fromhex(body))[0]
    if tag == "l": return [rebuild(x) for x in body]
    return {rebuild(k): rebuild(v) for k, v in body}
`;
