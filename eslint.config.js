// Lint rules: typescript-eslint's recommended set, plus the layer rule DESIGN.md draws.
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import globals from "globals";
import { readdirSync } from "node:fs";

/** Each layer may import only the layers listed before it (DESIGN.md, "The parts and which way they depend"). */
const layers = {
  core: [],
  crypto: ["core"],
  cookie: ["core"],
  stores: ["core"],
  codecs: ["core", "crypto"],
  manager: ["core", "crypto", "cookie", "codecs"],
  adapters: ["core", "manager"],
  migrate: ["core", "crypto", "cookie", "manager"],
  jar: ["core", "crypto", "cookie"],
  opentelemetry: ["core", "manager"],
};

/** The layers whose folders are siblings that never import each other: no `stores/redis` -> `stores/sqlite`. */
const siblingLayers = ["stores", "adapters", "codecs"];

/** The folders of a layer (`src/stores/redis`, ...). */
const foldersOf = (layer) =>
  readdirSync(new URL(`./src/${layer}/`, import.meta.url), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name);

/** The optional peer only `tessera/opentelemetry` loads: the rest of tessera never imports it. */
const openTelemetryPattern = {
  group: ["@opentelemetry/*"],
  message: "only src/opentelemetry imports @opentelemetry/api, so an app that does not import tessera/opentelemetry never loads it",
};

const layerPatterns = (layer) => [
  ...Object.keys(layers)
    .filter((other) => other !== layer && !layers[layer].includes(other))
    .map((other) => ({ group: [`**/${other}/**`, `**/${other}/*`], message: `src/${layer} may not import src/${other} (see DESIGN.md)` })),
  ...(layer === "opentelemetry" ? [] : [openTelemetryPattern]),
];

const restrict = (files, patterns) => ({
  files,
  ignores: ["src/**/*.test.ts"],
  rules: { "no-restricted-imports": ["error", { patterns }] },
});

// One rule set per file glob: a later "no-restricted-imports" replaces an earlier one, so a sibling folder gets its
// layer's patterns and the sibling patterns together.
const layerRules = Object.keys(layers).flatMap((layer) => {
  const rules = [restrict([`src/${layer}/**/*.ts`], layerPatterns(layer))];
  if (!siblingLayers.includes(layer)) return rules;
  const folders = foldersOf(layer);
  for (const folder of folders) {
    const siblings = folders
      .filter((other) => other !== folder)
      .map((other) => ({
        group: [`../${other}`, `../${other}/*`, `../${other}/**`, `**/${layer}/${other}/*`, `**/${layer}/${other}/**`],
        message: `src/${layer}/${folder} may not import its sibling src/${layer}/${other} (see DESIGN.md)`,
      }));
    rules.push(restrict([`src/${layer}/${folder}/**/*.ts`], [...layerPatterns(layer), ...siblings]));
  }
  return rules;
});

/** The command line is built as an application is: on `src/index.ts` and the store subpaths, nothing internal. */
const cliRule = {
  files: ["src/cli/**/*.ts"],
  ignores: ["src/**/*.test.ts"],
  rules: {
    "no-restricted-imports": [
      "error",
      {
        patterns: [
          {
            group: ["../core/**", "../crypto/**", "../cookie/**", "../codecs/*.js", "../codecs/*/*", "../manager/**", "../migrate/*", "../adapters/**", "../stores/*/*", "!../stores/*/index.js", "!../codecs/*/index.js", "!../migrate/index.js"],
            message: "src/cli imports only the public entry points: ../index.js, ../stores/<name>/index.js, ../codecs/<name>/index.js and ../migrate/index.js (see src/cli/README.md)",
          },
        ],
      },
    ],
  },
};

export default tseslint.config(
  { ignores: ["dist/", "api/", "node_modules/", ".cache/", "test-output/", "coverage/", "bench/results/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/no-non-null-assertion": "off",
    },
  },
  ...layerRules,
  cliRule,
);
