// The backend this runtime uses: node:crypto where the runtime gives it, Web Crypto everywhere else.

import type { CryptoBackend } from "./backend.js";
import { nodeCryptoBackend } from "./node-crypto.js";
import { webCryptoBackend } from "./web-crypto.js";

/**
 * node:crypto on Node (20.16 and later), Bun and Deno, which is synchronous and fastest; Web Crypto on Workers,
 * edge runtimes and in browsers. Chosen once, when tessera is loaded.
 *
 * @example
 * runtimeBackend.name; // "node:crypto"
 */
export const runtimeBackend: CryptoBackend = nodeCryptoBackend() ?? webCryptoBackend();
