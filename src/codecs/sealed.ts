// The sealed codec (default): the whole record encrypted and authenticated with AES-256-GCM.

import { allocBytes, fromBase64url, readUint32, toBase64url, utf8Bytes } from "../core/bytes.js";
import { CodecError } from "../core/errors.js";
import type { Codec, CodecContext, Decoded } from "../core/codec.js";
import type { Awaitable } from "../core/store.js";
import { isPromise, ivBytes, tagBytes } from "../crypto/backend.js";
import type { KeyRing } from "../crypto/keyring.js";
import { fillRandom } from "../crypto/tokens.js";
import { jsonSerializer, type PayloadSerializer } from "./json.js";
import { deflateRaw, inflateRaw, resolveCompression, type CompressionOptions } from "./deflate.js";

/** Wire format version of a sealed value, the first byte: 1 seals the serialized record as it is. */
const formatVersion = 1;
/** Version 2 seals it compressed with raw DEFLATE (`compress`). A reader of version 1 alone refuses it (`unsupported_version`). */
const deflatedVersion = 2;

/** `version(1) || keyId(4) || iv(12)`, then `ciphertext || tag(16)`, all base64url. */
const headerBytes = 1 + 4 + ivBytes;

/**
 * A codec that seals records: unreadable and unforgeable without a secret. The cookie name and the format version
 * are bound into the AAD, so a value cannot be replayed under another cookie name. With `compress`, a record is
 * compressed before it is sealed when that makes it smaller (format version 2); values of either version open.
 * Synchronous on node:crypto and node:zlib; on Web Crypto, `encode` and `decode` answer with a Promise.
 *
 * @example
 * const codec = createSealedCodec(createKeyRing([secret]));
 * const smaller = createSealedCodec(createKeyRing([secret]), jsonSerializer, { compress: true });
 */
export function createSealedCodec(ring: KeyRing, serializer: PayloadSerializer = jsonSerializer, options?: CompressionOptions): Codec {
  const { crypto } = ring;
  const { compress, maxInflatedBytes } = resolveCompression(options);
  const aads = new Map<string, Uint8Array>();
  // The AAD is version byte, key id and cookie name, so a value is bound to where it was issued (and to whether it
  // was compressed). Built once per version, key and cookie name.
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
      const serialized = serializer.serialize(record);
      const seal = (plaintext: Uint8Array, version: number): Awaitable<string> => {
        const out = allocBytes(headerBytes + plaintext.length + tagBytes);
        out[0] = version;
        out.set(ring.current.id, 1);
        const sealed = crypto.seal(ring.current.sealKey, fillRandom(out.subarray(5, headerBytes)), aadFor(context, out), plaintext, out, headerBytes);
        return isPromise(sealed) ? sealed.then(() => toBase64url(out)) : toBase64url(out);
      };
      // Never written compressed past what a reader inflates: such a record goes out as it is (and is then refused
      // as too large for the cookie, not as a value no reader opens).
      if (!compress || serialized.length > maxInflatedBytes) return seal(serialized, formatVersion);
      const smallest = (deflated: Uint8Array): Awaitable<string> =>
        deflated.length < serialized.length ? seal(deflated, deflatedVersion) : seal(serialized, formatVersion);
      const deflated = deflateRaw(serialized);
      return isPromise(deflated) ? deflated.then(smallest) : smallest(deflated);
    },
    decode(value, context) {
      const bytes = fromBase64url(value);
      if (bytes === undefined || bytes.length < headerBytes + tagBytes) throw new CodecError("malformed");
      const version = bytes[0];
      if (version !== formatVersion && version !== deflatedVersion) throw new CodecError("unsupported_version");
      const found = ring.find(readUint32(bytes, 1));
      if (found === undefined) throw new CodecError("unknown_key");
      const finish = (plaintext: Uint8Array | undefined): Decoded => {
        if (plaintext === undefined) throw new CodecError("bad_payload");
        return { record: serializer.deserialize(plaintext), keyIndex: found.index };
      };
      const inflate = (plaintext: Uint8Array | null): Awaitable<Decoded> => {
        if (plaintext === null) throw new CodecError("bad_signature");
        if (version === formatVersion) return finish(plaintext);
        // Authenticated first, inflated after, and never past the cap: only a holder of the key could make a bomb.
        const inflated = inflateRaw(plaintext, maxInflatedBytes);
        return isPromise(inflated) ? inflated.then(finish) : finish(inflated);
      };
      const opened = crypto.open(found.keys.sealKey, bytes.subarray(5, headerBytes), aadFor(context, bytes), bytes.subarray(headerBytes));
      return isPromise(opened) ? opened.then(inflate) : inflate(opened);
    },
  };
}
