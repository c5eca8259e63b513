// What a new user meets in the published package: the licence, the metadata registries show, README links that
// resolve inside the package, and source maps that carry their sources.

import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));

/** Markdown links and images (`[text](target)`, `<img src="target">`) of a file, without their #fragment. */
const linkRegExp = /\]\(([^)\s]+)\)|<img [^>]*src="([^"]+)"/g;

/** GitHub's heading anchor: lower case, punctuation other than "-" and "_" dropped, spaces to "-". */
const slug = (heading: string) =>
  heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, "")
    .replace(/ /g, "-");

describe("the published package", () => {
  let files: string[];

  beforeAll(() => {
    const packed = JSON.parse(execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: root, encoding: "utf8" }));
    files = packed[0].files.map((file: { path: string }) => file.path);
  }, 60_000);

  it("ships the MIT licence, and the metadata a registry shows", () => {
    expect(files).toContain("LICENSE");
    expect(readFileSync(join(root, "LICENSE"), "utf8")).toMatch(/^MIT License\n\nCopyright \(c\) \d{4} tessera contributors\n/);
    expect(pkg.license).toBe("MIT");
    expect(pkg.repository.url).toMatch(/^git\+https:\/\/github\.com\/[\w.-]+\/[\w.-]+\.git$/);
    expect(pkg.homepage).toMatch(/^https:\/\//);
    expect(pkg.keywords).toEqual(expect.arrayContaining(["session", "express-session", "fastify", "hono"]));
  });

  it("has every relative link of its markdown files point at a file inside the package", () => {
    const shipped = new Set(files);
    const broken: string[] = [];
    let checked = 0;
    for (const file of files.filter((name) => name.endsWith(".md"))) {
      const text = readFileSync(join(root, file), "utf8").replace(/```[\s\S]*?```/g, "");
      for (const match of text.matchAll(linkRegExp)) {
        const target = (match[1] ?? match[2])!;
        if (/^[a-z]+:/i.test(target) || target.startsWith("#")) continue;
        checked++;
        const path = normalize(join(dirname(file), target.split("#")[0]!));
        if (!shipped.has(path)) broken.push(`${file}: ${target}`);
      }
    }
    expect(broken).toEqual([]);
    expect(checked).toBeGreaterThan(5);
  });

  it("has every #anchor link of the README name one of its headings", () => {
    const readme = readFileSync(join(root, "README.md"), "utf8");
    const headings = new Set([...readme.matchAll(/^#+ (.+)$/gm)].map((match) => slug(match[1]!)));
    const anchors = [...readme.matchAll(/\]\(#([^)]+)\)/g)].map((match) => match[1]!);
    expect(anchors.length).toBeGreaterThan(0);
    expect(anchors.filter((anchor) => !headings.has(anchor))).toEqual([]);
  });

  it("loads with require() on this Node.js (20.19 or later), as the README says, ESM only as it is", () => {
    expect(pkg.type).toBe("module");
    if (!existsSync(join(root, "dist/index.js"))) return; // not built yet
    const script = "const t = require('tessera'); const e = require('tessera/express'); console.log(typeof t.createSessions, typeof e.expressSessions)";
    expect(execFileSync(process.execPath, ["-e", script], { cwd: root, encoding: "utf8" }).trim()).toBe("function function");
  });

  it("ships source maps that carry their sources, and no declaration maps pointing at unshipped files", () => {
    expect(files.filter((name) => name.endsWith(".d.ts.map"))).toEqual([]);
    const maps = files.filter((name) => name.endsWith(".js.map"));
    if (!existsSync(join(root, "dist/index.js.map"))) return expect(maps).toEqual([]); // not built yet
    expect(maps.length).toBeGreaterThan(20);
    for (const name of maps) {
      const map = JSON.parse(readFileSync(join(root, name), "utf8"));
      expect(map.sourcesContent, name).toHaveLength(map.sources.length);
      expect(map.sourcesContent.every((source: unknown) => typeof source === "string" && source.length > 0), name).toBe(true);
    }
  });
});
