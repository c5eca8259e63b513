// Python values that plain JSON cannot say (tuple, bytes, Markup, UUID, datetime, big int, NaN), as session data.

import type { JsonValue } from "../../core/data.js";
import { TesseraError } from "../../core/errors.js";
import { floatRepr, maxIntDigits } from "./python.js";

/** A Python `tuple`, such as the `(category, message)` pairs of Flask's flash list. */
export type FlaskTuple = { $tuple: JsonValue[] };
/** Python `bytes`, as standard padded base64 (what Flask's `" b"` tag holds). */
export type FlaskBytes = { $bytes: string };
/** A `markupsafe.Markup` string: HTML that Jinja will not escape again. */
export type FlaskMarkup = { $markup: string };
/** A `uuid.UUID`, as 36 lowercase characters with dashes. */
export type FlaskUuid = { $uuid: string };
/** A `datetime.datetime` in UTC, whole seconds, as `YYYY-MM-DDTHH:MM:SSZ` (what Flask keeps of one). */
export type FlaskDatetime = { $datetime: string };
/** A Python `int` a JS number cannot hold exactly (beyond ±(2^53 - 1)), as decimal text. */
export type FlaskInt = { $int: string };
/** A Python `float` a JS number would not bring back as a float: a whole value such as `1.0`, or NaN, ±Infinity. */
export type FlaskFloat = { $float: string };
/** A dict whose only key is one of these marker names, kept as a dict. */
export type FlaskDict = { $dict: { [key: string]: JsonValue } };
/** Several flash messages of one category, as a flash value (Flask flashed the category more than once). */
export type FlaskFlashes = { $flashes: JsonValue[] };

/** The names above: an object whose only key is one of them is that Python value, never a dict. */
export const markerNames: ReadonlySet<string> = new Set(["$tuple", "$bytes", "$markup", "$uuid", "$datetime", "$int", "$float", "$dict", "$flashes"]);

/** RFC 4648 §4 base64 with padding, as Python's `b64encode` writes it. */
export const base64RegExp = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** RFC 9562 §4 UUID text, lowercase. */
export const uuidRegExp = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** `YYYY-MM-DDTHH:MM:SSZ`: ISO 8601 in UTC to the second. */
export const isoSecondRegExp = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z$/;

/** Canonical decimal integer text: no leading zeros, no plus sign, no `-0`. */
const integerRegExp = /^(?:0|-?[1-9]\d*)$/;

/**
 * Years Flask reads back as written: Werkzeug's `parse_date` turns a year below 100 into 19xx or 20xx, and Python's
 * datetime stops at 9999.
 */
export const datetimeYears = { min: 100, max: 9999 } as const;

/**
 * A Python tuple, for `session.set`: Flask's app sees `tuple(items)`.
 *
 * @example
 * session.set("point", flaskTuple([1, 2])); // Python: (1, 2)
 */
export function flaskTuple(items: readonly JsonValue[]): FlaskTuple {
  if (!Array.isArray(items)) invalid("flaskTuple", "takes an array");
  return { $tuple: [...items] };
}

/**
 * Python bytes.
 *
 * @example
 * session.set("nonce", flaskBytes(randomBytes(16))); // Python: b'...'
 */
export function flaskBytes(bytes: Uint8Array): FlaskBytes {
  if (!(bytes instanceof Uint8Array)) invalid("flaskBytes", "takes a Uint8Array");
  return { $bytes: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64") };
}

/**
 * A `markupsafe.Markup` string: Jinja renders it without escaping, so pass only HTML you trust.
 *
 * @example
 * session.set("banner", flaskMarkup("<b>Welcome</b>"));
 */
export function flaskMarkup(html: string): FlaskMarkup {
  if (typeof html !== "string") invalid("flaskMarkup", "takes a string");
  return { $markup: html };
}

/**
 * A `uuid.UUID`, from any of the spellings Python's `UUID()` reads (with or without dashes or braces, any case, a
 * `urn:uuid:` prefix).
 *
 * @example
 * session.set("order", flaskUuid(crypto.randomUUID()));
 */
export function flaskUuid(text: string): FlaskUuid {
  const hex = typeof text === "string" ? text.trim().replace(/^urn:uuid:/i, "").replace(/^\{|\}$/g, "").replaceAll("-", "").toLowerCase() : "";
  if (!/^[0-9a-f]{32}$/.test(hex)) invalid("flaskUuid", "takes a UUID such as 12345678-1234-5678-1234-567812345678");
  return { $uuid: `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}` };
}

/**
 * A `datetime.datetime` in UTC. Milliseconds are dropped, as Flask drops microseconds; years 100 to 9999.
 *
 * @example
 * session.set("since", flaskDatetime(new Date())); // Python: datetime(..., tzinfo=timezone.utc)
 */
export function flaskDatetime(date: Date | number): FlaskDatetime {
  const time = date instanceof Date ? date.getTime() : date;
  if (typeof time !== "number" || !Number.isFinite(time)) invalid("flaskDatetime", "takes a valid Date or epoch milliseconds");
  const at = new Date(Math.floor(time / 1000) * 1000);
  const year = at.getUTCFullYear();
  if (year < datetimeYears.min || year > datetimeYears.max) invalid("flaskDatetime", `takes years ${datetimeYears.min} to ${datetimeYears.max}`);
  return { $datetime: `${at.toISOString().slice(0, 19)}Z` };
}

/**
 * A Python int of any size: a JS number when it is a safe integer, else `{ $int: "<digits>" }`.
 *
 * @example
 * session.set("snowflake", flaskInt(1234567890123456789n));
 */
export function flaskInt(value: bigint | number | string): number | FlaskInt {
  let big: bigint;
  try {
    if (typeof value === "number" && !Number.isSafeInteger(value)) throw new RangeError();
    big = BigInt(typeof value === "string" && !integerRegExp.test(value) ? Number.NaN : value);
  } catch {
    return invalid("flaskInt", "takes a bigint, a safe integer or canonical decimal text");
  }
  const text = big.toString();
  if (text.replace("-", "").length > maxIntDigits) invalid("flaskInt", `takes at most ${maxIntDigits} digits, as Python's json does`);
  const small = Number(big);
  return Number.isSafeInteger(small) ? small : { $int: text };
}

/**
 * A Python float: a JS number when Python would read that number back as a float (a fraction, -0, or beyond
 * 2^53), else `{ $float: "<repr>" }` (whole values such as `1.0`, NaN, ±Infinity). Plain whole JS numbers are
 * Python ints.
 *
 * @example
 * session.set("total", flaskFloat(20)); // Python: 20.0, not 20
 */
export function flaskFloat(value: number): number | FlaskFloat {
  if (typeof value !== "number") invalid("flaskFloat", "takes a number");
  return Number.isFinite(value) && !(Number.isSafeInteger(value) && !Object.is(value, -0)) ? value : { $float: floatRepr(value) };
}

/**
 * Several messages under one flash category, as one flash value: Flask's `get_flashed_messages` lists each.
 * One message is that message itself.
 *
 * @example
 * session.flash("error", flaskFlashes(["Name is required", "Email is invalid"]));
 */
export function flaskFlashes(messages: readonly JsonValue[]): JsonValue {
  if (!Array.isArray(messages) || messages.length === 0) invalid("flaskFlashes", "takes one message or more");
  return messages.length === 1 ? messages[0]! : { $flashes: [...messages] };
}

/**
 * The messages a flash value holds: several for a `flaskFlashes` value (or a category Flask flashed more than
 * once), else the one.
 *
 * @example
 * for (const message of flashMessages(session.readFlash("error"))) show(message);
 */
export function flashMessages(value: unknown): unknown[] {
  if (value === undefined) return [];
  const several = markerValue(value, "$flashes");
  return Array.isArray(several) ? [...several] : [value];
}

/**
 * A marker turned into the JS value it stands for: `$tuple` an array, `$bytes` a Uint8Array, `$markup` and `$uuid`
 * a string, `$datetime` a Date, `$int` a bigint, `$float` a number, `$dict` the object. Anything else is returned
 * as it is (one level: markers inside are left alone).
 *
 * @example
 * const since = fromFlask(session.get("since")) as Date;
 */
export function fromFlask(value: unknown): unknown {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return value;
  const keys = Object.keys(value);
  if (keys.length !== 1 || !markerNames.has(keys[0]!)) return value;
  const inner = (value as Record<string, unknown>)[keys[0]!];
  switch (keys[0]) {
    case "$tuple":
    case "$flashes":
      return Array.isArray(inner) ? [...(inner as unknown[])] : value;
    case "$bytes":
      return typeof inner === "string" ? new Uint8Array(Buffer.from(inner, "base64")) : value;
    case "$datetime":
      return typeof inner === "string" ? new Date(inner) : value;
    case "$int":
      return typeof inner === "string" && integerRegExp.test(inner) ? BigInt(inner) : value;
    case "$float":
      return typeof inner === "string" ? Number(inner) : value;
    default:
      return inner;
  }
}

/** The value under `name` when `value` is exactly that marker, else undefined. */
function markerValue(value: unknown, name: string): unknown {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return undefined;
  const keys = Object.keys(value);
  return keys.length === 1 && keys[0] === name ? (value as Record<string, unknown>)[name] : undefined;
}

function invalid(helper: string, rule: string): never {
  throw new TesseraError("ERR_INVALID_SESSION_DATA", `\`${helper}\` ${rule}`);
}
