// Store-mode cookie values: a random token and a tag that binds it to this app's secrets and the cookie's name.

import { createHmac, timingSafeEqual } from "node:crypto";
import type { KeyRing } from "./keyring.js";

/** Bytes of HMAC-SHA256 kept as the tag: 128 bits, beyond forging. */
export const tagBytes = 16;

/**
 * A store-mode cookie value: a 32-byte token and its 16-byte tag, each unpadded base64url, joined by a dot:
 * `<43 characters>.<22 characters>`.
 */
export const taggedTokenRegExp = /^[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{22}$/;

const domain = Buffer.from("tessera.token.v1\0");

function tagOf(key: KeyRing["current"]["tokenKey"], cookieName: string, token: string): string {
  return createHmac("sha256", key).update(domain).update(cookieName).update("\0").update(token).digest().subarray(0, tagBytes).toString("base64url");
}

/**
 * The cookie value for `token` under `cookieName`, tagged with the ring's first secret. A value only this app can
 * make: junk and guessed values are told apart without asking the store.
 *
 * @example
 * const value = tagToken(ring, "__Host-sid", createToken()); // "<token>.<tag>"
 */
export function tagToken(ring: KeyRing, cookieName: string, token: string): string {
  return `${token}.${tagOf(ring.current.tokenKey, cookieName, token)}`;
}

/**
 * Checks a cookie value's tag: the index of the secret that made it (0 for the first), or `undefined` for a
 * value that is malformed, made for another cookie name, or not made by these secrets. Compared in constant time.
 *
 * @example
 * const keyIndex = openTaggedToken(ring, "__Host-sid", value);
 * if (keyIndex === undefined) return freshSession();
 */
export function openTaggedToken(ring: KeyRing, cookieName: string, value: string): number | undefined {
  if (!taggedTokenRegExp.test(value)) return undefined;
  const token = value.slice(0, 43);
  const given = Buffer.from(value.slice(44), "latin1");
  for (let index = 0; index < ring.keys.length; index++) {
    const expected = Buffer.from(tagOf(ring.keys[index]!.tokenKey, cookieName, token), "latin1");
    if (timingSafeEqual(expected, given)) return index;
  }
  return undefined;
}
