// After the build: every "bin" in package.json exists, starts with a node shebang, and is executable (tsc writes 0644).
import { chmodSync, readFileSync } from "node:fs";

const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
for (const [name, path] of Object.entries(pkg.bin ?? {})) {
  const file = new URL(`../${path}`, import.meta.url);
  if (!readFileSync(file, "utf8").startsWith("#!/usr/bin/env node\n")) {
    console.error(`bin ${name}: ${path} does not start with #!/usr/bin/env node`);
    process.exit(1);
  }
  chmodSync(file, 0o755);
}
