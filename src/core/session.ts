// The Session model: data, flash messages and metadata, with a log of what this request changed.

import { utf8ByteLength } from "./bytes.js";
import { checkEntry, type DeclaredSessionData, type DeepReadonly, type JsonValue, type SessionData } from "./data.js";
import { TesseraError } from "./errors.js";
import type { SessionMeta, SessionRecord } from "./record.js";

/** @internal One change a request made; replayed in order onto a fresher record after a compare-and-set conflict. */
export type Change =
  | { kind: "set"; key: string; value: JsonValue }
  | { kind: "delete"; key: string }
  | { kind: "clear" }
  | { kind: "update"; key: string; fn: (current: unknown) => unknown }
  | { kind: "flash"; key: string; value: JsonValue }
  | { kind: "readFlash"; key: string }
  | { kind: "persistent"; value: boolean }
  /** The loaded data came from an older `dataVersion`: it is written back under the current one at commit. */
  | { kind: "migrated" };

/** @internal The state of a request's session, read by the manager through the `sessionState` symbol. */
export interface SessionState {
  /** The record as loaded (or created empty for a new visitor). */
  base: SessionRecord;
  /** Data as this request sees it. */
  data: Record<string, JsonValue>;
  /** Flash messages this request has read (they are removed at commit). */
  flashRead: Set<string>;
  changes: Change[];
  /** The current token (store mode) or random id (cookie mode); undefined for a visitor without one. */
  token: string | undefined;
  /** The version the record was loaded at (store mode). */
  version: number | undefined;
  /**
   * A new id must be issued at commit (regenerate, signIn). In store mode the old record is retired then, only
   * if it still exists: a session destroyed or revoked meanwhile ends the request anonymous.
   */
  rotate: boolean;
  /** signIn bound a user in this request: the binding is written, and the absolute timeout restarts, at commit. */
  signedIn: boolean;
  /** The session was destroyed: the cookie is cleared unless new data makes a new session. */
  destroyed: boolean;
  /**
   * The token `destroy` ended (store mode): its record is deleted at commit, and also when the request fails, since
   * a sign-out stays done.
   */
  retiring: string | undefined;
  /** The request carried a session cookie that was read (valid or not). */
  hadCookie: boolean;
  /** The cookie was verified by an older secret and should be re-issued under the first. */
  staleKey: boolean;
  /**
   * Store mode: the cookie carried a token since renewed (`renewAfter`), and the session was reached through its
   * forwarder: `token` is the successor's, which the response hands the browser.
   */
  followed: boolean;
  /** commit() already ran. */
  committed: boolean;
  /** The request came over HTTPS (decides Secure when the cookie's `secure` is "auto"). */
  secure: boolean;
  /** The request's User-Agent, kept with the session at sign-in. */
  userAgent: string | undefined;
  /** The largest a single value may be, as JSON text (store mode's `maxRecordBytes`); undefined for no check at set. */
  maxValueBytes: number | undefined;
  /** The `cookie.persistent` option: the cookie's lifetime for a session that made no choice of its own. */
  persistentByDefault: boolean;
  /** Cookie mode with `cookie.chunks`: the session cookies the request carried, so a commit clears those it no longer uses. */
  sentCookies: SentCookies | undefined;
}

/** @internal The session cookies a request carried, whole and in chunks (cookie mode with `cookie.chunks`). */
export interface SentCookies {
  /** Sent whole, under the cookie's name. */
  whole: boolean;
  /** The chunk indices sent (`<name>.<i>`), ascending. */
  chunks: readonly number[];
  /** Each value the chunks joined into, with the number of chunks it took. */
  joined: ReadonlyMap<string, number>;
}

/** @internal Symbol under which the manager reaches a session's state. */
export const sessionState: unique symbol = Symbol("tessera.sessionState");

/**
 * One request's view of a session. Values read are deep-frozen copies: change them with `set` or `update`,
 * so every change is recorded and survives a concurrent write.
 *
 * @example
 * const session = await sessions.load(request);
 * session.update("visits", (n) => (n ?? 0) + 1);
 * if (!session.has("username")) session.flash("notice", "Please sign in");
 */
export class Session<D extends SessionData = DeclaredSessionData> {
  /** @internal */
  readonly [sessionState]: SessionState;

  /** @internal Sessions are made by `sessions.load`. */
  constructor(state: SessionState) {
    this[sessionState] = state;
  }

  /** The value under `key`, or `undefined`: deep-frozen, and typed read-only all the way down. */
  get<K extends keyof D & string>(key: K): DeepReadonly<D[K]> | undefined {
    return Object.hasOwn(this[sessionState].data, key) ? (this[sessionState].data[key] as DeepReadonly<D[K]>) : undefined;
  }

  /** Whether `key` holds a value. */
  has(key: keyof D & string): boolean {
    return Object.hasOwn(this[sessionState].data, key);
  }

  /** The keys that hold a value. */
  keys(): string[] {
    return Object.keys(this[sessionState].data);
  }

  /** Sets `key`; throws `ERR_INVALID_SESSION_DATA` for a value that is not plain JSON (`undefined` included: use `delete`). */
  set<K extends keyof D & string>(key: K, value: Exclude<D[K], undefined>): void {
    const stored = this.#checked(key, value);
    this.#change({ kind: "set", key, value: stored });
    this[sessionState].data[key] = stored;
  }

  /** Removes `key`. */
  delete(key: keyof D & string): void {
    if (!this.has(key)) return;
    this.#change({ kind: "delete", key });
    delete this[sessionState].data[key];
  }

  /** Removes every key (the session and its metadata stay; use `destroy` to end it). */
  clear(): void {
    if (Object.keys(this[sessionState].data).length === 0) return;
    this.#change({ kind: "clear" });
    this[sessionState].data = {};
  }

  /**
   * Sets `key` to `fn(current)`. On a concurrent write, `fn` runs again on the fresher value, so counters and
   * lists built this way lose nothing. `fn` must be pure: it may run more than once.
   *
   * `current` is the frozen value (read-only); return a new one.
   *
   * @example
   * session.update("count", (n) => (n ?? 0) + 1);
   * session.update("cart", (cart) => [...(cart ?? []), "apple"]);
   */
  update<K extends keyof D & string>(
    key: K,
    fn: (current: DeepReadonly<D[K]> | undefined) => Exclude<D[K], undefined>,
  ): DeepReadonly<Exclude<D[K], undefined>> {
    const stored = this.#checked(key, fn(this.get(key)));
    this.#change({ kind: "update", key, fn: fn as (current: unknown) => unknown });
    this[sessionState].data[key] = stored;
    return stored as DeepReadonly<Exclude<D[K], undefined>>;
  }

  /**
   * Leaves a message for a later request, which reads it once with `readFlash`.
   *
   * @example
   * session.flash("notice", "Saved");
   */
  flash(key: string, value: unknown): void {
    this.#change({ kind: "flash", key, value: this.#checked(key, value) });
  }

  /**
   * Reads a flash message left by an earlier request, and removes it.
   *
   * @example
   * const notice = session.readFlash("notice"); // "Saved", then undefined
   */
  readFlash<T = unknown>(key: string): T | undefined {
    const state = this[sessionState];
    if (!Object.hasOwn(state.base.flash, key) || state.flashRead.has(key)) return undefined;
    this.#change({ kind: "readFlash", key });
    state.flashRead.add(key);
    return state.base.flash[key] as T;
  }

  /** The signed-in user, if `signIn` bound one. */
  get userId(): string | undefined {
    return this[sessionState].base.meta.userId;
  }

  /** When the session was created (epoch ms). */
  get createdAt(): number {
    return this[sessionState].base.meta.createdAt;
  }

  /**
   * This session's cookie lifetime, for "remember me": `true` a cookie that lasts as long as the session (its idle
   * and absolute timeouts), `false` one the browser drops when it closes. Until set, the `cookie.persistent` option
   * decides. The choice is saved with the session and kept by later requests; the timeouts are enforced on the
   * server either way.
   *
   * @example
   * await session.signIn(user.id);
   * session.persistent = form.get("remember") === "on";
   */
  get persistent(): boolean {
    const state = this[sessionState];
    return state.base.meta.persistent ?? state.persistentByDefault;
  }

  set persistent(value: boolean) {
    if (typeof value !== "boolean") throw new TesseraError("ERR_INVALID_SESSION_DATA", "`persistent` must be true or false");
    const state = this[sessionState];
    if (state.base.meta.persistent === value) return;
    this.#change({ kind: "persistent", value });
    state.base = { ...state.base, meta: { ...state.base.meta, persistent: value } };
  }

  /** Whether nothing was loaded for this request: a new visitor, or a cookie that was refused. */
  get isNew(): boolean {
    return this[sessionState].token === undefined;
  }

  /**
   * Binds the session to a user and gives it a new id, so an id planted before sign-in is worthless
   * (session fixation). The old id is retired at commit.
   *
   * @example
   * await session.signIn(user.id);
   */
  async signIn(userId: string): Promise<void> {
    if (typeof userId !== "string" || userId.length === 0 || userId.length > 256) {
      throw new TesseraError("ERR_INVALID_SESSION_DATA", "`userId` must be a string of 1 to 256 characters");
    }
    await this.regenerate();
    const state = this[sessionState];
    const meta: SessionMeta = { ...state.base.meta, userId };
    if (state.userAgent) meta.userAgent = state.userAgent.slice(0, 256);
    else delete meta.userAgent;
    state.base = { ...state.base, meta };
    state.signedIn = true;
  }

  /**
   * Issues a new id for the same data and user at commit, and retires the old one then. Call it whenever privilege
   * changes. If the session was destroyed or revoked meanwhile (by another request, `revokeUserSessions` or
   * `revokeSession`), the request ends anonymous instead: no new session, no cookie that carries the old user or
   * data. To sign a user out, use `destroy`.
   *
   * @example
   * await session.regenerate();
   */
  async regenerate(): Promise<void> {
    this.#assertOpen();
    this[sessionState].rotate = true;
  }

  /**
   * Ends the session: at commit its record is deleted and the response clears the cookie, even if the request
   * then fails. Data set afterwards starts a new session.
   *
   * @example
   * await session.destroy();
   */
  async destroy(): Promise<void> {
    this.#assertOpen();
    endSession(this[sessionState]);
  }

  #checked(key: string, value: unknown): JsonValue {
    const stored = checkEntry(key, value);
    const limit = this[sessionState].maxValueBytes;
    if (limit !== undefined) {
      const text = JSON.stringify(stored);
      // UTF-8 takes at most 3 bytes per UTF-16 unit: short text needs no exact count.
      if (text.length * 3 > limit && utf8ByteLength(text) > limit) {
        throw new TesseraError("ERR_SESSION_TOO_LARGE", `session key ${JSON.stringify(key.slice(0, 40))} holds more than ${limit} bytes (maxRecordBytes)`);
      }
    }
    return stored;
  }

  #change(change: Change): void {
    this.#assertOpen();
    this[sessionState].changes.push(change);
  }

  #assertOpen(): void {
    if (this[sessionState].committed) {
      throw new TesseraError("ERR_SESSION_COMMITTED", "the session was already committed; changes after commit are lost");
    }
  }
}

/**
 * @internal
 * Ends the session in `state`: the loaded token is kept for deletion at commit (`retiring`), and everything this
 * request set or read is dropped. Ending it twice drops what was set in between, and keeps the first token.
 *
 * @example
 * endSession(session[sessionState]);
 */
export function endSession(state: SessionState): void {
  if (state.token !== undefined) state.retiring = state.token;
  state.token = undefined;
  state.version = undefined;
  state.destroyed = true;
  state.rotate = false;
  state.signedIn = false;
  state.changes = [];
  state.data = {};
  state.flashRead = new Set();
  state.base = { data: {}, flash: {}, meta: { createdAt: state.base.meta.createdAt, lastSeenAt: state.base.meta.lastSeenAt } };
}

/**
 * @internal
 * Whether a record holds nothing worth keeping: no user, no data, no flash message.
 *
 * @example
 * if (isEmptyRecord(currentRecord(state))) return clearCookie();
 */
export function isEmptyRecord(record: SessionRecord): boolean {
  if (record.meta.userId !== undefined) return false;
  for (const _ in record.data) return false;
  for (const _ in record.flash) return false;
  return true;
}

/**
 * @internal
 * The record this request would write if nobody else wrote in between: its data, and the loaded flash messages
 * less those read plus those left.
 *
 * @example
 * const record = currentRecord(session[sessionState]);
 */
export function currentRecord(state: SessionState): SessionRecord {
  return { data: state.data, flash: applyFlashChanges(state.base.flash, state.changes), meta: state.base.meta };
}

/**
 * @internal
 * Replays a request's changes onto a record read fresh from the store, giving the record to write.
 * Throws `ERR_INVALID_SESSION_DATA` when an `update` function returns something that is not JSON.
 *
 * @example
 * const merged = replayChanges(fresh.record, state.changes);
 */
export function replayChanges(record: SessionRecord, changes: readonly Change[]): SessionRecord {
  const data: Record<string, JsonValue> = { ...record.data };
  let meta = record.meta;
  for (const change of changes) {
    switch (change.kind) {
      case "set":
        data[change.key] = change.value;
        break;
      case "delete":
        delete data[change.key];
        break;
      case "clear":
        for (const key of Object.keys(data)) delete data[key];
        break;
      case "update":
        data[change.key] = checkEntry(change.key, change.fn(Object.hasOwn(data, change.key) ? data[change.key] : undefined));
        break;
      case "persistent":
        meta = { ...meta, persistent: change.value };
        break;
      case "flash":
      case "readFlash":
      case "migrated":
        break;
    }
  }
  return { data, flash: applyFlashChanges(record.flash, changes), meta };
}

/** Messages read by this request go; messages it left stay, whatever order the two happened in. */
function applyFlashChanges(flash: Record<string, JsonValue>, changes: readonly Change[]): Record<string, JsonValue> {
  let copy: Record<string, JsonValue> | undefined;
  for (const change of changes) if (change.kind === "readFlash") delete (copy ??= { ...flash })[change.key];
  for (const change of changes) if (change.kind === "flash") (copy ??= { ...flash })[change.key] = change.value;
  return copy ?? flash;
}
