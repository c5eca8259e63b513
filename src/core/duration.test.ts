import { describe, it, expect } from "vitest";
import { toMilliseconds, type Duration } from "./duration.js";
import { TesseraError } from "./errors.js";

describe("toMilliseconds", () => {
  it.each([
    ["45s", 45_000],
    ["30m", 1_800_000],
    ["12h", 43_200_000],
    ["7d", 604_800_000],
    ["1.5h", 5_400_000],
    ["0.5s", 500],
  ] as const)("reads %s as %i ms", (value, expected) => {
    expect(toMilliseconds(value, "idleTimeout")).toBe(expected);
  });

  it("reads a number as seconds", () => {
    expect(toMilliseconds(90, "idleTimeout")).toBe(90_000);
    expect(toMilliseconds(0.25, "touchAfter")).toBe(250);
  });

  it.each([
    ["zero seconds", 0],
    ["a negative number", -5],
    ["NaN", Number.NaN],
    ["Infinity", Infinity],
    ["a number too large for a safe millisecond count", 1e308],
    ["a positive number that rounds to 0 ms", 0.0001],
    ["zero as a string", "0s"],
    ["a string that rounds to 0 ms", "0.0001s"],
    ["a bare number string", "30"],
    ["an unknown unit", "2w"],
    ["a space before the unit", "30 m"],
    ["an upper-case unit", "30M"],
    ["a negative string", "-30m"],
    ["an exponent", "1e3s"],
    ["an empty string", ""],
    ["a string too large for a safe millisecond count", `${"9".repeat(400)}d`],
    ["null", null],
    ["an object", {}],
  ])("refuses %s with ERR_INVALID_OPTION naming the option", (_label, value) => {
    try {
      toMilliseconds(value as Duration, "absoluteTimeout");
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(TesseraError);
      expect((err as TesseraError).code).toBe("ERR_INVALID_OPTION");
      expect((err as TesseraError).message).toContain("`absoluteTimeout`");
    }
  });
});
