// `npm run fuzz`: the long fuzz run (1,200,000 inputs by default) over Cookie headers, cookie values in cookie and
// store mode, and stored records. Prints progress and a summary; exits 1 on any crash or accepted forgery.
// Options: --inputs N, --seed N (default: random, printed so a run replays).

import { findingsReport, runFuzz, summaryLine, targetShares } from "../test/fuzz/targets.js";

function option(name: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at === -1 ? undefined : process.argv[at + 1];
}

const inputs = Number(option("inputs") ?? 1_200_000);
const seed = Number(option("seed") ?? Math.floor(Math.random() * 2 ** 32));
if (!Number.isSafeInteger(inputs) || inputs < 1 || !Number.isSafeInteger(seed) || seed < 0) {
  console.error("usage: npm run fuzz -- [--inputs N] [--seed N]");
  process.exit(2);
}

console.log(`fuzz: ${inputs.toLocaleString("en-US")} inputs, seed ${seed}`);
for (const [target, share] of Object.entries(targetShares)) console.log(`  ${(share * 100).toFixed(0).padStart(3)}%  ${target}`);

const summary = await runFuzz({
  seed,
  inputs,
  progressEvery: 100_000,
  onProgress: (done, partial) => {
    const seconds = (partial.milliseconds / 1000).toFixed(1);
    console.log(`  ${done.toLocaleString("en-US").padStart(11)} / ${inputs.toLocaleString("en-US")} inputs · ${partial.crashes} crashes · ${partial.forgeries} forgeries · ${seconds} s`);
  },
});

for (const [target, count] of Object.entries(summary.perTarget)) console.log(`  ${count.toLocaleString("en-US").padStart(11)}  ${target}`);
if (summary.crashes + summary.forgeries > 0) console.error(findingsReport(summary));
console.log(summaryLine(summary));
process.exitCode = summary.crashes + summary.forgeries > 0 ? 1 : 0;
