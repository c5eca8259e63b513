// itsdangerous's URL-safe payload: JSON text as base64url, zlib-compressed (and led by ".") when that is shorter.

import { fromBase64url } from "../../core/bytes.js";
import { deflateSync, inflateSync } from "node:zlib";
import { CodecError } from "../../core/errors.js";

/**
 * The most a compressed payload may inflate to. A cookie holds at most 4 KiB, and Flask's own sessions inflate to a
 * few times that; the cap keeps a zlib bomb from costing memory (it could only come signed, from a key holder).
 */
export const maxJsonBytes = 1 << 20;

/** WHATWG Encoding: strict UTF-8 (Python's `bytes.decode("utf-8")`), and a BOM kept as U+FEFF, which no JSON begins with. */
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * The payload segment for JSON text: `URLSafeSerializerMixin.dump_payload`, which compresses with zlib when the
 * result is shorter than the text by 2 bytes or more. (Node's zlib writes other bytes than CPython's for the same
 * input; Flask reads any valid zlib stream.)
 *
 * @example
 * encodePayload('{"username":"alice"}'); // "eyJ1c2VybmFtZSI6ImFsaWNlIn0"
 */
export function encodePayload(json: string): string {
  const bytes = Buffer.from(json, "utf8");
  const compressed = deflateSync(bytes);
  return compressed.length < bytes.length - 1 ? `.${compressed.toString("base64url")}` : bytes.toString("base64url");
}

/**
 * The JSON text of a payload segment, decoded strictly: canonical unpadded base64url, a complete zlib stream with
 * nothing after it, UTF-8. Throws `CodecError("bad_payload")` otherwise (Flask's `BadPayload`, which Flask itself
 * does not catch: its request fails with HTTP 500).
 *
 * @example
 * decodePayload("eyJ1c2VybmFtZSI6ImFsaWNlIn0"); // '{"username":"alice"}'
 */
export function decodePayload(segment: string): string {
  const compressed = segment.startsWith(".");
  const bytes = fromBase64url(compressed ? segment.slice(1) : segment);
  if (bytes === undefined) throw new CodecError("bad_payload");
  let json: Buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (compressed) {
    try {
      const inflated = inflateSync(bytes, { maxOutputLength: maxJsonBytes, info: true }) as unknown as { buffer: Buffer; engine: { bytesWritten: number } };
      // zlib stops at the end of the stream; bytes after it are junk Python's zlib.decompress would skip.
      if (inflated.engine.bytesWritten !== bytes.length) throw new CodecError("bad_payload");
      json = inflated.buffer;
    } catch {
      throw new CodecError("bad_payload");
    }
  }
  try {
    return utf8.decode(json);
  } catch {
    throw new CodecError("bad_payload");
  }
}
