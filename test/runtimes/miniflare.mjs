// Runs the bundled Worker in workerd through Miniflare, without nodejs_compat: Web Crypto is all it has.
// Usage (with a Node that Miniflare supports): node miniflare.mjs <miniflare entry> <worker bundle>

import { pathToFileURL } from "node:url";

const [miniflareEntry, bundle] = process.argv.slice(2);
const { Miniflare } = await import(pathToFileURL(miniflareEntry).href);
const mf = new Miniflare({ modules: true, scriptPath: bundle, compatibilityDate: "2026-07-01" });
try {
  const response = await mf.dispatchFetch("https://runtimes.test/");
  console.log(await response.text());
} finally {
  await mf.dispose();
}
