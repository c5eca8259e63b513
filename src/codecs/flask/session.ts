// A tessera session record and a Flask session dict: flash messages, the signed-in user and metadata mapped across.

import { toJsonObject, type JsonValue } from "../../core/data.js";
import { CodecError, TesseraError } from "../../core/errors.js";
import type { SessionMeta, SessionRecord } from "../../core/record.js";

/**
 * The Flask session keys tessera reads and writes itself:
 * - `_flashes`: Flask's flash list, `[(category, message), ...]`, which is tessera's `record.flash`;
 * - `_user_id`: Flask-Login's user id (a string), which is `meta.userId` (`session.signIn`);
 * - `_tessera`: `{"created": <epoch seconds>}`, the creation time the absolute timeout counts from. Flask keeps
 *   unknown keys when it rewrites a session, so it survives a Flask request; `session.clear()` there drops it
 *   with everything else.
 */
export const flaskKeys = Object.freeze({ flashes: "_flashes", userId: "_user_id", tessera: "_tessera" } as const);

/** `session.signIn` takes user ids of 1 to 256 characters; a Flask `_user_id` of that shape is one. */
const maxUserIdLength = 256;

/**
 * The record a Flask session (already untagged) stands for, signed at `timestamp` (epoch seconds). Throws
 * `CodecError("bad_payload")` when `_flashes` or `_tessera` is not what Flask's `flash()` or tessera writes, or the
 * data is not data tessera can hold.
 *
 * @example
 * toRecord({ _user_id: "42", _flashes: [{ $tuple: ["message", "Hi"] }] }, 1700000000);
 * // { data: {}, flash: { message: "Hi" }, meta: { createdAt: 1700000000000, lastSeenAt: 1700000000000, userId: "42" } }
 */
export function toRecord(session: Record<string, JsonValue>, timestamp: number): SessionRecord {
  const { [flaskKeys.flashes]: flashes, [flaskKeys.tessera]: tessera, ...rest } = session;
  const meta: SessionMeta = { createdAt: timestamp * 1000, lastSeenAt: timestamp * 1000 };
  if (tessera !== undefined) meta.createdAt = createdFrom(tessera);
  const userId = rest[flaskKeys.userId];
  if (typeof userId === "string" && userId.length > 0 && userId.length <= maxUserIdLength) {
    meta.userId = userId;
    delete rest[flaskKeys.userId];
  }
  const data = toJsonObject(rest);
  const flash = toJsonObject(flashes === undefined ? {} : flashFrom(flashes));
  if (data === undefined || flash === undefined) throw new CodecError("bad_payload");
  return { data, flash, meta };
}

/**
 * The Flask session dict for a record signed at `timestamp` (epoch seconds), ready for `tagSession`. `_user_id`
 * comes from `meta.userId`; a `_user_id` in the data (one Flask wrote that is not a user id string) goes back as
 * it is when no user is signed in. `_tessera` is written when the session was created before the timestamp.
 * `meta.userAgent` is not kept: a Flask cookie has no room to spare, and only a store lists sessions.
 * Throws `ERR_INVALID_SESSION_DATA` for data under `_flashes` or `_tessera`, or a user id string under
 * `_user_id` (sign in with `session.signIn`).
 *
 * @example
 * fromRecord({ data: {}, flash: { notice: "Saved" }, meta: { createdAt: 0, lastSeenAt: 0 } }, 1700000000);
 * // { _flashes: [{ $tuple: ["notice", "Saved"] }], _tessera: { created: 0 } }
 */
export function fromRecord(record: SessionRecord, timestamp: number): Record<string, unknown> {
  const { data, flash, meta } = record;
  if (data === null || typeof data !== "object" || flash === null || typeof flash !== "object") {
    throw new TesseraError("ERR_INVALID_SESSION_DATA", "a session record needs `data` and `flash` objects");
  }
  for (const key of [flaskKeys.flashes, flaskKeys.tessera]) {
    if (Object.hasOwn(data, key)) refuse(key, "is Flask's flash list or tessera's metadata: use session.flash, or leave it to tessera");
  }
  const dataUserId = data[flaskKeys.userId];
  if (typeof dataUserId === "string" && dataUserId.length > 0 && dataUserId.length <= maxUserIdLength) {
    refuse(flaskKeys.userId, "is the signed-in user: use session.signIn");
  }
  const session: Record<string, unknown> = { ...data };
  const flashes: unknown[] = [];
  for (const category of Object.keys(flash)) {
    for (const message of messagesOf(flash[category]!)) flashes.push({ $tuple: [category, message] });
  }
  if (flashes.length > 0) session[flaskKeys.flashes] = flashes;
  if (meta.userId !== undefined) session[flaskKeys.userId] = meta.userId;
  const created = Math.floor(meta.createdAt / 1000);
  if (!Number.isSafeInteger(created)) throw new TesseraError("ERR_INVALID_SESSION_DATA", "`meta.createdAt` must be epoch milliseconds");
  if (created < timestamp) session[flaskKeys.tessera] = { created: Math.max(0, created) };
  return session;
}

/**
 * Flask's `_flashes` as tessera's flash: messages grouped by category, in the order each category was first
 * flashed. A category flashed once holds its message; one flashed several times holds `{ $flashes: [...] }`.
 * Entries are `(category, message)` tuples (Flask's own) or two-item lists, with a category tessera takes as a key.
 */
function flashFrom(flashes: JsonValue): Record<string, JsonValue> {
  if (!Array.isArray(flashes)) throw new CodecError("bad_payload");
  const grouped = new Map<string, JsonValue[]>();
  for (const entry of flashes) {
    const pair = entry !== null && typeof entry === "object" && !Array.isArray(entry) && Array.isArray(entry.$tuple) ? entry.$tuple : entry;
    if (!Array.isArray(pair) || pair.length !== 2) throw new CodecError("bad_payload");
    const [category, message] = pair as [JsonValue, JsonValue];
    if (typeof category !== "string" || category.length === 0) throw new CodecError("bad_payload");
    const messages = grouped.get(category);
    if (messages) messages.push(message);
    else grouped.set(category, [message]);
  }
  const flash: Record<string, JsonValue> = {};
  for (const [category, messages] of grouped) {
    if (category === "__proto__" || category === "constructor" || category === "prototype") throw new CodecError("bad_payload");
    flash[category] = messages.length === 1 ? messages[0]! : { $flashes: messages };
  }
  return flash;
}

/** The messages one flash value stands for: the items of a `{ $flashes: [...] }` (two or more), else the value. */
function messagesOf(value: JsonValue): JsonValue[] {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    const keys = Object.keys(value);
    if (keys.length === 1 && keys[0] === "$flashes") {
      const messages = value.$flashes;
      if (!Array.isArray(messages) || messages.length < 2) refuse("$flashes", "must hold two messages or more (use flaskFlashes)");
      return messages as JsonValue[];
    }
  }
  return [value];
}

/** `_tessera.created` in epoch milliseconds. */
function createdFrom(tessera: JsonValue): number {
  const keys = tessera !== null && typeof tessera === "object" && !Array.isArray(tessera) ? Object.keys(tessera) : [];
  const created = keys.length === 1 ? (tessera as Record<string, JsonValue>).created : undefined;
  if (typeof created !== "number" || !Number.isSafeInteger(created) || !Number.isSafeInteger(created * 1000) || created < 0) throw new CodecError("bad_payload");
  return created * 1000;
}

function refuse(key: string, rule: string): never {
  throw new TesseraError("ERR_INVALID_SESSION_DATA", `session key ${JSON.stringify(key)} ${rule}`);
}
