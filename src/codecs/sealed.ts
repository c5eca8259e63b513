// The sealed codec (default): the whole record encrypted and authenticated with AES-256-GCM.

import { allocBytes, fromBase64url, readUint32, toBase64url, utf8Bytes } from "../core/bytes.js";
import { CodecError } from "../core/errors.js";
import type { Codec, CodecContext, Decoded } from "../core/codec.js";
import { isPromise, ivBytes, tagBytes } from "../crypto/backend.js";
import type { KeyRing } from "../crypto/keyring.js";
import { fillRandom } from "../crypto/tokens.js";
import { jsonSerializer, type PayloadSerializer } from "./json.js";

/** Wire format version of a sealed value: the first byte. */
const formatVersion = 1;

/** `version(1) || keyId(4) || iv(12)`, then `ciphertext || tag(16)`, all base64url. */
const headerBytes = 1 + 4 + ivBytes;

/**
 * A codec that seals records: unreadable and unforgeable without a secret. The cookie name and the format version
 * are bound into the AAD, so a value cannot be replayed under another cookie name. Synchronous on node:crypto; on
 * Web Crypto, `encode` and `decode` answer with a Promise.
 *
 * @example
 * const codec = createSealedCodec(createKeyRing([secret]));
 */
export function createSealedCodec(ring: KeyRing, serializer: PayloadSerializer = jsonSerializer): Codec {
  const { crypto } = ring;
  const aads = new Map<string, Uint8Array>();
  // The AAD is version byte, key id and cookie name, so a value is bound to where it was issued. Built once
  // per key and cookie name.
  const aadFor = (context: CodecContext, header: Uint8Array): Uint8Array => {
    const cacheKey = `${readUint32(header, 1)}\0${context.cookieName}`;
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
      const out = allocBytes(headerBytes + plaintext.length + tagBytes);
      out[0] = formatVersion;
      out.set(ring.current.id, 1);
      const sealed = crypto.seal(ring.current.sealKey, fillRandom(out.subarray(5, headerBytes)), aadFor(context, out), plaintext, out, headerBytes);
      return isPromise(sealed) ? sealed.then(() => toBase64url(out)) : toBase64url(out);
    },
    decode(value, context) {
      const bytes = fromBase64url(value);
      if (bytes === undefined || bytes.length < headerBytes + tagBytes) throw new CodecError("malformed");
      if (bytes[0] !== formatVersion) throw new CodecError("unsupported_version");
      const found = ring.find(readUint32(bytes, 1));
      if (found === undefined) throw new CodecError("unknown_key");
      const finish = (plaintext: Uint8Array | null): Decoded => {
        if (plaintext === null) throw new CodecError("bad_signature");
        return { record: serializer.deserialize(plaintext), keyIndex: found.index };
      };
      const opened = crypto.open(found.keys.sealKey, bytes.subarray(5, headerBytes), aadFor(context, bytes), bytes.subarray(headerBytes));
      return isPromise(opened) ? opened.then(finish) : finish(opened);
    },
  };
}
