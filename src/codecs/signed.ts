// The signed codec: the record readable (base64url JSON, like Flask's session) but unforgeable (HMAC-SHA256).

import { allocBytes, fromBase64url, readUint32, toBase64url, utf8Bytes } from "../core/bytes.js";
import { CodecError } from "../core/errors.js";
import type { Codec, CodecContext, Decoded } from "../core/codec.js";
import { isPromise, macBytes } from "../crypto/backend.js";
import type { KeyRing } from "../crypto/keyring.js";
import { jsonSerializer, type PayloadSerializer } from "./json.js";

/** Wire format version of a signed value: the first byte of the signature part. */
const formatVersion = 1;

/** The signature part: `version(1) || keyId(4) || mac(32)`, base64url. */
const signatureBytes = 1 + 4 + macBytes;

/**
 * A codec that signs records: anyone holding the cookie can read it, nobody without a secret can change it.
 * The MAC covers the format version, the key id, the cookie name and the payload. Synchronous on node:crypto; on
 * Web Crypto, `encode` and `decode` answer with a Promise.
 *
 * @example
 * const codec = createSignedCodec(createKeyRing([secret]));
 */
export function createSignedCodec(ring: KeyRing, serializer: PayloadSerializer = jsonSerializer): Codec {
  const { crypto } = ring;
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
      // The MAC covers the payload's base64url text, byte for byte as it goes out (ASCII).
      const payload = toBase64url(serializer.serialize(record));
      const signature = allocBytes(signatureBytes);
      signature[0] = formatVersion;
      signature.set(ring.current.id, 1);
      const finish = (mac: Uint8Array): string => {
        signature.set(mac, 5);
        return `${payload}.${toBase64url(signature)}`;
      };
      const mac = crypto.hmac(ring.current.signKey, [signature.subarray(0, 5), nameBytes(context), payload]);
      return isPromise(mac) ? mac.then(finish) : finish(mac);
    },
    decode(value, context) {
      const dot = value.lastIndexOf(".");
      if (dot <= 0) throw new CodecError("malformed");
      const payloadText = value.slice(0, dot);
      const signature = fromBase64url(value.slice(dot + 1));
      const json = fromBase64url(payloadText);
      if (signature === undefined || json === undefined || signature.length !== signatureBytes) {
        throw new CodecError("malformed");
      }
      if (signature[0] !== formatVersion) throw new CodecError("unsupported_version");
      const found = ring.find(readUint32(signature, 1));
      if (found === undefined) throw new CodecError("unknown_key");
      const finish = (ok: boolean): Decoded => {
        if (!ok) throw new CodecError("bad_signature");
        return { record: serializer.deserialize(json), keyIndex: found.index };
      };
      const ok = crypto.verifyHmac(found.keys.signKey, signature.subarray(5), [signature.subarray(0, 5), nameBytes(context), payloadText]);
      return isPromise(ok) ? ok.then(finish) : finish(ok);
    },
  };
}
