import { describe, expect, it, vi } from "vitest";

describe("the memory store where timers are numbers", () => {
  it("starts its collection timer on Deno, Workers and browsers, whose setInterval gives a number, not an object to unref", async () => {
    const { memoryStore } = await import("./index.js");
    const numeric = vi.spyOn(globalThis, "setInterval").mockImplementation((() => 7) as unknown as typeof setInterval);
    const cleared = vi.spyOn(globalThis, "clearInterval").mockImplementation(() => undefined);
    try {
      const store = memoryStore();
      expect(numeric).toHaveBeenCalledTimes(1);
      await store.close?.();
      expect(cleared).toHaveBeenCalledWith(7);
    } finally {
      numeric.mockRestore();
      cleared.mockRestore();
    }
  });
});
