// Checks that every subpath in package.json "exports" resolves to a built module and its type declarations.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";

const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
let failed = 0;
for (const [subpath, target] of Object.entries(pkg.exports)) {
  if (typeof target === "string") continue;
  const specifier = subpath === "." ? pkg.name : `${pkg.name}/${subpath.slice(2)}`;
  for (const file of [target.types, target.default]) {
    if (!existsSync(new URL(`../${file}`, import.meta.url))) {
      console.error(`${specifier}: ${file} is missing (run npm run build)`);
      failed++;
    }
  }
  try {
    const mod = await import(specifier);
    if (Object.keys(mod).length === 0) throw new Error("exports nothing");
  } catch (error) {
    console.error(`${specifier}: ${error.message}`);
    failed++;
  }
}
// The type check resolves "tessera/..." to the sources; its paths must list exactly the exports.
const checkConfig = JSON.parse(readFileSync(new URL("../tsconfig.check.json", import.meta.url), "utf8"));
for (const [subpath, target] of Object.entries(pkg.exports)) {
  if (typeof target === "string") continue;
  const specifier = subpath === "." ? pkg.name : `${pkg.name}/${subpath.slice(2)}`;
  const source = `./${target.default.slice("./dist/".length).replace(/\.js$/, ".ts").replace(/^/, "src/")}`;
  if (checkConfig.compilerOptions.paths?.[specifier]?.[0] !== source) {
    console.error(`tsconfig.check.json: "paths" must map ${specifier} to ${source}`);
    failed++;
  }
}

// The core entry point must not pull in a database driver (DESIGN.md), nor @opentelemetry/api, which only
// tessera/opentelemetry loads: import it alone in a fresh process.
const probe = spawnSync(
  process.execPath,
  [
    "--input-type=module",
    "-e",
    `import "${pkg.name}"; import { createRequire } from "node:module";
     const cache = createRequire(import.meta.url).cache;
     process.stdout.write(Object.keys(cache).filter((p) => /better-sqlite3|[\\/](pg|redis|memjs)[\\/]|@opentelemetry/.test(p)).join(","));`,
  ],
  { encoding: "utf8" },
);
if (probe.status !== 0 || probe.stdout !== "") {
  console.error(`${pkg.name}: the core entry point loaded a driver or @opentelemetry/api: ${probe.stdout}${probe.stderr}`);
  failed++;
}
if (failed > 0) process.exit(1);
console.log(`exports: ${Object.keys(pkg.exports).length - 1} subpaths resolve with types; the core loads no driver and no @opentelemetry/api`);
