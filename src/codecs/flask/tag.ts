// Flask's TaggedJSONSerializer.tag, from JS: session data (markers included) becomes the JSON values Python reads.

import { maxDepth } from "../../core/data.js";
import { TesseraError } from "../../core/errors.js";
import { httpDateFromIso } from "./http-date.js";
import { floatRepr, maxIntDigits, type PyDict, type PyValue } from "./python.js";
import { flaskTagKeys } from "./untag.js";
import { base64RegExp, markerNames, uuidRegExp } from "./values.js";

/** Keys that reach `Object.prototype` when assigned: refused, as core/data.ts refuses them in session data. */
const forbiddenKeys = new Set(["__proto__", "constructor", "prototype"]);

/** Canonical decimal text of an integer a JS number cannot hold: no leading zeros, no plus sign. */
const bigIntegerRegExp = /^-?[1-9]\d*$/;

/**
 * The session dict for Flask's serializer: each value tagged, and the whole session wrapped in `" di"` when its
 * only key is one of Flask's tag keys, as Flask does. Accepts exactly the values `untagSession` gives (see
 * `src/codecs/README.md`); anything else throws `ERR_INVALID_SESSION_DATA` naming the session key, never the value.
 *
 * @example
 * dumps(tagSession({ point: { $tuple: [1, 2] } })); // '{"point":{" t":[1,2]}}'
 */
export function tagSession(session: Record<string, unknown>): PyDict {
  const entries = new Map<string, PyValue>();
  for (const key of Object.keys(session)) {
    // tessera writes `_flashes` itself, from the record's flash messages (session.ts).
    const where = key === "_flashes" ? "a flash message" : `session key ${JSON.stringify(key.slice(0, 40))}`;
    if (forbiddenKeys.has(key)) refuse(where, "a key tessera refuses");
    entries.set(key, tag(session[key], where, 1));
  }
  return wrapTagLike(entries);
}

/**
 * One value. `depth` counts as core/data.ts counts it (a session's values are at depth 1), so what `session.set`
 * accepts nests no deeper here.
 *
 * @example
 * tag({ $int: "18446744073709551616" }, "session key \"n\"", 1); // { kind: "int", text: "18446744073709551616" }
 */
export function tag(value: unknown, where: string, depth: number): PyValue {
  if (value === null || typeof value === "boolean" || typeof value === "string") return value;
  if (typeof value === "number") {
    if (Number.isSafeInteger(value) && !Object.is(value, -0)) return { kind: "int", text: String(value) };
    if (Number.isFinite(value)) return { kind: "float", value };
    return refuse(where, "a number that is not finite (use flaskFloat for NaN and the infinities)");
  }
  if (typeof value !== "object") return refuse(where, "a value that is not JSON");
  if (depth >= maxDepth) refuse(where, `nesting deeper than ${maxDepth - 1} levels`);
  if (Array.isArray(value)) return value.map((item) => tag(item, where, depth + 1));
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) refuse(where, "an object that is not plain JSON (a Date, a class instance...)");
  const keys = Object.keys(value);
  const object = value as Record<string, unknown>;
  if (keys.length === 1 && markerNames.has(keys[0]!)) return tagMarker(keys[0]!, object[keys[0]!], where, depth);
  const entries = new Map<string, PyValue>();
  for (const key of keys) {
    if (forbiddenKeys.has(key)) refuse(where, "a key tessera refuses");
    entries.set(key, tag(object[key], where, depth + 1));
  }
  return wrapTagLike(entries);
}

/** A marker as the Python value it stands for, refused unless it is exactly what `untag` gives for that value. */
function tagMarker(name: string, inner: unknown, where: string, depth: number): PyValue {
  const bad = (rule: string): never => refuse(where, `a ${name} that is not ${rule}`);
  switch (name) {
    case "$tuple":
      if (!Array.isArray(inner)) bad("an array");
      if (depth + 1 >= maxDepth) refuse(where, `nesting deeper than ${maxDepth - 1} levels`);
      return dict(" t", (inner as unknown[]).map((item) => tag(item, where, depth + 2)));
    case "$bytes":
      if (typeof inner !== "string" || !base64RegExp.test(inner) || Buffer.from(inner, "base64").toString("base64") !== inner) {
        bad("standard padded base64 (use flaskBytes)");
      }
      return dict(" b", inner as string);
    case "$markup":
      if (typeof inner !== "string") bad("a string");
      return dict(" m", inner as string);
    case "$uuid":
      if (typeof inner !== "string" || !uuidRegExp.test(inner)) bad("a lowercase UUID with dashes (use flaskUuid)");
      return dict(" u", (inner as string).replaceAll("-", ""));
    case "$datetime": {
      const httpDate = typeof inner === "string" ? httpDateFromIso(inner) : undefined;
      if (httpDate === undefined) bad("YYYY-MM-DDTHH:MM:SSZ in years 100 to 9999 (use flaskDatetime)");
      return dict(" d", httpDate!);
    }
    case "$int": {
      const text = typeof inner === "string" ? inner : "";
      // A safe integer is a plain number; more digits than Python's json reads would fail every Flask request.
      if (!bigIntegerRegExp.test(text) || Number.isSafeInteger(Number(text)) || text.replace("-", "").length > maxIntDigits) {
        bad(`the digits of an integer beyond ±(2^53 - 1), at most ${maxIntDigits} of them (use flaskInt)`);
      }
      return { kind: "int", text };
    }
    case "$float": {
      const x = typeof inner === "string" ? Number(inner) : Number.NaN;
      const special = inner === "NaN" || inner === "Infinity" || inner === "-Infinity";
      if (!special && !(floatRepr(x) === inner && Number.isSafeInteger(x) && !Object.is(x, -0))) {
        bad("Python's repr of a whole float, NaN or ±Infinity (use flaskFloat)");
      }
      return { kind: "float", value: special ? Number(inner) : x };
    }
    case "$dict": {
      const keys = inner !== null && typeof inner === "object" && !Array.isArray(inner) ? Object.keys(inner) : [];
      if (keys.length !== 1 || !markerNames.has(keys[0]!) || Object.getPrototypeOf(inner) !== Object.prototype) {
        bad("an object whose only key is a marker name");
      }
      if (depth + 1 >= maxDepth) refuse(where, `nesting deeper than ${maxDepth - 1} levels`);
      return { kind: "dict", entries: new Map([[keys[0]!, tag((inner as Record<string, unknown>)[keys[0]!], where, depth + 2)]]) };
    }
    default:
      // $flashes: several flash messages, meaningful only as a flash value.
      return refuse(where, `a ${name} outside a flash value`);
  }
}

/** `TagDict`: a dict whose only key is a Flask tag is written `{" di": {"<tag>__": v}}`, so it is read as a dict. */
function wrapTagLike(entries: Map<string, PyValue>): PyDict {
  if (entries.size === 1) {
    const [key, value] = entries.entries().next().value!;
    if (flaskTagKeys.has(key)) return dict(" di", dict(`${key}__`, value));
  }
  return { kind: "dict", entries };
}

function dict(key: string, value: PyValue): PyDict {
  return { kind: "dict", entries: new Map([[key, value]]) };
}

function refuse(where: string, what: string): never {
  throw new TesseraError("ERR_INVALID_SESSION_DATA", `${where} holds ${what}, which the Flask codec cannot write`);
}
