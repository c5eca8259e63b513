// base64url text to bytes, strictly: a lenient decoder silently skips characters outside the alphabet.

import { base64urlBytes } from "../core/bytes.js";

/** Unpadded base64url: `[A-Za-z0-9_-]+`. */
const base64urlRegExp = /^[A-Za-z0-9_-]+$/;

/**
 * The bytes of an unpadded, canonical base64url string, or `undefined` for any other text.
 *
 * @example
 * fromBase64url("AQID"); // Uint8Array [1, 2, 3]
 */
export function fromBase64url(text: string): Uint8Array | undefined {
  const remainder = text.length % 4;
  if (remainder === 1 || !base64urlRegExp.test(text)) return undefined;
  // RFC 4648 §3.5: a decoder ignores non-zero pad bits in the last character, so one value would have
  // several spellings (a changed last character still verifying); only the canonical one is accepted. With
  // 2 or 3 characters in the last group, its last character carries 4 or 2 unused bits, which must be zero.
  if (remainder !== 0 && (sextet(text.charCodeAt(text.length - 1)) & (remainder === 2 ? 0x0f : 0x03)) !== 0) return undefined;
  return base64urlBytes(text);
}

/** The 6-bit value of a base64url character already checked against the alphabet. */
function sextet(code: number): number {
  if (code >= 0x61) return code - 0x61 + 26; // a-z
  if (code >= 0x41) return code === 0x5f ? 63 : code - 0x41; // A-Z, or "_"
  if (code >= 0x30) return code - 0x30 + 52; // 0-9
  return 62; // "-"
}
