// What the runtime offers beyond the language: Node's built-in modules, reached without a static import.

/** The part of `process` this module reads; absent on Workers and in browsers, partial on older Node. */
interface ProcessWithBuiltins {
  getBuiltinModule?: (id: string) => unknown;
}

/**
 * A Node built-in module (`node:crypto`, `node:buffer`) where the runtime gives it through
 * `process.getBuiltinModule` (Node 20.16 and later, Bun, Deno), or `undefined`. No static `import` names it, so
 * a bundler for Workers or an edge runtime has nothing to resolve, and code falls back to web APIs there.
 *
 * @example
 * const nodeCrypto = builtinModule<typeof import("node:crypto")>("node:crypto");
 */
export function builtinModule<T>(id: string): T | undefined {
  const process = (globalThis as { process?: ProcessWithBuiltins }).process;
  if (typeof process?.getBuiltinModule !== "function") return undefined;
  try {
    return (process.getBuiltinModule(id) ?? undefined) as T | undefined;
  } catch {
    // A runtime that imitates `process` without the module (a polyfill) throws rather than answering undefined.
    return undefined;
  }
}
