// The example builds inside the tessera repository and imports "tessera" by name (its dist/). Turbopack compiles
// only files under its root: the repository, and wherever its node_modules really is (a link in a git worktree).
import { realpathSync } from "node:fs";
import { dirname, sep } from "node:path";
import { fileURLToPath } from "node:url";

const repository = fileURLToPath(new URL("../..", import.meta.url));
const modules = dirname(realpathSync(`${repository}node_modules`));
let root = repository.replace(/[\\/]$/, "");
while (!(modules + sep).startsWith(root + sep)) root = dirname(root);

export default {
  turbopack: { root },
};
