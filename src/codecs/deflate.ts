// Raw DEFLATE (RFC 1951) for the sealed and signed codecs' `compress`: node:zlib where the runtime gives it, the
// Compression Streams API elsewhere, and inflation always capped, so a bomb costs no more than the cap.

import type * as NodeZlib from "node:zlib";
import { TesseraError } from "../core/errors.js";
import { builtinModule } from "../core/runtime.js";
import type { Awaitable } from "../core/store.js";

const zlib = builtinModule<typeof NodeZlib>("node:zlib");
const nodeZlib = zlib !== undefined && typeof zlib.deflateRawSync === "function" ? zlib : undefined;

/** What node:zlib's convenience methods answer with `info: true`: the output and how much input the engine read. */
interface InflateInfo {
  buffer: Uint8Array;
  engine: { bytesWritten: number };
}

/**
 * `bytes` compressed with raw DEFLATE: synchronously with node:zlib (Node, Bun, Deno), with a Promise from
 * `CompressionStream("deflate-raw")` on Workers and edge runtimes.
 *
 * @example
 * const smaller = await deflateRaw(utf8Bytes(json));
 */
export function deflateRaw(bytes: Uint8Array): Awaitable<Uint8Array> {
  return nodeZlib === undefined ? webDeflateRaw(bytes) : nodeZlib.deflateRawSync(bytes);
}

/**
 * `bytes` inflated, or `undefined` when they are not one complete raw DEFLATE stream (with nothing after it, on
 * node:zlib and wherever DecompressionStream checks that), or when they inflate to more than `maxBytes` (inflation
 * stops there: a bomb never costs more than the cap).
 *
 * @example
 * const json = await inflateRaw(deflated, 65536); // undefined past 64 KiB
 */
export function inflateRaw(bytes: Uint8Array, maxBytes: number): Awaitable<Uint8Array | undefined> {
  if (nodeZlib === undefined) return webInflateRaw(bytes, maxBytes);
  try {
    const inflated = nodeZlib.inflateRawSync(bytes, { maxOutputLength: Math.max(1, maxBytes), info: true }) as unknown as InflateInfo;
    // zlib stops at the end of the stream and ignores what follows. Only a key holder could append anything (the
    // bytes are authenticated before they are inflated), but a value either opens or not, not "mostly".
    if (inflated.engine.bytesWritten !== bytes.length || inflated.buffer.length > maxBytes) return undefined;
    return inflated.buffer;
  } catch {
    // A broken stream, or output past maxOutputLength (ERR_BUFFER_TOO_LARGE).
    return undefined;
  }
}

/**
 * @internal
 * `deflateRaw` on the Compression Streams API, as Workers and edge runtimes run it (tests call it on Node too).
 *
 * @example
 * const smaller = await webDeflateRaw(bytes);
 */
export async function webDeflateRaw(bytes: Uint8Array): Promise<Uint8Array> {
  const reader = readThrough(bytes, new CompressionStream("deflate-raw"));
  const parts: Uint8Array[] = [];
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return concat(parts);
    parts.push(value);
  }
}

/**
 * @internal
 * `inflateRaw` on the Compression Streams API, read chunk by chunk and abandoned as soon as the output passes
 * `maxBytes`.
 *
 * @example
 * const bytes = await webInflateRaw(deflated, 65536);
 */
export async function webInflateRaw(bytes: Uint8Array, maxBytes: number): Promise<Uint8Array | undefined> {
  const reader = readThrough(bytes, new DecompressionStream("deflate-raw"));
  const parts: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return concat(parts);
      total += value.length;
      if (total > maxBytes) {
        await reader.cancel().catch(() => undefined);
        return undefined;
      }
      parts.push(value);
    }
  } catch {
    // A broken stream, or (where the runtime checks it) bytes after its end.
    return undefined;
  }
}

/** A transform stream of bytes, as (De)CompressionStream is; the DOM and Node typings spell its chunk types apart. */
interface ByteTransform {
  readable: ReadableStream<Uint8Array>;
  writable: WritableStream<Uint8Array>;
}

/** A reader of `bytes` put through `transform`. */
function readThrough(bytes: Uint8Array, transform: CompressionStream | DecompressionStream): ReadableStreamDefaultReader<Uint8Array> {
  const source = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(bytes);
      controller.close();
    },
  });
  return source.pipeThrough(transform as unknown as ByteTransform).getReader();
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Options of the sealed and signed codecs about compression. */
export interface CompressionOptions {
  /**
   * Compress the serialized record with raw DEFLATE before sealing or signing, when that makes it smaller (the
   * format version says so). Off by default: a compressed value's length tells an observer how well data the
   * attacker may influence compresses beside a secret (README, "Big sessions in the cookie"). Values compressed or
   * not are read either way. @default false
   */
  compress?: boolean;
  /** The most a compressed value may inflate to; one over it is refused (`bad_payload`), and none over it is written compressed. @default 65536 */
  maxInflatedBytes?: number;
}

/** The defaults of `CompressionOptions`. */
export const compressionDefaults = Object.freeze({
  /** @default false */
  compress: false,
  /** @default 65536 */
  maxInflatedBytes: 65536,
} as const);

/**
 * @internal
 * `CompressionOptions` checked, naming the option at fault, with defaults applied.
 *
 * @example
 * const { compress, maxInflatedBytes } = resolveCompression({ compress: true });
 */
export function resolveCompression(options: CompressionOptions | undefined): Required<CompressionOptions> {
  const compress = options?.compress ?? compressionDefaults.compress;
  if (typeof compress !== "boolean") throw new TesseraError("ERR_INVALID_OPTION", "`compress` must be true or false");
  const maxInflatedBytes = options?.maxInflatedBytes ?? compressionDefaults.maxInflatedBytes;
  if (!Number.isSafeInteger(maxInflatedBytes) || maxInflatedBytes < 256) {
    throw new TesseraError("ERR_INVALID_OPTION", "`maxInflatedBytes` must be a whole number of bytes, 256 or more");
  }
  return { compress, maxInflatedBytes };
}
