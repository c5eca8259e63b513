// Validated data and migrations: the `schema`, `dataVersion` and `migrate` options, applied when a record is read
// and when data is written.

import { toFrozenJson, type JsonValue } from "../core/data.js";
import { TesseraError } from "../core/errors.js";
import type { SessionRecord } from "../core/record.js";
import { replayChanges, type Change, type SessionState } from "../core/session.js";
import type { StandardSchemaIssue, StandardSchemaResult, StandardSchemaV1 } from "../core/standard-schema.js";

/**
 * Why a stored session's data was refused (the `data_rejected` event): `invalid` the schema refused it;
 * `migrate_failed` `migrate` threw or returned something that is not an object; `not_json` what `migrate` or the
 * schema returned is not plain JSON (a Date, a class instance, a cycle); `newer_version` the record was written under
 * a higher `dataVersion` than this app's (a newer deploy wrote it during a rolling deploy).
 */
export type DataRejection = "invalid" | "migrate_failed" | "not_json" | "newer_version";

/**
 * `migrate(data, fromVersion)`: turns data written under an older `dataVersion` into data of the current one. `data`
 * is a copy whose values are frozen: return new data rather than change it. May be async; what it throws or rejects
 * with makes the session `data_rejected` (reason `migrate_failed`), never a failed request.
 *
 * @example
 * const migrate: DataMigration = (data, from) => (from < 2 ? { ...data, cart: data.items ?? [] } : data);
 */
export type DataMigration = (data: Record<string, JsonValue>, fromVersion: number) => Record<string, unknown> | Promise<Record<string, unknown>>;

/** A record accepted on read: its data as the schema gave it, stamped with the current `dataVersion`. */
export interface AcceptedRecord {
  record: SessionRecord;
  /** It came from an older `dataVersion`: the commit writes it back under the current one. */
  migrated: boolean;
}

/** @internal The three options, resolved: what the manager runs on read and on write. */
export interface DataRules {
  /** The current `dataVersion`. */
  readonly version: number;
  /** A stored record's data migrated (when older) and validated, or why it is refused. */
  read(record: SessionRecord): AcceptedRecord | DataRejection | Promise<AcceptedRecord | DataRejection>;
  /** Data about to be written, validated: the schema's output, or `ERR_INVALID_SESSION_DATA` naming the paths. */
  write(data: Record<string, JsonValue>): Record<string, JsonValue> | Promise<Record<string, JsonValue>>;
}

/** Paths named in an `ERR_INVALID_SESSION_DATA` message at most, and characters of each segment. */
const maxPathsShown = 5;
const maxSegmentLength = 40;

/**
 * @internal
 * Checks the `schema`, `dataVersion` and `migrate` options, naming the one at fault, and returns the rules, or
 * undefined when none is set (the manager then adds no work at all).
 *
 * @example
 * const rules = createDataRules({ schema: z.object({ cart: z.array(z.string()) }), dataVersion: 2, migrate });
 */
export function createDataRules(options: { schema?: unknown; dataVersion?: unknown; migrate?: unknown }): DataRules | undefined {
  const { schema, dataVersion, migrate } = options;
  if (schema === undefined && dataVersion === undefined && migrate === undefined) return undefined;
  if (schema !== undefined && !isStandardSchema(schema)) {
    throw new TesseraError("ERR_INVALID_OPTION", "`schema` must be a Standard Schema (zod, valibot, arktype, ...): an object whose `~standard.validate` is a function");
  }
  if (Array.isArray(migrate)) {
    throw new TesseraError("ERR_INVALID_OPTION", "`migrate` is now the function `migrate(data, fromVersion)`; migrations from another library (expressSessionMigration, flaskSessionMigration) moved to `migrateFrom`");
  }
  if (migrate !== undefined && typeof migrate !== "function") {
    throw new TesseraError("ERR_INVALID_OPTION", "`migrate` must be a function `(data, fromVersion) => data`");
  }
  const version = dataVersion ?? 1;
  if (typeof version !== "number" || !Number.isSafeInteger(version) || version < 1) {
    throw new TesseraError("ERR_INVALID_OPTION", "`dataVersion` must be a whole number, 1 or more");
  }
  const validate = schema?.["~standard"].validate;
  const migration = migrate as DataMigration | undefined;

  // Cookie mode hands back the same frozen record for every request sending the same cookie value (its decode
  // cache): that record's verdict is kept beside it, so a value validated once is not validated again while cached.
  const verdicts = new WeakMap<SessionRecord, AcceptedRecord | DataRejection>();

  const accept = (record: SessionRecord, data: Record<string, JsonValue>, migrated: boolean): AcceptedRecord => {
    const meta = { ...record.meta };
    if (version === 1) delete meta.dataVersion;
    else meta.dataVersion = version;
    return { record: { data, flash: record.flash, meta }, migrated };
  };

  const readAsync = async (record: SessionRecord): Promise<AcceptedRecord | DataRejection> => {
    const from = record.meta.dataVersion ?? 1;
    if (from > version) return "newer_version";
    let data: unknown = record.data;
    const migrated = from < version;
    if (migrated && migration !== undefined) {
      try {
        data = await migration({ ...record.data }, from);
      } catch {
        return "migrate_failed";
      }
      if (data === null || typeof data !== "object" || Array.isArray(data)) return "migrate_failed";
    }
    if (validate !== undefined) {
      let result: StandardSchemaResult<unknown>;
      try {
        result = await validate(data);
      } catch {
        return "invalid";
      }
      if (result.issues !== undefined) return "invalid";
      data = result.value;
    }
    if (data === record.data) return accept(record, record.data, migrated);
    // What migrate or the schema returned is new: it must be plain JSON, and is copied deep-frozen like all session data.
    const copy = asDataObject(data);
    return copy === undefined ? "not_json" : accept(record, copy, migrated);
  };

  return {
    version,
    read(record) {
      const known = verdicts.get(record);
      if (known !== undefined) return known;
      const verdict = readAsync(record);
      // Only a record shared by the decode cache (frozen) is worth remembering; a store's records are read afresh.
      if (!Object.isFrozen(record)) return verdict;
      return verdict.then((found) => {
        // A migrate that failed may have failed for a passing reason (it may read a database): asked again next time.
        if (found === "migrate_failed") return found;
        // Shared by every request that sends the same cookie value, like the record itself: frozen.
        if (typeof found !== "string") Object.freeze(Object.freeze(found.record).meta);
        verdicts.set(record, found);
        return found;
      });
    },
    async write(data) {
      if (validate === undefined) return data;
      let result: StandardSchemaResult<unknown>;
      try {
        result = await validate(data);
      } catch {
        // Not passed on as the cause: a validator's own error may quote the data.
        throw new TesseraError("ERR_INVALID_SESSION_DATA", "session data could not be validated: `schema` threw");
      }
      if (result.issues !== undefined) {
        throw new TesseraError("ERR_INVALID_SESSION_DATA", `session data does not match \`schema\` at ${describePaths(result.issues)}`);
      }
      if (result.value === data) return data;
      const copy = asDataObject(result.value);
      if (copy === undefined) throw new TesseraError("ERR_INVALID_SESSION_DATA", "`schema` returned session data that is not plain JSON");
      return copy;
    },
  };
}

/** Whether `value` implements Standard Schema v1 (as far as tessera uses it). */
function isStandardSchema(value: unknown): value is StandardSchemaV1 {
  if (value === null || (typeof value !== "object" && typeof value !== "function")) return false;
  const props = (value as Partial<StandardSchemaV1>)["~standard"];
  return props !== null && typeof props === "object" && typeof props.validate === "function";
}

/** A deep-frozen plain JSON copy of a data object, or undefined when it is not one. */
function asDataObject(value: unknown): Record<string, JsonValue> | undefined {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return undefined;
  return toFrozenJson(value) as Record<string, JsonValue> | undefined;
}

/**
 * The failing paths, for the developer reading the error: `cart.0, username`. Only paths, never an issue's message,
 * which validators write with the value in it; segments are cut short, since a record's keys may come from users.
 */
function describePaths(issues: ReadonlyArray<StandardSchemaIssue>): string {
  const paths = new Set<string>();
  for (const issue of issues) {
    const segments = (issue.path ?? []).map((segment) => {
      const key = typeof segment === "object" && segment !== null ? segment.key : segment;
      return String(key).slice(0, maxSegmentLength);
    });
    paths.add(segments.length === 0 ? "(the data object)" : segments.join("."));
  }
  const shown = [...paths].slice(0, maxPathsShown).join(", ");
  return paths.size > maxPathsShown ? `${shown} and ${paths.size - maxPathsShown} more` : shown;
}

/**
 * @internal
 * Whether a request's changes touch the data (and so must pass the schema at commit); flash messages and the cookie's
 * lifetime are not data.
 *
 * @example
 * if (writesData(state.changes)) state.data = await rules.write(state.data);
 */
export function writesData(changes: readonly Change[]): boolean {
  return changes.some((change) => dataChanges.has(change.kind));
}

const dataChanges: ReadonlySet<Change["kind"]> = new Set(["set", "delete", "clear", "update", "migrated"]);

/**
 * @internal
 * Before a commit: the request's data through the schema (its output is what is written), and the record stamped with
 * the current `dataVersion` (a new session, or one started after `destroy`, carries none yet). Throws
 * `ERR_INVALID_SESSION_DATA`, naming the failing paths, when the schema refuses the data.
 *
 * @example
 * await validateForWrite(rules, session[sessionState]);
 */
export function validateForWrite(rules: DataRules, state: SessionState): Promise<void> | undefined {
  if (rules.version !== 1 && state.base.meta.dataVersion !== rules.version) {
    state.base = { ...state.base, meta: { ...state.base.meta, dataVersion: rules.version } };
  }
  // A commit that changed no data (a read, a flash message, a sliding renewal) takes no extra turn of the event loop.
  if (!writesData(state.changes)) return undefined;
  return Promise.resolve(rules.write(state.data)).then((data) => {
    state.data = data;
  });
}

/**
 * @internal
 * A request's changes replayed onto a fresher record (after a compare-and-set conflict), and the merged data through
 * the schema when the changes touch the data: what two requests wrote together must pass it too.
 *
 * @example
 * record = await replayChecked(rules, fresh.record, state.changes);
 */
export async function replayChecked(rules: DataRules | undefined, record: SessionRecord, changes: readonly Change[]): Promise<SessionRecord> {
  const merged = replayChanges(record, changes);
  return rules !== undefined && writesData(changes) ? { ...merged, data: await rules.write(merged.data) } : merged;
}
