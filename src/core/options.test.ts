import { describe, expect, it } from "vitest";
import { TesseraError } from "./errors.js";
import { durationOption, managerClock, refuseRenamedOptions } from "./options.js";

describe("refuseRenamedOptions", () => {
  const renamed = { sweepIntervalSeconds: durationOption("gcInterval", "seconds"), busyTimeoutMs: durationOption("busyTimeout", "ms"), clock: managerClock };

  it("refuses an old name with ERR_OPTION_RENAMED, naming the store, the old option and its replacement", () => {
    let error: unknown;
    try {
      refuseRenamedOptions("memoryStore", { sweepIntervalSeconds: 30 }, renamed);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TesseraError);
    expect(error).toMatchObject({
      code: "ERR_OPTION_RENAMED",
      message: '`memoryStore` option `sweepIntervalSeconds` is now `gcInterval`, a duration in seconds, or a string such as "2s" or "10m"',
    });
  });

  it("says when the unit changed from milliseconds, since the same number would now mean a thousand times longer", () => {
    expect(() => refuseRenamedOptions("sqliteStore", { busyTimeoutMs: 2000 }, renamed)).toThrow("`busyTimeout`, a duration in seconds, not milliseconds");
  });

  it("points a store's own clock at the manager's", () => {
    expect(() => refuseRenamedOptions("memoryStore", { clock: Date.now }, renamed)).toThrow("createSessions's `clock`");
  });

  it("lets through the new names, and an old name left undefined", () => {
    expect(() => refuseRenamedOptions("memoryStore", { gcInterval: 30, clock: undefined }, renamed)).not.toThrow();
  });

  it("never echoes the value given", () => {
    const secretish = "redis://user:hunter2@host";
    expect(() => refuseRenamedOptions("redisStore", { busyTimeoutMs: secretish }, renamed)).toThrow(expect.not.stringContaining("hunter2"));
  });
});
