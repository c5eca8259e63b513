// The scenario on a runtime with a module loader of its own (Node, Bun, Deno): the built package, one JSON line out.

import * as tessera from "../../dist/index.js";
import * as memory from "../../dist/stores/memory/index.js";
import { runScenario } from "./scenario.mjs";

const runtime = globalThis.Bun
  ? `Bun ${globalThis.Bun.version}`
  : globalThis.Deno
    ? `Deno ${globalThis.Deno.version.deno}`
    : `Node ${process.versions.node}`;
console.log(JSON.stringify({ runtime, ...(await runScenario({ tessera, memory })) }));
