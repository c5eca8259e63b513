import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { runPython } from "../../../test/flask-interop.js";
import { describeForPython, pythonRebuild, pyValueArb } from "../../../test/fuzz/python-values.js";
import { dumps } from "./dumps.js";
import type { PyValue } from "./python.js";

const dict = (...entries: [string, PyValue][]): PyValue => ({ kind: "dict", entries: new Map(entries) });
const int = (text: string): PyValue => ({ kind: "int", text });

describe("dumps", () => {
  it("is compact, sorts keys at every level and escapes as ensure_ascii does", () => {
    expect(dumps(dict(["b", [int("1"), dict(["z", null], ["a", true])]], ["a", "é🚀\u007f\u0001\n\"\\/<>&"]))).toBe(
      '{"a":"\\u00e9\\ud83d\\ude80\\u007f\\u0001\\n\\"\\\\/<>&","b":[1,{"a":true,"z":null}]}',
    );
  });

  it("sorts keys by code point, as Python does, not by UTF-16 unit as Array#sort does", () => {
    // U+1F680 is a surrogate pair (D83D DE80): after U+FF5E by code point, before it by UTF-16 unit.
    expect(dumps(dict(["🚀", null], ["～", null]))).toBe('{"\\uff5e":null,"\\ud83d\\ude80":null}');
    expect(["～", "🚀"].sort()).toEqual(["🚀", "～"]);
  });

  it("writes what Python's json.dumps writes, byte for byte, for any value (differential, 3,000 values)", () => {
    const values = fc.sample(pyValueArb, { numRuns: 3000, seed: 0xd0e5 });
    const script = `${pythonRebuild}
import sys
for line in sys.stdin:
    print(json.dumps(rebuild(json.loads(line)), separators=(",", ":"), sort_keys=True, ensure_ascii=True))`;
    const python = runPython(script, values.map((value) => JSON.stringify(describeForPython(value))).join("\n")).trimEnd().split("\n");
    expect(python).toHaveLength(values.length);
    const differ = values.map((value, i) => [dumps(value), python[i]]).filter(([ours, theirs]) => ours !== theirs);
    expect(differ.slice(0, 5)).toEqual([]);
  });
});
