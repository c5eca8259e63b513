// A Flask-Session record as stored in Redis, decoded to JSON data: msgpack (0.8), JSON, and pickle refused unread.

import { TesseraError } from "../core/errors.js";

import type { DecoderOptions } from "@msgpack/msgpack";

type Msgpack = typeof import("@msgpack/msgpack");

/** Why a record was not decoded. */
export type FlaskRecordFailure =
  /** Python pickle (Flask-Session 0.3, or 0.8's fallback): refused without being read, since loading it runs code. */
  | "unsupported_format"
  /** Neither msgpack nor JSON, or values JSON cannot hold (an integer beyond 2^53, an unknown msgpack extension). */
  | "bad_data";

/** A decoded record: the whole session dict (Flask's `_permanent` included), as JSON values. */
export interface DecodedFlaskRecord {
  format: "msgpack" | "json";
  data: Record<string, unknown>;
}

/** Deeper nesting is refused here too (the manager refuses more than 64 levels of session data). */
const maxDepth = 64;

let loading: Promise<Msgpack> | undefined;

/** `@msgpack/msgpack`, loaded on first use, so `tessera/migrate` needs it only for Flask-Session. */
function loadMsgpack(): Promise<Msgpack> {
  loading ??= import("@msgpack/msgpack").catch((error: unknown) => {
    loading = undefined;
    throw new TesseraError("ERR_NOT_SUPPORTED", "flaskSessionMigration reads msgpack records with @msgpack/msgpack: install it (npm install @msgpack/msgpack)", {
      cause: error,
    });
  });
  return loading;
}

/**
 * Whether `bytes` are a Python pickle: protocol 2 to 5 opens with PROTO (0x80) and its number, protocols 0 and 1
 * with MARK `(` or EMPTY_DICT `}`, and every pickle ends with STOP (`.`). No msgpack or JSON document has this shape
 * (a msgpack value starting 0x80 is an empty map, one byte long; JSON cannot end with `.`).
 *
 * @example
 * isPickle(Buffer.from("80049526", "hex")); // false: too short to end in STOP
 */
export function isPickle(bytes: Uint8Array): boolean {
  if (bytes.length < 2 || bytes[bytes.length - 1] !== 0x2e) return false;
  const first = bytes[0]!;
  return (first === 0x80 && bytes[1]! >= 2 && bytes[1]! <= 5) || first === 0x28 || first === 0x7d;
}

/**
 * Decodes a Flask-Session record the way Flask-Session 0.8 reads one: msgpack first, then JSON. Pickles are refused
 * unread. msgpack values become what msgspec's JSON encoder would write: bytes as standard base64, timestamps
 * (extension -1) as ISO 8601 UTC text (`2024-01-02T03:04:05Z`), integer map keys as text.
 *
 * @example
 * const decoded = await decodeFlaskSessionRecord(await redis.get("session:" + sid));
 * if ("data" in decoded) console.log(decoded.data.username);
 */
export async function decodeFlaskSessionRecord(bytes: Uint8Array): Promise<DecodedFlaskRecord | { failure: FlaskRecordFailure }> {
  if (isPickle(bytes)) return { failure: "unsupported_format" };
  const msgpack = await loadMsgpack();
  try {
    const data = toJson(msgpack.decode(bytes, decoderOptions(msgpack)), 0);
    if (isPlainObject(data)) return { format: "msgpack", data };
  } catch {
    // Not msgpack: Flask-Session tries JSON next.
  }
  try {
    const data: unknown = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
    if (isPlainObject(data)) return { format: "json", data };
  } catch {
    // Neither.
  }
  return { failure: "bad_data" };
}

let options: DecoderOptions<undefined> | undefined;

function decoderOptions(msgpack: Msgpack): DecoderOptions<undefined> {
  if (options) return options;
  const extensionCodec = new msgpack.ExtensionCodec<undefined>();
  // msgpack's timestamp extension (-1), which msgspec writes for an aware datetime.
  extensionCodec.register({ type: msgpack.EXT_TIMESTAMP, encode: () => null, decode: (data) => isoTimestamp(msgpack.decodeTimestampToTimeSpec(data)) });
  options = {
    extensionCodec,
    useBigInt64: true,
    // JSON object keys are text; Python's json.dumps writes integer keys as text too.
    mapKeyConverter: (key) => {
      if (typeof key === "string") return key;
      if (typeof key === "number" || typeof key === "bigint") return String(key);
      throw new Error("map key is not a string or an integer");
    },
  };
  return options;
}

/** A timestamp as msgspec's JSON encoder writes a UTC datetime: seconds, then micro- (or nano-) seconds when not zero. */
function isoTimestamp({ sec, nsec }: { sec: number; nsec: number }): string {
  const whole = new Date(sec * 1000).toISOString();
  if (nsec === 0) return whole.replace(".000Z", "Z");
  const fraction = nsec % 1000 === 0 ? String(nsec / 1000).padStart(6, "0") : String(nsec).padStart(9, "0");
  return whole.replace(".000Z", `.${fraction}Z`);
}

/** The decoded msgpack value as JSON values; throws for anything JSON cannot hold. */
function toJson(value: unknown, depth: number): unknown {
  if (depth > maxDepth) throw new Error("nested too deeply");
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new Error("not a finite number");
    return value;
  }
  if (typeof value === "bigint") {
    if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) throw new Error("integer beyond 2^53");
    return Number(value);
  }
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("base64");
  if (Array.isArray(value)) return value.map((item) => toJson(item, depth + 1));
  if (isPlainObject(value)) {
    const copy: Record<string, unknown> = {};
    for (const key of Object.keys(value)) copy[key] = toJson(value[key], depth + 1);
    return copy;
  }
  throw new Error("a value JSON cannot hold");
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
