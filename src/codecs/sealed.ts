// The sealed codec (default): the whole record encrypted and authenticated with AES-256-GCM.

import { CodecError } from "../core/errors.js";
import type { Codec, CodecContext } from "../core/codec.js";
import type { KeyRing } from "../crypto/keyring.js";
import { ivBytes, open, seal, tagBytes } from "../crypto/seal.js";
import { randomBytes } from "../crypto/tokens.js";
import { fromBase64url } from "./bytes.js";
import { jsonSerializer, type PayloadSerializer } from "./json.js";

/** Wire format version of a sealed value: the first byte. */
const formatVersion = 1;

/** `version(1) || keyId(4) || iv(12)`, then `ciphertext || tag(16)`, all base64url. */
const headerBytes = 1 + 4 + ivBytes;

/**
 * A codec that seals records: unreadable and unforgeable without a secret. The cookie name and the format version
 * are bound into the AAD, so a value cannot be replayed under another cookie name.
 *
 * @example
 * const codec = createSealedCodec(createKeyRing([secret]));
 */
export function createSealedCodec(ring: KeyRing, serializer: PayloadSerializer = jsonSerializer): Codec {
  const aads = new Map<string, Buffer>();
  // The AAD is version byte, key id and cookie name, so a value is bound to where it was issued. Built once
  // per key and cookie name.
  const aadFor = (context: CodecContext, header: Buffer): Buffer => {
    const cacheKey = `${header.readUInt32BE(1)}\0${context.cookieName}`;
    let aad = aads.get(cacheKey);
    if (aad === undefined) {
      aad = Buffer.concat([header.subarray(0, 5), Buffer.from(`tessera.sealed\0${context.cookieName}`)]);
      if (aads.size < 64) aads.set(cacheKey, aad);
    }
    return aad;
  };
  return {
    name: "sealed",
    encode(record, context) {
      const plaintext = serializer.serialize(record);
      const out = Buffer.allocUnsafe(headerBytes + plaintext.length + tagBytes);
      out[0] = formatVersion;
      ring.current.id.copy(out, 1);
      randomBytes(ivBytes).copy(out, 5);
      seal(ring.current.sealKey, out.subarray(5, headerBytes), aadFor(context, out), plaintext, out, headerBytes);
      return out.toString("base64url");
    },
    decode(value, context) {
      const bytes = fromBase64url(value);
      if (bytes === undefined || bytes.length < headerBytes + tagBytes) throw new CodecError("malformed");
      if (bytes[0] !== formatVersion) throw new CodecError("unsupported_version");
      const found = ring.find(bytes.readUInt32BE(1));
      if (found === undefined) throw new CodecError("unknown_key");
      const plaintext = open(found.keys.sealKey, bytes.subarray(5, headerBytes), aadFor(context, bytes), bytes.subarray(headerBytes));
      if (plaintext === null) throw new CodecError("bad_signature");
      return { record: serializer.deserialize(plaintext), keyIndex: found.index };
    },
  };
}
