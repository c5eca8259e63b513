// tessera/codecs/jwt: cookie-mode sessions as JWTs (JWS or JWE) that other services verify with jose and a key.

export { jwtCodec } from "./codec.js";
export { defaults } from "./options.js";
export type { JwsAlgorithm, JwtAlgorithm, JwtCodecOptions, JwtKey } from "./options.js";
export type { SessionClaims, TesseraClaim } from "./claims.js";
