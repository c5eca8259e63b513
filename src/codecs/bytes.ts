// base64url text to bytes, strictly: Buffer.from silently skips characters outside the alphabet.

/** Unpadded base64url: `[A-Za-z0-9_-]+`. */
const base64urlRegExp = /^[A-Za-z0-9_-]+$/;

/**
 * The bytes of an unpadded, canonical base64url string, or `undefined` for any other text.
 *
 * @example
 * fromBase64url("AQID"); // <Buffer 01 02 03>
 */
export function fromBase64url(text: string): Buffer | undefined {
  if (!base64urlRegExp.test(text) || text.length % 4 === 1) return undefined;
  const bytes = Buffer.from(text, "base64url");
  // RFC 4648 §3.5: Buffer.from ignores non-zero pad bits in the last character, so one value would have
  // several spellings (a changed last character still verifying); only the canonical one is accepted.
  return bytes.toString("base64url") === text ? bytes : undefined;
}
