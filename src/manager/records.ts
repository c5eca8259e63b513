// Store mode's access to records: every store call under a deadline, and the one place records are encoded and decoded.

import { utf8ByteLength } from "../core/bytes.js";
import { CodecError, isStoreUnavailable, TesseraError } from "../core/errors.js";
import { checkTimeouts, expiresAt } from "../core/policy.js";
import type { SessionMeta, SessionRecord } from "../core/record.js";
import type { Store, StoreCallOptions, StoreWriteOptions, StoredSession } from "../core/store.js";
import { decodeRecord, encodeRecord } from "../core/wire.js";
import { guard } from "./guard.js";
import type { ResolvedOptions } from "./options.js";

/** A record read from the store, decoded, with the version it was read at. */
export interface VersionedRecord {
  record: SessionRecord;
  version: number;
}

/** What store mode and user-session administration share. */
export interface Records {
  readonly store: Store;
  /** Runs one store operation under `storeTimeout`; a failure is a typed `StoreUnavailableError` and a `store_error` event. */
  call<T>(operation: string, fn: (store: Store, io: StoreCallOptions) => T | Promise<T>): Promise<T>;
  /** A stored record decoded, or undefined (with a `record_rejected` event) when it does not decode. */
  decode(stored: StoredSession): SessionRecord | undefined;
  /** A record as stored text; `ERR_SESSION_TOO_LARGE` when over `maxRecordBytes`. */
  encode(record: SessionRecord): string;
  /** The record under `id`, or undefined when there is none or it does not decode. */
  read(id: string): Promise<VersionedRecord | undefined>;
  /** The record under `id` when it exists, has not timed out, and is a session (not a renewed token's forwarder). */
  readLive(id: string, now: number): Promise<VersionedRecord | undefined>;
  /** The write options for a record with `meta`: its expiry, its TTL from now and its user, with the call's options. */
  writeOptions(meta: SessionMeta, io: StoreCallOptions): StoreWriteOptions;
}

/**
 * The record layer over `store`. Stores keep text and never interpret it; this is where it becomes a record.
 *
 * @example
 * const records = createRecords(store, resolved);
 * const found = await records.read(await hashToken(token));
 */
export function createRecords(store: Store, resolved: ResolvedOptions): Records {
  const { storeTimeoutMs, emit, policy, clock, maxRecordBytes, telemetry, data: rules } = resolved;

  const guarded = <T>(operation: string, fn: (store: Store, io: StoreCallOptions) => T | Promise<T>): Promise<T> =>
    guard(operation, storeTimeoutMs, (io) => fn(store, io)).catch((error: unknown) => {
      if (isStoreUnavailable(error)) emit({ type: "store_error", operation, code: error.code });
      throw error;
    });
  // Chosen once: without `telemetry` a store call costs exactly what it did before there was any.
  const call: Records["call"] = telemetry === undefined
    ? guarded
    : (operation, fn) => telemetry.storeCall({ store: store.name, operation }, () => guarded(operation, fn));

  const decode = (stored: StoredSession): SessionRecord | undefined => {
    try {
      return decodeRecord(stored.text);
    } catch (error) {
      if (!(error instanceof CodecError)) throw error;
      emit({ type: "record_rejected", reason: error.reason });
      return undefined;
    }
  };

  const read = async (id: string): Promise<VersionedRecord | undefined> => {
    const stored = await call("get", (s, io) => s.get(id, io));
    if (stored === undefined) return undefined;
    const record = decode(stored);
    return record && { record, version: stored.version };
  };

  return {
    store,
    call,
    decode,
    encode(record) {
      const text = encodeRecord(record);
      if (text.length * 3 > maxRecordBytes && utf8ByteLength(text) > maxRecordBytes) {
        throw new TesseraError("ERR_SESSION_TOO_LARGE", `the session record would be ${utf8ByteLength(text)} bytes, over maxRecordBytes (${maxRecordBytes})`);
      }
      return text;
    },
    read,
    async readLive(id, now) {
      const fresh = await read(id);
      if (fresh === undefined || fresh.record.forward !== undefined || checkTimeouts(fresh.record.meta, now, policy) !== "valid") return undefined;
      if (rules === undefined) return fresh;
      // A record another request wrote meanwhile meets `schema`, `dataVersion` and `migrate` like one loaded.
      const verdict = await rules.read(fresh.record);
      if (typeof verdict !== "string") return { record: verdict.record, version: fresh.version };
      emit({ type: "data_rejected", reason: verdict });
      return undefined;
    },
    writeOptions(meta, io) {
      const at = expiresAt(meta, policy);
      const now = clock();
      return withCallOptions(io, { now, expiresAt: at, ttlSeconds: Math.max(1, Math.ceil((at - now) / 1000)), userId: meta.userId });
    },
  };
}

/**
 * `fields` with the call options behind them (as the prototype), so `signal` is read, and its AbortController made,
 * only by a store that wants it.
 *
 * @example
 * store.delete(id, withCallOptions(io, { expectedVersion: 3 }));
 */
export function withCallOptions<T extends object>(io: StoreCallOptions, fields: T): T & StoreCallOptions {
  return Object.assign(Object.create(io) as StoreCallOptions, fields) as T & StoreCallOptions;
}
