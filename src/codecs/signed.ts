// The signed codec: the record readable (base64url JSON, like Flask's session) but unforgeable (HMAC-SHA256).

import { CodecError } from "../core/errors.js";
import type { Codec, CodecContext } from "../core/codec.js";
import type { KeyRing } from "../crypto/keyring.js";
import { macBytes, sign, verify } from "../crypto/sign.js";
import { fromBase64url } from "./bytes.js";
import { jsonSerializer, type PayloadSerializer } from "./json.js";

/** Wire format version of a signed value: the first byte of the signature part. */
const formatVersion = 1;

/** The signature part: `version(1) || keyId(4) || mac(32)`, base64url. */
const signatureBytes = 1 + 4 + macBytes;

/**
 * A codec that signs records: anyone holding the cookie can read it, nobody without a secret can change it.
 * The MAC covers the format version, the key id, the cookie name and the payload.
 *
 * @example
 * const codec = createSignedCodec(createKeyRing([secret]));
 */
export function createSignedCodec(ring: KeyRing, serializer: PayloadSerializer = jsonSerializer): Codec {
  const names = new Map<string, Buffer>();
  const nameBytes = (context: CodecContext): Buffer => {
    let name = names.get(context.cookieName);
    if (name === undefined) {
      name = Buffer.from(`tessera.signed\0${context.cookieName}\0`);
      names.set(context.cookieName, name);
    }
    return name;
  };
  return {
    name: "signed",
    encode(record, context) {
      const payload = Buffer.from(serializer.serialize(record).toString("base64url"));
      const signature = Buffer.allocUnsafe(signatureBytes);
      signature[0] = formatVersion;
      ring.current.id.copy(signature, 1);
      sign(ring.current.signKey, signature.subarray(0, 5), nameBytes(context), payload).copy(signature, 5);
      return `${payload.toString("latin1")}.${signature.toString("base64url")}`;
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
      const found = ring.find(signature.readUInt32BE(1));
      if (found === undefined) throw new CodecError("unknown_key");
      const ok = verify(found.keys.signKey, signature.subarray(5), signature.subarray(0, 5), nameBytes(context), Buffer.from(payloadText, "latin1"));
      if (!ok) throw new CodecError("bad_signature");
      return { record: serializer.deserialize(json), keyIndex: found.index };
    },
  };
}
