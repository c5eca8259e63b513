import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { runPython } from "../../../test/flask-interop.js";
import { floatRepr } from "./python.js";

describe("floatRepr", () => {
  it("writes FORMAT.md's examples as Python does", () => {
    const cases: [number, string][] = [
      [1, "1.0"],
      [1e16, "1e+16"],
      [1e-7, "1e-07"],
      [-0, "-0.0"],
      [0, "0.0"],
      [1 / 3, "0.3333333333333333"],
      [1e21, "1e+21"],
      [1000.5, "1000.5"],
      [1e-4, "0.0001"],
      [1e-5, "1e-05"],
      [123456789012345680, "1.2345678901234568e+17"],
      [2 ** 53, "9007199254740992.0"],
      [5e-324, "5e-324"],
      [Number.MAX_VALUE, "1.7976931348623157e+308"],
      [Number.NaN, "NaN"],
      [-Infinity, "-Infinity"],
    ];
    for (const [value, text] of cases) expect(floatRepr(value), text).toBe(text);
  });

  it("agrees with Python's json.dumps on 10,000 doubles of every magnitude", () => {
    const doubles = fc.sample(fc.oneof(fc.double(), fc.double({ min: -1e20, max: 1e20 }), fc.integer().map((n) => n / 1000), fc.float().map(Number)), { numRuns: 10_000, seed: 0xf1a5c });
    const hex = doubles.map((value) => {
      const bytes = Buffer.alloc(8);
      bytes.writeDoubleBE(value);
      return bytes.toString("hex");
    });
    const python = runPython("import json, struct, sys\nfor line in sys.stdin: print(json.dumps(struct.unpack('>d', bytes.fromhex(line.strip()))[0]))", hex.join("\n")).trimEnd().split("\n");
    expect(python).toHaveLength(doubles.length);
    const differ = doubles.map((value, i) => [floatRepr(value), python[i]]).filter(([ours, theirs]) => ours !== theirs);
    expect(differ.slice(0, 10)).toEqual([]);
  });
});
