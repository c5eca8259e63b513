import { describe, expect, it } from "vitest";
import { checkBatchSize, checkNow, intervalMs, maxTimerMs, timerMs } from "./timing.js";

describe("timerMs", () => {
  it("converts a duration option once, to milliseconds", () => {
    expect(timerMs("connectTimeout", 2)).toBe(2000);
    expect(timerMs("connectTimeout", "1.5s")).toBe(1500);
    expect(timerMs("callTimeout", "5m")).toBe(300_000);
  });

  it("takes 0 only where it means no wait", () => {
    expect(timerMs("busyTimeout", 0, { allowZero: true })).toBe(0);
    expect(() => timerMs("connectTimeout", 0)).toThrow(expect.objectContaining({ code: "ERR_INVALID_OPTION", message: expect.stringContaining("`connectTimeout`") }));
  });

  it("refuses what a timer cannot wait, naming the option it was given", () => {
    for (const value of [-1, Number.NaN, maxTimerMs / 1000 + 1, "2 seconds", "", null, true]) {
      expect(() => timerMs("statementTimeout", value as never), String(value)).toThrow(
        expect.objectContaining({ code: "ERR_INVALID_OPTION", message: expect.stringContaining("`statementTimeout`") }),
      );
    }
  });
});

describe("intervalMs", () => {
  it("reads false as no timer and a duration as its milliseconds", () => {
    expect(intervalMs("gcInterval", false)).toBeUndefined();
    expect(intervalMs("gcInterval", "10m")).toBe(600_000);
    expect(intervalMs("gcInterval", 0.05)).toBe(50);
  });

  it("refuses 0 and every delay setInterval would turn into a 1 ms loop, pointing at false for off", () => {
    for (const value of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, 30 * 24 * 3600, "soon", true]) {
      expect(() => intervalMs("gcInterval", value as never), String(value)).toThrow(
        expect.objectContaining({ code: "ERR_INVALID_OPTION", message: expect.stringMatching(/^`gcInterval` .*or false to turn the timer off$/) }),
      );
    }
  });
});

describe("checkBatchSize", () => {
  it("names the option it was given in its error", () => {
    expect(checkBatchSize("gcBatchSize", 500)).toBe(500);
    for (const size of [0, -1, 2.5, Number.NaN]) {
      expect(() => checkBatchSize("batchSize", size), String(size)).toThrow(
        expect.objectContaining({ code: "ERR_INVALID_OPTION", message: "`batchSize` must be a positive integer" }),
      );
    }
  });
});

describe("checkNow", () => {
  it("refuses a gc without the time to collect by", () => {
    expect(checkNow(1_700_000_000_000)).toBe(1_700_000_000_000);
    for (const now of [undefined, Number.NaN, "now"]) {
      expect(() => checkNow(now as never), String(now)).toThrow(expect.objectContaining({ code: "ERR_INVALID_OPTION" }));
    }
  });
});
