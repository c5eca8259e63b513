// The payload serializer: a session record to bytes and back, in the record's JSON form (core/wire).

import { utf8Bytes, utf8Text } from "../core/bytes.js";
import type { SessionRecord } from "../core/record.js";
import { decodeRecord, encodeRecord } from "../core/wire.js";

/** Turns a record into bytes and back; the byte layer (seal, sign) knows nothing of what they mean. */
export interface PayloadSerializer {
  serialize(record: SessionRecord): Uint8Array;
  /** Throws a `CodecError` for bytes that are not a record of this format. */
  deserialize(bytes: Uint8Array): SessionRecord;
}

/**
 * JSON, the serializer cookie mode uses by default.
 *
 * @example
 * const codec = createSealedCodec(ring, jsonSerializer);
 */
export const jsonSerializer: PayloadSerializer = {
  serialize: (record) => utf8Bytes(encodeRecord(record)),
  deserialize: (bytes) => decodeRecord(utf8Text(bytes)),
};
