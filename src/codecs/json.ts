// The payload serializer: a session record to bytes and back, in the record's JSON form (core/wire).

import type { SessionRecord } from "../core/record.js";
import { decodeRecord, encodeRecord } from "../core/wire.js";

/** Turns a record into bytes and back; the byte layer (seal, sign) knows nothing of what they mean. */
export interface PayloadSerializer {
  serialize(record: SessionRecord): Buffer;
  /** Throws a `CodecError` for bytes that are not a record of this format. */
  deserialize(bytes: Buffer): SessionRecord;
}

/**
 * JSON, the serializer cookie mode uses by default.
 *
 * @example
 * const codec = createSealedCodec(ring, jsonSerializer);
 */
export const jsonSerializer: PayloadSerializer = {
  serialize: (record) => Buffer.from(encodeRecord(record)),
  deserialize: (bytes) => decodeRecord(bytes.toString("utf8")),
};
