// The signed codec: the record readable (base64url JSON, like Flask's session) but unforgeable (HMAC-SHA256).

import { allocBytes, fromBase64url, readUint32, toBase64url, utf8Bytes } from "../core/bytes.js";
import { CodecError } from "../core/errors.js";
import type { Codec, CodecContext, Decoded } from "../core/codec.js";
import type { Awaitable } from "../core/store.js";
import { isPromise, macBytes } from "../crypto/backend.js";
import type { KeyRing } from "../crypto/keyring.js";
import { jsonSerializer, type PayloadSerializer } from "./json.js";
import { deflateRaw, inflateRaw, resolveCompression, type CompressionOptions } from "./deflate.js";

/** Wire format version of a signed value, the first byte of the signature part: 1 for the serialized record as it is. */
const formatVersion = 1;
/** Version 2: the payload is the record compressed with raw DEFLATE (`compress`). A reader of version 1 alone refuses it. */
const deflatedVersion = 2;

/** The signature part: `version(1) || keyId(4) || mac(32)`, base64url. */
const signatureBytes = 1 + 4 + macBytes;

/**
 * A codec that signs records: anyone holding the cookie can read it, nobody without a secret can change it.
 * The MAC covers the format version, the key id, the cookie name and the payload. With `compress`, the payload is
 * the record compressed when that makes it smaller (format version 2: then no longer readable at a glance); values
 * of either version verify. Synchronous on node:crypto and node:zlib; on Web Crypto, `encode` and `decode` answer
 * with a Promise.
 *
 * @example
 * const codec = createSignedCodec(createKeyRing([secret]));
 */
export function createSignedCodec(ring: KeyRing, serializer: PayloadSerializer = jsonSerializer, options?: CompressionOptions): Codec {
  const { crypto } = ring;
  const { compress, maxInflatedBytes } = resolveCompression(options);
  const names = new Map<string, Uint8Array>();
  const nameBytes = (context: CodecContext): Uint8Array => {
    let name = names.get(context.cookieName);
    if (name === undefined) {
      name = utf8Bytes(`tessera.signed\0${context.cookieName}\0`);
      if (names.size < 64) names.set(context.cookieName, name);
    }
    return name;
  };
  return {
    name: "signed",
    encode(record, context) {
      const serialized = serializer.serialize(record);
      const sign = (bytes: Uint8Array, version: number): Awaitable<string> => {
        // The MAC covers the payload's base64url text, byte for byte as it goes out (ASCII).
        const payload = toBase64url(bytes);
        const signature = allocBytes(signatureBytes);
        signature[0] = version;
        signature.set(ring.current.id, 1);
        const finish = (mac: Uint8Array): string => {
          signature.set(mac, 5);
          return `${payload}.${toBase64url(signature)}`;
        };
        const mac = crypto.hmac(ring.current.signKey, [signature.subarray(0, 5), nameBytes(context), payload]);
        return isPromise(mac) ? mac.then(finish) : finish(mac);
      };
      // Never written compressed past what a reader inflates (see the sealed codec).
      if (!compress || serialized.length > maxInflatedBytes) return sign(serialized, formatVersion);
      const smallest = (deflated: Uint8Array): Awaitable<string> =>
        deflated.length < serialized.length ? sign(deflated, deflatedVersion) : sign(serialized, formatVersion);
      const deflated = deflateRaw(serialized);
      return isPromise(deflated) ? deflated.then(smallest) : smallest(deflated);
    },
    decode(value, context) {
      const dot = value.lastIndexOf(".");
      if (dot <= 0) throw new CodecError("malformed");
      const payloadText = value.slice(0, dot);
      const signature = fromBase64url(value.slice(dot + 1));
      const payload = fromBase64url(payloadText);
      if (signature === undefined || payload === undefined || signature.length !== signatureBytes) {
        throw new CodecError("malformed");
      }
      const version = signature[0];
      if (version !== formatVersion && version !== deflatedVersion) throw new CodecError("unsupported_version");
      const found = ring.find(readUint32(signature, 1));
      if (found === undefined) throw new CodecError("unknown_key");
      const read = (bytes: Uint8Array | undefined): Decoded => {
        if (bytes === undefined) throw new CodecError("bad_payload");
        return { record: serializer.deserialize(bytes), keyIndex: found.index };
      };
      const finish = (ok: boolean): Awaitable<Decoded> => {
        if (!ok) throw new CodecError("bad_signature");
        if (version === formatVersion) return read(payload);
        // Verified first, inflated after, and never past the cap: only a holder of the key could make a bomb.
        const inflated = inflateRaw(payload, maxInflatedBytes);
        return isPromise(inflated) ? inflated.then(read) : read(inflated);
      };
      const ok = crypto.verifyHmac(found.keys.signKey, signature.subarray(5), [signature.subarray(0, 5), nameBytes(context), payloadText]);
      return isPromise(ok) ? ok.then(finish) : finish(ok);
    },
  };
}
