// tessera/react-router: React Router 7 (and Remix) SessionStorage backed by tessera.

export { createTesseraSessionStorage, defaults } from "./storage.js";
export type { TesseraSessionStorage, TesseraSessionStorageOptions } from "./storage.js";
export type { TesseraRouterSession } from "./session.js";
