// SECURITY.md cites the tests that prove its claims as `file › test name`: each must name a test that exists, and
// every ASVS requirement it lists must have a citation or say why it is the application's responsibility.

import { existsSync, readFileSync } from "node:fs";
import { dirname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const doc = readFileSync(join(root, "SECURITY.md"), "utf8");

/**
 * A citation: a code span holding a TypeScript file under src/, test/ or demo/, " › " (U+203A), and a test name.
 * Grammar: "`" path " › " name "`", the path without spaces, the name without backticks.
 */
const citationRegExp = /`((?:src|test|demo)\/[^`\s]+\.ts) › ([^`]+)`/g;

/** A row of an ASVS table: its first cell is a requirement id as ASVS asks it be cited, e.g. v5.0.0-7.2.4. */
const asvsRowRegExp = /^\|\s*(v4\.0\.3|v5\.0\.0)-(\d+\.\d+\.\d+)\s*\|/;

/** The words a row uses when the library cannot prove the requirement. */
const applicationsRegExp = /application['’]s responsibility/;

/** Every requirement SECURITY.md must cover: ASVS 4.0.3 V3, and ASVS 5.0 V7, V3.3 and V9. */
const expectedRequirements = [
  ...["3.1.1", "3.2.1", "3.2.2", "3.2.3", "3.2.4", "3.3.1", "3.3.2", "3.3.3", "3.3.4"].map((id) => `v4.0.3-${id}`),
  ...["3.4.1", "3.4.2", "3.4.3", "3.4.4", "3.4.5", "3.5.1", "3.5.2", "3.5.3", "3.6.1", "3.6.2", "3.7.1"].map((id) => `v4.0.3-${id}`),
  ...["7.1.1", "7.1.2", "7.1.3", "7.2.1", "7.2.2", "7.2.3", "7.2.4", "7.3.1", "7.3.2"].map((id) => `v5.0.0-${id}`),
  ...["7.4.1", "7.4.2", "7.4.3", "7.4.4", "7.4.5", "7.5.1", "7.5.2", "7.5.3", "7.6.1", "7.6.2"].map((id) => `v5.0.0-${id}`),
  ...["3.3.1", "3.3.2", "3.3.3", "3.3.4", "3.3.5"].map((id) => `v5.0.0-${id}`),
  ...["9.1.1", "9.1.2", "9.1.3", "9.2.1", "9.2.2", "9.2.3", "9.2.4"].map((id) => `v5.0.0-${id}`),
];

interface Citation {
  file: string;
  name: string;
}

/** A test's name as written, and the names it can take when it holds `${...}` or it.each's printf placeholders. */
interface TestName {
  text: string;
  pattern: RegExp;
}

function citationsIn(text: string): Citation[] {
  return [...text.matchAll(citationRegExp)].map(([, file, name]) => ({ file: file!, name: name! }));
}

/** vitest's printf placeholders in it.each names (%s, %d, %i, %f, %j, %o, %O, %#, %$); `%%` is a literal "%". */
const printfRegExp = /%[sdifjoO#$]/g;

/** A regular expression source matching `literal`, where every printf placeholder stands for any text. */
function literalSource(literal: string): string {
  return literal
    .split("%%")
    .map((part) =>
      part
        .split(printfRegExp)
        .map((piece) => piece.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
        .join(".+?"),
    )
    .join("%");
}

/** The name given by a test call's first argument, or `undefined` when it is not written out in the call. */
function nameOf(node: ts.Expression, source: ts.SourceFile): TestName | undefined {
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) {
    return { text: node.text, pattern: new RegExp(`^${literalSource(node.text)}$`, "s") };
  }
  if (ts.isTemplateExpression(node)) {
    const pieces = [node.head.text, ...node.templateSpans.map((span) => span.literal.text)];
    return {
      text: node.getText(source).slice(1, -1),
      pattern: new RegExp(`^${pieces.map(literalSource).join(".+?")}$`, "s"),
    };
  }
  return undefined;
}

/** Whether a callee is `it` or `test`, alone or through modifiers: it.only, it.each(table), it.skipIf(x), test.each`...`. */
function isTestCallee(node: ts.Expression): boolean {
  let current: ts.Expression = node;
  for (;;) {
    if (ts.isPropertyAccessExpression(current)) current = current.expression;
    else if (ts.isCallExpression(current)) current = current.expression;
    else if (ts.isTaggedTemplateExpression(current)) current = current.tag;
    else break;
  }
  return ts.isIdentifier(current) && (current.text === "it" || current.text === "test");
}

/** Every test name written in a source file, found in its syntax tree rather than by searching its text. */
function testNamesIn(text: string, fileName = "cited.ts"): TestName[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const names: TestName[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && isTestCallee(node.expression) && node.arguments.length > 0) {
      const name = nameOf(node.arguments[0]!, source);
      if (name !== undefined) names.push(name);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return names;
}

/** Whether `cited` is one of the names, written as the source writes it or with its placeholders filled in. */
function namesTest(names: TestName[], cited: string): boolean {
  return names.some((name) => name.text === cited || name.pattern.test(cited));
}

describe("the checker", () => {
  const source = [
    'it("keeps both keys", () => {});',
    "it.each(modes)(\"ignores a planted cookie (%s)\", () => {});",
    "for (const how of hows) it(`a ${how} during an in-flight ${call} is final`, () => {});",
    'describe("a group", () => {});',
    'expect("not a test").toBe("x");',
  ].join("\n");
  const names = testNamesIn(source);

  it("finds literal, it.each and template test names, and nothing else", () => {
    expect(names.map((name) => name.text)).toEqual(["keeps both keys", "ignores a planted cookie (%s)", "a ${how} during an in-flight ${call} is final"]);
  });

  it("accepts a name as written or with its placeholders filled in", () => {
    expect(namesTest(names, "keeps both keys")).toBe(true);
    expect(namesTest(names, "ignores a planted cookie (store mode)")).toBe(true);
    expect(namesTest(names, "a ${how} during an in-flight ${call} is final")).toBe(true);
    expect(namesTest(names, "a revokeSession during an in-flight signIn is final")).toBe(true);
  });

  it("refuses a renamed test, a prefix of a name, a describe name and a string that is not a test", () => {
    expect(namesTest(names, "keeps both values")).toBe(false);
    expect(namesTest(names, "keeps both")).toBe(false);
    expect(namesTest(names, "a revokeSession during an in-flight signIn")).toBe(false);
    expect(namesTest(names, "a group")).toBe(false);
    expect(namesTest(names, "not a test")).toBe(false);
  });

  it("reads citations in the agreed syntax only", () => {
    expect(citationsIn("`test/a.test.ts › keeps both keys` and `src/b.ts` and `test/c.ts: no`")).toEqual([
      { file: "test/a.test.ts", name: "keeps both keys" },
    ]);
  });
});

describe("SECURITY.md", () => {
  const citations = citationsIn(doc);

  it("cites tests", () => {
    expect(citations.length).toBeGreaterThan(40);
  });

  const cache = new Map<string, TestName[]>();
  const namesOf = (file: string): TestName[] => {
    let names = cache.get(file);
    if (names === undefined) {
      names = testNamesIn(readFileSync(join(root, file), "utf8"), file);
      cache.set(file, names);
    }
    return names;
  };

  const seen = new Set<string>();
  for (const { file, name } of citations) {
    const key = `${file} › ${name}`;
    if (seen.has(key)) continue;
    seen.add(key);
    it(`cites a test that exists: ${key}`, () => {
      expect(normalize(file).startsWith("..")).toBe(false);
      expect(existsSync(join(root, file)), `${file} exists`).toBe(true);
      expect(namesTest(namesOf(file), name), `${file} has a test named "${name}"`).toBe(true);
    });
  }

  const rows = doc.split("\n").flatMap((line) => {
    const match = asvsRowRegExp.exec(line);
    return match ? [{ id: `${match[1]}-${match[2]}`, line }] : [];
  });

  it("lists every requirement of ASVS 4.0.3 V3 and ASVS 5.0 V7, V3.3 and V9 once", () => {
    expect(rows.map((row) => row.id).sort()).toEqual([...expectedRequirements].sort());
  });

  it.each(rows.map((row) => [row.id, row.line] as const))("gives %s a test or the application's responsibility", (_id, line) => {
    expect(citationsIn(line).length > 0 || applicationsRegExp.test(line)).toBe(true);
  });
});
