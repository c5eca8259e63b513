// Store-mode cookie values: a random token and a tag that binds it to this app's secrets and the cookie's name.

import { toBase64url, utf8Bytes } from "../core/bytes.js";
import type { Awaitable } from "../core/store.js";
import { constantTimeEqual, isPromise, type SecretKey } from "./backend.js";
import type { KeyRing } from "./keyring.js";

/** Bytes of HMAC-SHA256 kept as the tag: 128 bits, beyond forging. */
export const tagBytes = 16;

/**
 * A store-mode cookie value: a 32-byte token and its 16-byte tag, each unpadded base64url, joined by a dot:
 * `<43 characters>.<22 characters>`.
 */
export const taggedTokenRegExp = /^[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{22}$/;

const domain = utf8Bytes("tessera.token.v1\0");

/** The tag as text: the first 16 bytes of HMAC-SHA256(domain || cookie name || NUL || token), base64url. */
function tagOf(ring: KeyRing, key: SecretKey, cookieName: string, token: string): Awaitable<string> {
  const mac = ring.crypto.hmac(key, [domain, `${cookieName}\0${token}`]);
  return isPromise(mac) ? mac.then(tagText) : tagText(mac);
}

function tagText(mac: Uint8Array): string {
  return toBase64url(mac.subarray(0, tagBytes));
}

/**
 * The cookie value for `token` under `cookieName`, tagged with the ring's first secret. A value only this app can
 * make: junk and guessed values are told apart without asking the store. A string on Node, Bun and Deno; a
 * Promise where only Web Crypto is there.
 *
 * @example
 * const value = await tagToken(ring, "__Host-sid", createToken()); // "<token>.<tag>"
 */
export function tagToken(ring: KeyRing, cookieName: string, token: string): Awaitable<string> {
  const tag = tagOf(ring, ring.current.tokenKey, cookieName, token);
  return isPromise(tag) ? tag.then((text) => `${token}.${text}`) : `${token}.${tag}`;
}

/**
 * Checks a cookie value's tag: the index of the secret that made it (0 for the first), or `undefined` for a
 * value that is malformed, made for another cookie name, or not made by these secrets. Compared in constant time.
 * A result on Node, Bun and Deno; a Promise of it where only Web Crypto is there: `await` it either way.
 *
 * @example
 * const keyIndex = await openTaggedToken(ring, "__Host-sid", value);
 * if (keyIndex === undefined) return freshSession();
 */
export function openTaggedToken(ring: KeyRing, cookieName: string, value: string): Awaitable<number | undefined> {
  if (!taggedTokenRegExp.test(value)) return undefined;
  const token = value.slice(0, 43);
  const given = value.slice(44);
  for (let index = 0; index < ring.keys.length; index++) {
    const expected = tagOf(ring, ring.keys[index]!.tokenKey, cookieName, token);
    if (isPromise(expected)) return openAsync(ring, cookieName, token, given, index, expected);
    if (constantTimeEqual(expected, given)) return index;
  }
  return undefined;
}

async function openAsync(ring: KeyRing, cookieName: string, token: string, given: string, from: number, first: Promise<string>): Promise<number | undefined> {
  if (constantTimeEqual(await first, given)) return from;
  for (let index = from + 1; index < ring.keys.length; index++) {
    if (constantTimeEqual(await tagOf(ring, ring.keys[index]!.tokenKey, cookieName, token), given)) return index;
  }
  return undefined;
}
