import { describe, expect, it } from "vitest";
import { serverClock } from "./skew.js";

describe("serverClock", () => {
  it("puts no fence before the first measurement, nor on a call without a deadline", () => {
    const clock = serverClock(() => new Promise<number>(() => undefined));
    expect(clock.fenceOf(Date.now() + 1000)).toBe(0);
    expect(clock.fenceOf(undefined)).toBe(0);
  });

  it("turns a deadline into the server's time, less the margin, so a fence errs toward refusing", async () => {
    const ahead = 10_000;
    const clock = serverClock(async () => Date.now() + ahead);
    await clock.measure();
    const deadline = Date.now() + 500;
    const fence = clock.fenceOf(deadline);
    expect(fence).toBeLessThanOrEqual(deadline + ahead - 2);
    expect(fence).toBeGreaterThan(deadline + ahead - 100);
  });

  it("keeps no fence when the server's answer is not a time, and never rejects", async () => {
    const clock = serverClock(async () => Number.NaN);
    await clock.measure();
    expect(clock.fenceOf(Date.now() + 500)).toBe(0);
    const failing = serverClock(() => Promise.reject(new Error("down")));
    await expect(failing.measure()).resolves.toBeUndefined();
  });
});
