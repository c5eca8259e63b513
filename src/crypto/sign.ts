// HMAC-SHA256 on bytes: sign and verify, knowing nothing of sessions or JSON.

import { createHmac, timingSafeEqual, type KeyObject } from "node:crypto";

/** HMAC-SHA256 output size. */
export const macBytes = 32;

/**
 * The HMAC-SHA256 of the concatenated `parts`.
 *
 * @example
 * const mac = sign(key, header, payload);
 */
export function sign(key: KeyObject, ...parts: Uint8Array[]): Buffer {
  const hmac = createHmac("sha256", key);
  for (const part of parts) hmac.update(part);
  return hmac.digest();
}

/**
 * Whether `mac` is the HMAC-SHA256 of `parts`, compared in constant time.
 *
 * @example
 * if (!verify(key, mac, header, payload)) reject();
 */
export function verify(key: KeyObject, mac: Uint8Array, ...parts: Uint8Array[]): boolean {
  return mac.length === macBytes && timingSafeEqual(sign(key, ...parts), mac);
}
