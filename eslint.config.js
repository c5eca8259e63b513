// Lint rules: typescript-eslint's recommended set, plus the layer rule DESIGN.md draws.
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import globals from "globals";

/** Each layer may import only the layers listed before it (DESIGN.md, "The parts and which way they depend"). */
const layers = {
  core: [],
  crypto: ["core"],
  cookie: ["core"],
  stores: ["core"],
  codecs: ["core", "crypto"],
  manager: ["core", "crypto", "cookie", "codecs"],
  adapters: ["core", "manager"],
};

const layerRules = Object.entries(layers).map(([layer, allowed]) => ({
  files: [`src/${layer}/**/*.ts`],
  ignores: ["src/**/*.test.ts"],
  rules: {
    "no-restricted-imports": [
      "error",
      {
        patterns: Object.keys(layers)
          .filter((other) => other !== layer && !allowed.includes(other))
          .map((other) => ({ group: [`**/${other}/**`, `**/${other}/*`], message: `src/${layer} may not import src/${other} (see DESIGN.md)` })),
      },
    ],
  },
}));

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
            group: ["../core/**", "../crypto/**", "../cookie/**", "../codecs/**", "../manager/**", "../migrate/**", "../adapters/**", "../stores/*/*", "!../stores/*/index.js"],
            message: "src/cli imports only the public entry points: ../index.js and ../stores/<name>/index.js (see src/cli/README.md)",
          },
        ],
      },
    ],
  },
};

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", "test-output/", "coverage/", "bench/results/"] },
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
