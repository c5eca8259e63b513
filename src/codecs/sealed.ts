// The sealed codec (default): the whole record encrypted and authenticated with AES-256-GCM or XChaCha20-Poly1305,
// compressed first when asked (`compress`) and when that makes it smaller.

import { allocBytes, fromBase64url, readUint32, toBase64url, utf8Bytes } from "../core/bytes.js";
import { CodecError, TesseraError } from "../core/errors.js";
import type { Codec, CodecContext, Decoded } from "../core/codec.js";
import type { Awaitable } from "../core/store.js";
import { isPromise, ivBytes, tagBytes } from "../crypto/backend.js";
import type { KeyRing } from "../crypto/keyring.js";
import { fillRandom } from "../crypto/tokens.js";
import { findXChaCha, xchachaNonceBytes, type XChaCha, type XChaChaKey } from "../crypto/xchacha.js";
import { jsonSerializer, type PayloadSerializer } from "./json.js";
import { deflateRaw, inflateRaw, resolveCompression, type CompressionOptions } from "./deflate.js";

/** The cipher a sealed value is made with; values of either always open. */
export type SealedCipher = "aes-256-gcm" | "xchacha20-poly1305";

/** Options of `createSealedCodec`. */
export interface SealedCodecOptions extends CompressionOptions {
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
 * Wire format versions, the first byte, bound into the AAD: 1 AES-256-GCM, 2 AES-256-GCM over the record compressed
 * with raw DEFLATE, 3 XChaCha20-Poly1305, 4 XChaCha20-Poly1305 over the record compressed. Then the key id (4 bytes),
 * the nonce (12 bytes for AES-256-GCM, 24 for XChaCha20), `ciphertext || tag(16)`, all base64url.
 */
const versions = {
  aes: 1,
  aesDeflated: 2,
  xchacha: 3,
  xchachaDeflated: 4,
} as const;
const aesHeaderBytes = 1 + 4 + ivBytes;
const xchachaHeaderBytes = 1 + 4 + xchachaNonceBytes;

/**
 * A codec that seals records: unreadable and unforgeable without a secret. The cookie name and the format version
 * are bound into the AAD, so a value cannot be replayed under another cookie name or read as another version. With
 * `compress`, a record is compressed before it is sealed when that makes it smaller; values of every version open
 * whatever the options. Synchronous on node:crypto and node:zlib; on Web Crypto, `encode` and `decode` answer with a
 * Promise.
 *
 * @example
 * const codec = createSealedCodec(createKeyRing([secret]));
 * const faster = createSealedCodec(createKeyRing([secret]), { cipher: "xchacha20-poly1305", compress: true });
 */
export function createSealedCodec(ring: KeyRing, options?: SealedCodecOptions | PayloadSerializer, compression?: CompressionOptions): Codec {
  const chosen: SealedCodecOptions = options !== undefined && "serialize" in options ? { serializer: options, ...compression } : { ...options, ...compression };
  const { serializer = jsonSerializer, cipher = "aes-256-gcm" } = chosen;
  if (cipher !== "aes-256-gcm" && cipher !== "xchacha20-poly1305") {
    throw new TesseraError("ERR_INVALID_OPTION", '`cipher` must be "aes-256-gcm" or "xchacha20-poly1305"');
  }
  const { compress, maxInflatedBytes } = resolveCompression(chosen);
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
  const xchachaKeys = new Map<number, XChaChaKey>();
  const xchachaKey = (index: number): XChaChaKey => {
    let key = xchachaKeys.get(index);
    if (key === undefined) {
      key = findCipher()!.key(ring.derive(index, "seal/xchacha20-poly1305", 32));
      xchachaKeys.set(index, key);
    }
    return key;
  };
  const aads = new Map<string, Uint8Array>();
  // The AAD is version byte, key id and cookie name, so a value is bound to where it was issued, to its cipher and
  // to whether it was compressed. Built once per version, key and cookie name.
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
  const useXChaCha = cipher === "xchacha20-poly1305";
  return {
    name: "sealed",
    encode(record, context) {
      const serialized = serializer.serialize(record);
      const seal = (plaintext: Uint8Array, deflated: boolean): Awaitable<string> => {
        if (useXChaCha) {
          const out = allocBytes(xchachaHeaderBytes + plaintext.length + tagBytes);
          out[0] = deflated ? versions.xchachaDeflated : versions.xchacha;
          out.set(ring.current.id, 1);
          const nonce = fillRandom(out.subarray(5, xchachaHeaderBytes));
          xchachaKey(0).seal(nonce, aadFor(context, out), plaintext, out, xchachaHeaderBytes);
          return toBase64url(out);
        }
        const out = allocBytes(aesHeaderBytes + plaintext.length + tagBytes);
        out[0] = deflated ? versions.aesDeflated : versions.aes;
        out.set(ring.current.id, 1);
        const sealed = crypto.seal(ring.current.sealKey, fillRandom(out.subarray(5, aesHeaderBytes)), aadFor(context, out), plaintext, out, aesHeaderBytes);
        return isPromise(sealed) ? sealed.then(() => toBase64url(out)) : toBase64url(out);
      };
      // Never written compressed past what a reader inflates: such a record goes out as it is (and is then refused
      // as too large for the cookie, not as a value no reader opens).
      if (!compress || serialized.length > maxInflatedBytes) return seal(serialized, false);
      const smallest = (deflated: Uint8Array): Awaitable<string> => (deflated.length < serialized.length ? seal(deflated, true) : seal(serialized, false));
      const deflated = deflateRaw(serialized);
      return isPromise(deflated) ? deflated.then(smallest) : smallest(deflated);
    },
    decode(value, context) {
      const bytes = fromBase64url(value);
      if (bytes === undefined || bytes.length < aesHeaderBytes + tagBytes) throw new CodecError("malformed");
      const version = bytes[0];
      const isAes = version === versions.aes || version === versions.aesDeflated;
      // A version this runtime cannot open (XChaCha20-Poly1305 on Web Crypto alone) is unsupported, as an unknown one.
      const isXChaCha = (version === versions.xchacha || version === versions.xchachaDeflated) && findCipher() !== null;
      if (!isAes && !isXChaCha) throw new CodecError("unsupported_version");
      const headerBytes = isAes ? aesHeaderBytes : xchachaHeaderBytes;
      if (bytes.length < headerBytes + tagBytes) throw new CodecError("malformed");
      const found = ring.find(readUint32(bytes, 1));
      if (found === undefined) throw new CodecError("unknown_key");
      const finish = (plaintext: Uint8Array | undefined): Decoded => {
        if (plaintext === undefined) throw new CodecError("bad_payload");
        return { record: serializer.deserialize(plaintext), keyIndex: found.index };
      };
      const inflate = (plaintext: Uint8Array | null): Awaitable<Decoded> => {
        if (plaintext === null) throw new CodecError("bad_signature");
        if (version === versions.aes || version === versions.xchacha) return finish(plaintext);
        // Authenticated first, inflated after, and never past the cap: only a holder of the key could make a bomb.
        const inflated = inflateRaw(plaintext, maxInflatedBytes);
        return isPromise(inflated) ? inflated.then(finish) : finish(inflated);
      };
      const nonce = bytes.subarray(5, headerBytes);
      if (isXChaCha) return inflate(xchachaKey(found.index).open(nonce, aadFor(context, bytes), bytes.subarray(headerBytes)));
      const opened = crypto.open(found.keys.sealKey, nonce, aadFor(context, bytes), bytes.subarray(headerBytes));
      return isPromise(opened) ? opened.then(inflate) : inflate(opened);
    },
  };
}
