// The scenario as a Worker (workerd): bundled with the built package, answered as JSON to one fetch.

import * as tessera from "../../dist/index.js";
import * as memory from "../../dist/stores/memory/index.js";
import { runScenario } from "./scenario.mjs";

export default {
  async fetch() {
    return Response.json({ runtime: `workerd (${navigator.userAgent})`, ...(await runScenario({ tessera, memory })) });
  },
};
