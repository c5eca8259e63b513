// Flask's TaggedJSONSerializer.untag, onto JS: the JSON Python read becomes session data, tagged values markers.

import type { JsonValue } from "../../core/data.js";
import { CodecError } from "../../core/errors.js";
import { isoFromHttpDate } from "./http-date.js";
import { floatRepr, type PyDict, type PyValue } from "./python.js";
import { base64RegExp, markerNames } from "./values.js";

/** The tag keys `TaggedJSONSerializer` registers (flask/json/tag.py), each led by a space. */
export const flaskTagKeys: ReadonlySet<string> = new Set([" di", " t", " b", " m", " u", " d"]);

/** Keys that reach `Object.prototype` when assigned: refused (core/data.ts refuses them in session data too). */
const forbiddenKeys = new Set(["__proto__", "constructor", "prototype"]);

/**
 * The session dict a Flask cookie's JSON holds, untagged into session data (see `src/codecs/README.md` for the
 * mapping). The session itself may be a `" di"`-wrapped dict, as Flask writes a session whose only key is a tag.
 * Throws `CodecError("bad_payload")` for JSON Flask's serializer would not have written for a session.
 *
 * @example
 * untagSession(loads('{"point":{" t":[1,2]}}')); // { point: { $tuple: [1, 2] } }
 */
export function untagSession(root: PyValue): Record<string, JsonValue> {
  if (!isDict(root)) throw new CodecError("bad_payload");
  const entry = onlyEntry(root);
  if (entry !== undefined && flaskTagKeys.has(entry[0])) {
    // Any other tag would make the session a tuple, bytes, ...: not a session Flask can open.
    if (entry[0] !== " di") throw new CodecError("bad_payload");
    return untagDict(unwrapTagDict(entry[1]));
  }
  return untagDict(root);
}

/** One value, bottom-up as Flask's `object_hook` sees it. */
function untag(value: PyValue): JsonValue {
  if (value === null || typeof value === "boolean" || typeof value === "string") return value;
  if (Array.isArray(value)) return value.map(untag);
  switch (value.kind) {
    case "int": {
      if (value.text.length <= 15) return Number(value.text);
      const number = Number(value.text);
      return Number.isSafeInteger(number) ? number : { $int: value.text };
    }
    case "float": {
      const x = value.value;
      // A whole JS number is written back as a Python int: a whole float keeps its type in a marker.
      return Number.isFinite(x) && !(Number.isSafeInteger(x) && !Object.is(x, -0)) ? x : { $float: floatRepr(x) };
    }
    case "dict":
      return untagObject(value);
  }
}

function untagObject(dict: PyDict): JsonValue {
  const entry = onlyEntry(dict);
  if (entry === undefined) return untagDict(dict);
  const [key, inner] = entry;
  switch (key) {
    case " t":
      if (!Array.isArray(inner)) break;
      return { $tuple: inner.map(untag) };
    case " b":
      // Python's b64decode would skip junk; only what b64encode writes is read.
      if (typeof inner !== "string" || !base64RegExp.test(inner) || Buffer.from(inner, "base64").toString("base64") !== inner) break;
      return { $bytes: inner };
    case " m":
      if (typeof inner !== "string") break;
      return { $markup: inner };
    case " u":
      if (typeof inner !== "string" || !/^[0-9a-f]{32}$/.test(inner)) break;
      return { $uuid: `${inner.slice(0, 8)}-${inner.slice(8, 12)}-${inner.slice(12, 16)}-${inner.slice(16, 20)}-${inner.slice(20)}` };
    case " d": {
      const iso = typeof inner === "string" ? isoFromHttpDate(inner) : undefined;
      if (iso === undefined) break;
      return { $datetime: iso };
    }
    case " di":
      return untagDict(unwrapTagDict(inner));
    default:
      // A dict that would read as a marker is wrapped, as Flask wraps one that would read as a tag.
      return markerNames.has(key) ? { $dict: untagDict(dict) } : untagDict(dict);
  }
  throw new CodecError("bad_payload");
}

/** `TagDict.to_python`: `{" di": {"<tag>__": v}}` is the dict `{"<tag>": v}`. Only what Flask writes is read. */
function unwrapTagDict(inner: PyValue): PyDict {
  const entry = isDict(inner) ? onlyEntry(inner) : undefined;
  if (entry === undefined || !entry[0].endsWith("__") || !flaskTagKeys.has(entry[0].slice(0, -2))) throw new CodecError("bad_payload");
  return { kind: "dict", entries: new Map([[entry[0].slice(0, -2), entry[1]]]) };
}

function untagDict(dict: PyDict): { [key: string]: JsonValue } {
  const object: { [key: string]: JsonValue } = {};
  for (const [key, value] of dict.entries) {
    if (forbiddenKeys.has(key)) throw new CodecError("bad_payload");
    object[key] = untag(value);
  }
  return object;
}

function isDict(value: PyValue): value is PyDict {
  return value !== null && typeof value === "object" && !Array.isArray(value) && value.kind === "dict";
}

function onlyEntry(dict: PyDict): [string, PyValue] | undefined {
  if (dict.entries.size !== 1) return undefined;
  return dict.entries.entries().next().value;
}
