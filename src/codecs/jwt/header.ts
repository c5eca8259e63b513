// The JOSE protected header: the one tessera writes, and the only shape it reads back.

import { fromBase64url } from "../../core/bytes.js";
import { CodecError } from "../../core/errors.js";
import { defaults, type JwtAlgorithm } from "./options.js";

/**
 * The header of a token for the key named `kid`, as its base64url segment: `{"alg","typ","kid"}`, and `enc` for
 * `dir`. It names no key location (`jku`, `jwk`, `x5u`, `x5c`) and no critical extension (`crit`).
 *
 * @example
 * encodeHeader("EdDSA", ring.current.kid); // "eyJhbGciOiJFZERTQSIsInR5cCI6InNlc3Npb24rand0Iiwia2lkIjoi..."
 */
export function encodeHeader(alg: JwtAlgorithm, kid: string): string {
  const header = alg === "dir" ? { alg, enc: defaults.enc, typ: defaults.typ, kid } : { alg, typ: defaults.typ, kid };
  return Buffer.from(JSON.stringify(header)).toString("base64url");
}

/**
 * The `kid` of a header segment, read under the pinned algorithm; throws a `CodecError` for anything else:
 * `malformed` for a segment that is not a JSON object or has a parameter tessera never writes (`jku`, `jwk`,
 * `x5u`, `x5c`, `crit`, `zip`, ...: a token is never allowed to say where its key comes from or what else to
 * understand), `unsupported_version` for another `alg` (`none`, HS256 on a public-key codec, ...), `enc` or `typ`,
 * and `unknown_key` for a missing or non-string `kid`.
 *
 * @example
 * const kid = decodeHeader(segment, "EdDSA");
 */
export function decodeHeader(segment: string, alg: JwtAlgorithm): string {
  const bytes = segment.length <= maxHeaderChars ? fromBase64url(segment) : undefined;
  if (bytes === undefined) throw new CodecError("malformed");
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8"));
  } catch {
    throw new CodecError("malformed");
  }
  if (header === null || typeof header !== "object" || Array.isArray(header)) throw new CodecError("malformed");
  const allowed = alg === "dir" ? dirParameters : jwsParameters;
  for (const name of Object.keys(header)) if (!allowed.has(name)) throw new CodecError("malformed");
  const { alg: named, enc, typ, kid } = header as Record<string, unknown>;
  // RFC 8725 §3.1: the algorithm comes from configuration; the header's is only checked against it.
  if (named !== alg || (alg === "dir" && enc !== defaults.enc) || typ !== defaults.typ) throw new CodecError("unsupported_version");
  if (typeof kid !== "string") throw new CodecError("unknown_key");
  return kid;
}

/** The base64url length of `maxHeaderBytes`. */
const maxHeaderChars = Math.ceil((defaults.maxHeaderBytes * 4) / 3);

const jwsParameters = new Set(["alg", "typ", "kid"]);
const dirParameters = new Set(["alg", "enc", "typ", "kid"]);
