// base64url text to bytes, strictly: Buffer.from silently skips characters outside the alphabet.

/** Unpadded base64url: `[A-Za-z0-9_-]+`. */
const base64urlRegExp = /^[A-Za-z0-9_-]+$/;

/**
 * The bytes of an unpadded base64url string, or `undefined` for any other text.
 *
 * @example
 * fromBase64url("AQID"); // <Buffer 01 02 03>
 */
export function fromBase64url(text: string): Buffer | undefined {
  return base64urlRegExp.test(text) && text.length % 4 !== 1 ? Buffer.from(text, "base64url") : undefined;
}
