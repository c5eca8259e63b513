// The bounded fuzz run inside `npm test`: 220,000 inputs (Cookie headers, cookie values in cookie and store mode,
// stored records) from a fixed seed. `npm run fuzz` is the long run over the same targets (test/fuzz/targets.ts).

import { describe, expect, it } from "vitest";
import { findingsReport, runFuzz, summaryLine, targetShares, type FuzzSummary } from "./fuzz/targets.js";

/** Fixed, so a failure replays: `npm run fuzz -- --seed 20260101 --inputs 220000`. */
const seed = 20_260_101;
const inputs = 220_000;

describe("bounded fuzz run", () => {
  let summary: FuzzSummary;

  it(`feeds ${inputs.toLocaleString("en-US")} mutated headers, cookie values and records to tessera: no crash, no forgery accepted`, { timeout: 180_000 }, async () => {
    summary = await runFuzz({ seed, inputs });
    const report = `${summaryLine(summary)}\n${findingsReport(summary)}`;
    expect(summary.inputs, report).toBe(inputs);
    expect(summary.crashFindings, report).toEqual([]);
    expect(summary.forgeryFindings, report).toEqual([]);
    expect(summary.crashes + summary.forgeries, report).toBe(0);
  });

  it("gives every target its share of the inputs", () => {
    for (const [target, share] of Object.entries(targetShares)) {
      expect(summary.perTarget[target as keyof typeof targetShares], target).toBe(Math.round(inputs * share));
    }
  });
});
