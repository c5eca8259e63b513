// The types users meet: one declaration of the session's data types req.session (Express, beside
// @types/express-session), request.session (Fastify) and the Fetch API's session, and wrong keys, wrong value types
// and writes into frozen values fail to compile with the expected error.

import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const project = fileURLToPath(new URL("./types/declared/", import.meta.url));
const directiveRegExp = /\/\/ @ts-expect-error (TS\d+) /;

/** Each `// @ts-expect-error TSnnnn why` line, as "file:line TSnnnn" for the line after it. */
function expectedErrors(): string[] {
  const expected: string[] = [];
  for (const name of readdirSync(project).filter((file) => file.endsWith(".ts"))) {
    const lines = ts.sys.readFile(project + name)!.split("\n");
    lines.forEach((line, index) => {
      const match = directiveRegExp.exec(line);
      if (match) expected.push(`${name}:${index + 2} ${match[1]}`);
    });
  }
  return expected.sort();
}

/**
 * Compiles the fixtures under `config` with every `@ts-expect-error` turned into a plain comment, and gives the errors
 * as "file:line TSnnnn".
 */
function actualErrors(config: string): string[] {
  const configPath = project + config;
  const parsed = ts.getParsedCommandLineOfConfigFile(configPath, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} })!;
  const host = ts.createCompilerHost(parsed.options);
  const readFile = host.readFile.bind(host);
  host.readFile = (file) => {
    const text = readFile(file);
    return text !== undefined && file.startsWith(project) ? text.replaceAll("// @ts-expect-error", "// expected:") : text;
  };
  const program = ts.createProgram({ rootNames: parsed.fileNames, options: parsed.options, host });
  return ts
    .getPreEmitDiagnostics(program)
    .map((diagnostic) => {
      const file = diagnostic.file;
      if (!file) return `(global) TS${diagnostic.code} ${ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n")}`;
      const { line } = file.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
      const where = file.fileName.startsWith(project) ? file.fileName.slice(project.length) : file.fileName;
      return `${where}:${line + 1} TS${diagnostic.code}`;
    })
    .sort();
}

describe("session data declared once in TesseraSessionData", () => {
  // tsconfig.json reads the sources (as `npm run typecheck` does); tsconfig.dist.json the built declarations a user
  // installs (`npm test` builds first).
  it.each(["tsconfig.json", "tsconfig.dist.json"])(
    "types every adapter's session, and refuses wrong keys, wrong types and writes into frozen values (%s)",
    { timeout: 180_000 },
    (config) => {
      const expected = expectedErrors();
      expect(expected.length).toBeGreaterThanOrEqual(12);
      // Exactly the marked lines fail, each with its code; everything else (express-session's types included,
      // checked with skipLibCheck off) compiles.
      expect(actualErrors(config)).toEqual(expected);
    },
  );
});
