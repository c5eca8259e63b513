// Bytes without Buffer: UTF-8 and base64url on Uint8Array, so the core runs where Node's Buffer is absent.

import { builtinModule } from "./runtime.js";

/** A Node Buffer, as far as this module uses one. */
interface NodeBuffer extends Uint8Array {
  toString(encoding?: "base64url" | "utf8"): string;
}

/**
 * The part of Node's Buffer class used here, where the runtime has it (Node, Bun, Deno): native UTF-8 and base64url,
 * and small allocations from a shared pool, all faster on Node than TextEncoder, TextDecoder and `new Uint8Array`.
 */
interface NodeBufferClass {
  new (...args: never[]): NodeBuffer;
  from(buffer: ArrayBufferLike, byteOffset: number, length: number): NodeBuffer;
  from(text: string, encoding: "base64url" | "utf8"): NodeBuffer;
  allocUnsafe(size: number): NodeBuffer;
}

const nodeBuffer = builtinModule<{ Buffer: NodeBufferClass }>("node:buffer")?.Buffer;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** RFC 4648 §5: the base64url alphabet. */
const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const sextets = new Int8Array(128).fill(-1);
for (let i = 0; i < alphabet.length; i++) sextets[alphabet.charCodeAt(i)] = i;

/**
 * The UTF-8 bytes of `text` (lone surrogates become U+FFFD, as with Buffer).
 *
 * @example
 * utf8Bytes("é"); // Uint8Array [0xc3, 0xa9]
 */
export function utf8Bytes(text: string): Uint8Array {
  return nodeBuffer === undefined ? encoder.encode(text) : nodeBuffer.from(text, "utf8");
}

/**
 * `bytes` read as UTF-8; invalid sequences become U+FFFD, as with Buffer's `toString("utf8")`.
 *
 * @example
 * utf8Text(new Uint8Array([0x68, 0x69])); // "hi"
 */
export function utf8Text(bytes: Uint8Array): string {
  return nodeBuffer === undefined ? decoder.decode(bytes) : asNodeBuffer(nodeBuffer, bytes).toString("utf8");
}

/**
 * `size` bytes for the caller to overwrite entirely: on Node not zeroed, and drawn from Buffer's shared pool.
 *
 * @example
 * const out = allocBytes(headerBytes + plaintext.length + tagBytes);
 */
export function allocBytes(size: number): Uint8Array {
  return nodeBuffer === undefined ? new Uint8Array(size) : nodeBuffer.allocUnsafe(size);
}

function asNodeBuffer(buffer: NodeBufferClass, bytes: Uint8Array): NodeBuffer {
  return bytes instanceof buffer ? bytes : buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * The length of `text` in UTF-8 bytes, without encoding it (Buffer.byteLength's answer).
 *
 * @example
 * utf8ByteLength("é"); // 2
 */
export function utf8ByteLength(text: string): number {
  let length = text.length;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) continue;
    if (code < 0x800) length += 1;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      // A surrogate pair is one code point of 4 bytes: 2 UTF-16 units counted, 2 more.
      length += 2;
      i++;
    } else length += 2; // 3 bytes (a lone surrogate is U+FFFD, also 3)
  }
  return length;
}

/**
 * `bytes` as unpadded base64url (RFC 4648 §5).
 *
 * @example
 * toBase64url(new Uint8Array([1, 2, 3])); // "AQID"
 */
export function toBase64url(bytes: Uint8Array): string {
  return nodeBuffer === undefined ? encodeBase64url(bytes) : asNodeBuffer(nodeBuffer, bytes).toString("base64url");
}

/**
 * The bytes of an unpadded, canonical base64url string, or `undefined` for any other text: a lenient decoder
 * silently skips characters outside the alphabet.
 *
 * @example
 * fromBase64url("AQID"); // Uint8Array [1, 2, 3]
 */
export function fromBase64url(text: string): Uint8Array | undefined {
  const remainder = text.length % 4;
  if (remainder === 1 || !/^[A-Za-z0-9_-]+$/.test(text)) return undefined;
  // RFC 4648 §3.5: a decoder ignores non-zero pad bits in the last character, so one value would have
  // several spellings (a changed last character still verifying); only the canonical one is accepted. With
  // 2 or 3 characters in the last group, its last character carries 4 or 2 unused bits, which must be zero.
  if (remainder !== 0 && (sextets[text.charCodeAt(text.length - 1)]! & (remainder === 2 ? 0x0f : 0x03)) !== 0) return undefined;
  return base64urlBytes(text);
}

/**
 * The bytes of base64url `text` already checked to be canonical and unpadded (see `fromBase64url`).
 *
 * @example
 * base64urlBytes("AQID"); // Uint8Array [1, 2, 3]
 */
export function base64urlBytes(text: string): Uint8Array {
  return nodeBuffer === undefined ? decodeBase64url(text) : nodeBuffer.from(text, "base64url");
}

/**
 * Base64url in JavaScript, for runtimes without Buffer; exported so tests check it against Buffer's.
 *
 * @internal
 */
export function encodeBase64url(bytes: Uint8Array): string {
  let out = "";
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += alphabet[n >>> 18]! + alphabet[(n >>> 12) & 63]! + alphabet[(n >>> 6) & 63]! + alphabet[n & 63]!;
  }
  const left = bytes.length - i;
  if (left === 1) {
    const n = bytes[i]!;
    out += alphabet[n >>> 2]! + alphabet[(n & 3) << 4]!;
  } else if (left === 2) {
    const n = (bytes[i]! << 8) | bytes[i + 1]!;
    out += alphabet[n >>> 10]! + alphabet[(n >>> 4) & 63]! + alphabet[(n & 15) << 2]!;
  }
  return out;
}

/**
 * Base64url decoding in JavaScript, for runtimes without Buffer. Characters outside the alphabet read as zero:
 * callers check the text first.
 *
 * @internal
 */
export function decodeBase64url(text: string): Uint8Array {
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let bits = 0;
  let buffered = 0;
  let o = 0;
  for (let i = 0; i < text.length; i++) {
    buffered = (buffered << 6) | Math.max(0, sextets[text.charCodeAt(i) & 127]!);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (buffered >>> bits) & 0xff;
    }
  }
  return out;
}

/**
 * The four bytes of `bytes` from `offset`, read as a big-endian unsigned 32-bit integer.
 *
 * @example
 * readUint32(new Uint8Array([1, 0, 0, 1, 0]), 1); // 256
 */
export function readUint32(bytes: Uint8Array, offset: number): number {
  return ((bytes[offset]! << 24) | (bytes[offset + 1]! << 16) | (bytes[offset + 2]! << 8) | bytes[offset + 3]!) >>> 0;
}
