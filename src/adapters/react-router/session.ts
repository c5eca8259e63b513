// A React Router Session (get, set, has, unset, flash, id, data) backed by a tessera session.

import type { Session as RouterSession } from "react-router";
import type { JsonValue, SessionData } from "../../core/data.js";
import { currentRecord, sessionState, type Session } from "../../core/session.js";

/**
 * React Router's `Session`, plus what tessera adds: `signIn` and `regenerate` (a new session id, closing session
 * fixation) and the signed-in `userId`.
 */
export interface TesseraRouterSession<Data = Record<string, unknown>, FlashData = Data> extends RouterSession<Data, FlashData> {
  /** The user `signIn` bound, if any. */
  readonly userId: string | undefined;
  /**
   * Binds the session to a user and gives it a new id at commit (session fixation closed); the data stays.
   *
   * @example
   * await session.signIn(user.id);
   */
  signIn(userId: string): Promise<void>;
  /**
   * A new id at commit for the same data and user: call it whenever privilege changes.
   *
   * @example
   * await session.regenerate();
   */
  regenerate(): Promise<void>;
}

/** React Router's prefix and suffix for a flash message's key in `session.data`. */
const flashKey = (name: string): string => `__flash_${name}__`;

/**
 * Wraps a tessera session as React Router's `Session`. Values are tessera's: plain JSON, read as frozen copies. A
 * flash message is left for a later request and read there once, by `get` (React Router's rule); `has` looks without
 * reading. `id` is always `""` (React Router's value for a session whose id is not for the application: tessera's
 * token is a credential and never leaves the cookie).
 *
 * @example
 * const session = routerSession(await sessions.loadFrom(facts));
 * session.get("username");
 */
export function routerSession<Data, FlashData>(session: Session<SessionData>): TesseraRouterSession<Data, FlashData> {
  const state = session[sessionState];
  const unreadFlash = (name: string): boolean => Object.hasOwn(state.base.flash, name) && !state.flashRead.has(name);
  const wrapper = {
    get id() {
      return "";
    },
    get data() {
      const record = currentRecord(state);
      const data: Record<string, JsonValue> = { ...record.data };
      for (const [name, value] of Object.entries(record.flash)) data[flashKey(name)] = value;
      return data;
    },
    has: (name: string) => session.has(name) || unreadFlash(name),
    get: (name: string) => (session.has(name) ? session.get(name) : unreadFlash(name) ? session.readFlash(name) : undefined),
    set: (name: string, value: unknown) => session.set(name, value as JsonValue),
    flash: (name: string, value: unknown) => session.flash(name, value),
    unset: (name: string) => session.delete(name),
    get userId() {
      return session.userId;
    },
    signIn: (userId: string) => session.signIn(userId),
    regenerate: () => session.regenerate(),
  };
  return wrapper as unknown as TesseraRouterSession<Data, FlashData>;
}
