// The sealed codec (default): the whole record encrypted and authenticated with AES-256-GCM or XChaCha20-Poly1305.

import { allocBytes, fromBase64url, readUint32, toBase64url, utf8Bytes } from "../core/bytes.js";
import { CodecError } from "../core/errors.js";
import type { Codec, CodecContext, Decoded } from "../core/codec.js";
import { isPromise, ivBytes, tagBytes } from "../crypto/backend.js";
import type { KeyRing } from "../crypto/keyring.js";
import { fillRandom } from "../crypto/tokens.js";
import { findXChaCha, xchachaNonceBytes, type XChaCha } from "../crypto/xchacha.js";
import { TesseraError } from "../core/errors.js";
import { jsonSerializer, type PayloadSerializer } from "./json.js";

/** The cipher a sealed value is made with; values of either always open. */
export type SealedCipher = "aes-256-gcm" | "xchacha20-poly1305";

/** Options of `createSealedCodec`. */
export interface SealedCodecOptions {
  /**
   * The cipher new values are sealed with. `"xchacha20-poly1305"` is about 4× cheaper per value with sodium-native
   * installed (an optional peer); it needs node:crypto or sodium-native (Node, Bun, Deno), so a Web-Crypto-only
   * runtime (Workers, edge) that shares the cookie must keep the default. @default "aes-256-gcm"
   */
  cipher?: SealedCipher;
  /** @default jsonSerializer */
  serializer?: PayloadSerializer;
  /** @internal The XChaCha20-Poly1305 implementation, `null` for none (as on Web Crypto alone); the fastest the runtime has by default. */
  xchacha?: XChaCha | null | undefined;
}

/**
 * Wire format versions, the first byte: 1 is AES-256-GCM, `version(1) || keyId(4) || iv(12)`; 2 is
 * XChaCha20-Poly1305, `version(1) || keyId(4) || nonce(24)`. Then `ciphertext || tag(16)`, all base64url.
 */
const aesVersion = 1;
const xchachaVersion = 2;
const aesHeaderBytes = 1 + 4 + ivBytes;
const xchachaHeaderBytes = 1 + 4 + xchachaNonceBytes;

/**
 * A codec that seals records: unreadable and unforgeable without a secret. The cookie name and the format version
 * are bound into the AAD, so a value cannot be replayed under another cookie name. Synchronous on node:crypto; on
 * Web Crypto, `encode` and `decode` answer with a Promise.
 *
 * @example
 * const codec = createSealedCodec(createKeyRing([secret]));
 */
export function createSealedCodec(ring: KeyRing, options?: SealedCodecOptions | PayloadSerializer): Codec {
  const { serializer = jsonSerializer, cipher = "aes-256-gcm", ...chosen }: SealedCodecOptions =
    options !== undefined && "serialize" in options ? { serializer: options } : (options ?? {});
  if (cipher !== "aes-256-gcm" && cipher !== "xchacha20-poly1305") {
    throw new TesseraError("ERR_INVALID_OPTION", '`cipher` must be "aes-256-gcm" or "xchacha20-poly1305"');
  }
  const { crypto } = ring;
  // XChaCha20-Poly1305 is looked for (sodium-native loaded) only when it is the cipher or a value of it arrives, and
  // its keys are derived the first time a value needs them.
  let xchacha = chosen.xchacha;
  const findCipher = (): XChaCha | null => {
    if (xchacha === undefined) xchacha = findXChaCha() ?? null;
    return xchacha;
  };
  if (cipher === "xchacha20-poly1305" && findCipher() === null) {
    throw new TesseraError("ERR_INVALID_OPTION", '`cipher: "xchacha20-poly1305"` needs sodium-native or node:crypto (Node.js, Bun, Deno)');
  }
  const xchachaKeys = new Map<number, ReturnType<XChaCha["key"]>>();
  const xchachaKey = (index: number) => {
    let key = xchachaKeys.get(index);
    if (key === undefined) {
      key = findCipher()!.key(ring.derive(index, "seal/xchacha20-poly1305", 32));
      xchachaKeys.set(index, key);
    }
    return key;
  };
  const aads = new Map<string, Uint8Array>();
  // The AAD is version byte, key id and cookie name, so a value is bound to where it was issued. Built once
  // per key and cookie name.
  const aadFor = (context: CodecContext, header: Uint8Array): Uint8Array => {
    const cacheKey = `${header[0]}\0${readUint32(header, 1)}\0${context.cookieName}`;
    let aad = aads.get(cacheKey);
    if (aad === undefined) {
      const name = utf8Bytes(`tessera.sealed\0${context.cookieName}`);
      aad = new Uint8Array(5 + name.length);
      aad.set(header.subarray(0, 5));
      aad.set(name, 5);
      if (aads.size < 64) aads.set(cacheKey, aad);
    }
    return aad;
  };
  return {
    name: "sealed",
    encode(record, context) {
      const plaintext = serializer.serialize(record);
      if (cipher === "xchacha20-poly1305") {
        const out = allocBytes(xchachaHeaderBytes + plaintext.length + tagBytes);
        out[0] = xchachaVersion;
        out.set(ring.current.id, 1);
        const nonce = fillRandom(out.subarray(5, xchachaHeaderBytes));
        xchachaKey(0).seal(nonce, aadFor(context, out), plaintext, out, xchachaHeaderBytes);
        return toBase64url(out);
      }
      const headerBytes = aesHeaderBytes;
      const out = allocBytes(headerBytes + plaintext.length + tagBytes);
      out[0] = aesVersion;
      out.set(ring.current.id, 1);
      const sealed = crypto.seal(ring.current.sealKey, fillRandom(out.subarray(5, headerBytes)), aadFor(context, out), plaintext, out, headerBytes);
      return isPromise(sealed) ? sealed.then(() => toBase64url(out)) : toBase64url(out);
    },
    decode(value, context) {
      const bytes = fromBase64url(value);
      if (bytes === undefined || bytes.length < 1) throw new CodecError("malformed");
      // A version this runtime cannot open (XChaCha20-Poly1305 on Web Crypto alone) is unsupported, as an unknown one.
      const headerBytes = bytes[0] === aesVersion ? aesHeaderBytes : bytes[0] === xchachaVersion && findCipher() !== null ? xchachaHeaderBytes : 0;
      if (headerBytes === 0) throw new CodecError(bytes.length < aesHeaderBytes + tagBytes ? "malformed" : "unsupported_version");
      if (bytes.length < headerBytes + tagBytes) throw new CodecError("malformed");
      const found = ring.find(readUint32(bytes, 1));
      if (found === undefined) throw new CodecError("unknown_key");
      const finish = (plaintext: Uint8Array | null): Decoded => {
        if (plaintext === null) throw new CodecError("bad_signature");
        return { record: serializer.deserialize(plaintext), keyIndex: found.index };
      };
      if (headerBytes === xchachaHeaderBytes) {
        return finish(xchachaKey(found.index).open(bytes.subarray(5, headerBytes), aadFor(context, bytes), bytes.subarray(headerBytes)));
      }
      const opened = crypto.open(found.keys.sealKey, bytes.subarray(5, headerBytes), aadFor(context, bytes), bytes.subarray(headerBytes));
      return isPromise(opened) ? opened.then(finish) : finish(opened);
    },
  };
}
