// Types of the runtime conformance scenario (scenario.mjs), for the vitest run of it on Web Crypto.

/** The checks, in the order the table prints them. */
export declare const checks: readonly string[];

/** Runs every check against the root entry and the memory store; never throws. */
export declare function runScenario(entries: { tessera: object; memory: object }): Promise<{
  backend: string;
  results: Record<string, { ok: boolean; detail?: string }>;
}>;
