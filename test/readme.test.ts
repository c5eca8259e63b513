// The README's curl walk-through of the demo, run as written against the demo (npm start's server) on a free port.

import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDemo, type RunningDemo } from "./servers/demo.js";

const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
const haveCurl = spawnSync("curl", ["--version"]).status === 0;

/** The walk-through's commands, each with the lines it prints (the `# ` lines after it). */
function walkThrough(): { command: string; output: string[] }[] {
  const start = readme.indexOf("The same walk with curl");
  const block = /```sh\n([\s\S]*?)```/.exec(readme.slice(start))![1]!;
  const steps: { command: string; output: string[] }[] = [];
  for (const line of block.trimEnd().split("\n")) {
    if (line.startsWith("# ")) steps.at(-1)!.output.push(line.slice(2));
    else steps.push({ command: line, output: [] });
  }
  return steps;
}

describe.skipIf(!haveCurl)("the README's curl walk-through", () => {
  let dir: string;
  let demo: RunningDemo;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "tessera-readme-"));
    demo = await startDemo(dir);
  }, 60_000);

  afterAll(async () => {
    await demo?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("prints what the README says, command by command", () => {
    const steps = walkThrough();
    expect(steps.length).toBeGreaterThanOrEqual(8);
    const origin = demo.url.replace("http://", "");
    for (const { command, output } of steps) {
      const printed = execFileSync("bash", ["-c", command.replaceAll("127.0.0.1:3000", origin)], { cwd: dir, encoding: "utf8" });
      expect(printed.trimEnd(), command).toBe(output.join("\n").replaceAll("127.0.0.1:3000", origin));
    }
  }, 60_000);
});
