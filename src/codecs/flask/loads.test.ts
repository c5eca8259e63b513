import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { runPython } from "../../../test/flask-interop.js";
import { pyValueArb } from "../../../test/fuzz/python-values.js";
import { CodecError } from "../../core/errors.js";
import { dumps } from "./dumps.js";
import { loads, maxNesting } from "./loads.js";

/** `loads`'s answer as text: the value as Python would write it back, or "refused". */
function ours(text: string): string {
  try {
    return dumps(loads(text));
  } catch (error) {
    if (error instanceof CodecError && error.reason === "bad_payload") return "refused";
    throw error;
  }
}

describe("loads", () => {
  it("reads what Python reads: NaN and Infinity, big integers whole, floats apart from ints", () => {
    expect(loads("[NaN,Infinity,-Infinity,1,1.0,1e2,-0,-0.0,18446744073709551616]")).toEqual([
      { kind: "float", value: Number.NaN },
      { kind: "float", value: Infinity },
      { kind: "float", value: -Infinity },
      { kind: "int", text: "1" },
      { kind: "float", value: 1 },
      { kind: "float", value: 100 },
      { kind: "int", text: "0" },
      { kind: "float", value: -0 },
      { kind: "int", text: "18446744073709551616" },
    ]);
    expect(loads(' { "a" : "\\ud83d\\ude80\\ud800 raw é \\/" } ')).toEqual({ kind: "dict", entries: new Map([["a", "🚀\ud800 raw é /"]]) });
  });

  it("refuses a key twice in one object, which Python resolves silently (last wins)", () => {
    expect(() => loads('{"a":1,"a":2}')).toThrow(CodecError);
    expect(loads('{"a":{"a":1}}')).toBeTruthy();
  });

  it("refuses a BOM, raw control characters, and integers Python's json refuses", () => {
    for (const text of ["\ufeff{}", '"a\u0001"', '"\n"', "1".repeat(4301), `-${"1".repeat(4301)}`]) expect(ours(text), JSON.stringify(text.slice(0, 9))).toBe("refused");
    expect(ours("1".repeat(4300))).toBe("1".repeat(4300));
  });

  it(`refuses nesting over ${maxNesting} levels without exhausting the stack`, () => {
    expect(ours(`${"[".repeat(maxNesting)}${"]".repeat(maxNesting)}`)).not.toBe("refused");
    expect(ours(`${"[".repeat(maxNesting + 1)}${"]".repeat(maxNesting + 1)}`)).toBe("refused");
    expect(ours(`${'{"a":'.repeat(100_000)}1${"}".repeat(100_000)}`)).toBe("refused");
  });

  it("accepts and refuses exactly what Python's json.loads does, and reads the same values (differential)", () => {
    // Valid JSON of every kind, then the same texts with one character inserted, dropped or replaced.
    const valid = fc.sample(pyValueArb, { numRuns: 1500, seed: 0x10ad5 }).map(dumps);
    const alphabet = ' \t\n\r{}[]:,"\\-+.0123456789eEtrufalsnNIiy\u00e9\u0001\ud800';
    const mutants = fc.sample(
      fc.tuple(fc.constantFrom(...valid), fc.nat(), fc.constantFrom("insert", "delete", "replace"), fc.constantFrom(...alphabet)),
      { numRuns: 3000, seed: 0x10ad6 },
    ).map(([text, at, how, char]) => {
      const i = at % (text.length + 1);
      return how === "insert" ? text.slice(0, i) + char + text.slice(i) : how === "delete" ? text.slice(0, i) + text.slice(i + 1) : text.slice(0, i) + char + text.slice(i + 1);
    });
    const texts = [...valid, ...mutants, "", " ", "[", "]", "{", '{"a"}', '{"a":}', "[1,]", "01", "1.", ".5", "1e", "+1", "-", "--1", "-NaN", "nan", "infinity", "tru", "nul", '"\\x"', '"\\u12"', '"\\u12G4"', "[1] [2]"];
    const script = `
import json, sys
def no_duplicates(pairs):
    if len({k for k, _ in pairs}) != len(pairs): raise ValueError("duplicate key")
    return dict(pairs)
for line in sys.stdin:
    text = json.loads(line)
    try:
        print(json.dumps(json.loads(text, object_pairs_hook=no_duplicates), separators=(",", ":"), sort_keys=True, ensure_ascii=True))
    except ValueError:
        print("refused")`;
    const python = runPython(script, texts.map((text) => JSON.stringify(text)).join("\n")).trimEnd().split("\n");
    expect(python).toHaveLength(texts.length);
    const differ = texts.map((text, i) => [text, ours(text), python[i]]).filter(([, a, b]) => a !== b);
    expect(differ.slice(0, 5)).toEqual([]);
    // The mutants reached both outcomes.
    expect(python.filter((answer) => answer === "refused").length).toBeGreaterThan(500);
  });

  it("throws nothing but CodecError, whatever the text", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 64 }), (text) => {
        ours(text);
      }),
      { numRuns: 5000, seed: 0x10ad7 },
    );
  });
});
