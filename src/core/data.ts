// Session data is JSON only: this module checks and copies values that go in and come out.

import { TesseraError } from "./errors.js";

/** A value session data may hold: what JSON can carry and bring back unchanged. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** A session's data: a JSON object. Give your own as an object type (`type Data = { cart?: string[] }`). */
export type SessionData = Record<string, unknown>;

/**
 * Your session's data, declared once for the whole app: `createSessions`, `req.session` (tessera/express),
 * `request.session` (tessera/fastify) and `c.get("session")` (tessera/hono) are then typed from it, as
 * express-session's `SessionData` and @fastify/session's `FastifySessionObject` are. Left empty, sessions hold any
 * JSON (`SessionData`); an explicit type argument (`createSessions<Data>`, `SessionRequest<Data>`) still wins.
 *
 * @example
 * declare module "tessera" {
 *   interface TesseraSessionData {
 *     username?: string;
 *     cart?: string[];
 *   }
 * }
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- empty until an app declares its data
export interface TesseraSessionData {}

/**
 * The session data the app declared in `TesseraSessionData`, or `SessionData` when it declared nothing. The mapped
 * copy is an object type (not an interface), so it fits `SessionData`'s index signature.
 *
 * @example
 * const sessions: Sessions<DeclaredSessionData> = createSessions({ secrets });
 */
export type DeclaredSessionData = keyof TesseraSessionData extends never
  ? SessionData
  : { [K in keyof TesseraSessionData]: TesseraSessionData[K] };

/**
 * What a session hands back when it is read: values are deep-frozen, so their type is read-only all the way down
 * (`session.get("cart")?.push("x")` does not compile, where it would throw at run time). Change a value with `set`
 * or `update`, which take a new one.
 *
 * @example
 * const cart: DeepReadonly<string[]> | undefined = session.get("cart"); // readonly string[]
 * session.update("cart", (cart) => [...(cart ?? []), "apple"]);
 */
export type DeepReadonly<T> = T extends (...args: never[]) => unknown
  ? T
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

/** Keys that reach `Object.prototype` through careless merging: refused everywhere (OWASP prototype pollution). */
const forbiddenKeys = new Set(["__proto__", "constructor", "prototype"]);

/**
 * Deeper nesting is refused, so a hostile payload cannot exhaust the stack. Depth counts from the session's data
 * object (its values are at depth 1), the same on the way in (`checkEntry`) and on the way back
 * (`toJsonObject`), so a value `set` accepts always loads again.
 */
export const maxDepth = 64;

/**
 * Copies a JSON value, deep-frozen, or returns `undefined` when it is not plain JSON (a function, a Date, a
 * class instance, a cycle, NaN) or carries a forbidden key.
 *
 * @example
 * toFrozenJson({ cart: ["a"] }); // a frozen copy
 * toFrozenJson({ when: new Date() }); // undefined
 */
export function toFrozenJson(value: unknown, depth = 0): JsonValue | undefined {
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") return Number.isFinite(value) ? value : undefined;
  if (typeof value !== "object" || depth >= maxDepth) return undefined;
  if (Array.isArray(value)) {
    const copy: JsonValue[] = new Array(value.length);
    for (let i = 0; i < value.length; i++) {
      const item = toFrozenJson(value[i], depth + 1);
      if (item === undefined) return undefined;
      copy[i] = item;
    }
    return Object.freeze(copy) as JsonValue[];
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return undefined;
  const copy: { [key: string]: JsonValue } = {};
  for (const key of Object.keys(value)) {
    if (forbiddenKeys.has(key)) return undefined;
    const item = toFrozenJson((value as Record<string, unknown>)[key], depth + 1);
    if (item === undefined) return undefined;
    copy[key] = item;
  }
  return Object.freeze(copy);
}

/**
 * Checks a key and value on their way into a session, naming the key (never the value) when they are refused.
 *
 * @example
 * const stored = checkEntry("cart", ["a", "b"]);
 */
export function checkEntry(key: string, value: unknown): JsonValue {
  if (typeof key !== "string" || key.length === 0 || forbiddenKeys.has(key)) {
    throw new TesseraError("ERR_INVALID_SESSION_DATA", `session key ${JSON.stringify(String(key).slice(0, 40))} is not allowed`);
  }
  const copy = toFrozenJson(value, 1);
  if (copy === undefined) {
    throw new TesseraError(
      "ERR_INVALID_SESSION_DATA",
      `session key ${JSON.stringify(key.slice(0, 40))} must hold plain JSON (objects, arrays, strings, finite numbers, booleans, null) nested at most ${maxDepth - 1} levels, without "__proto__" or "constructor" keys`,
    );
  }
  return copy;
}

/**
 * Takes an object just made by `JSON.parse` (so nobody else holds it) as session data: checks it in place for
 * forbidden keys and depth and freezes every value inside, without copying. `undefined` when it is not an
 * object or fails a check. The object itself stays unfrozen.
 *
 * @example
 * const data = toJsonObject(JSON.parse(text)) ?? {};
 */
export function toJsonObject(value: unknown): Record<string, JsonValue> | undefined {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return undefined;
  for (const key of Object.keys(value)) {
    if (forbiddenKeys.has(key) || !freezeParsed((value as Record<string, unknown>)[key], 1)) return undefined;
  }
  return value as Record<string, JsonValue>;
}

/** Checks and freezes, in place, a value `JSON.parse` made: only depth and forbidden keys can be wrong. */
function freezeParsed(value: unknown, depth: number): boolean {
  if (value === null || typeof value !== "object") return true;
  if (depth >= maxDepth) return false;
  if (Array.isArray(value)) {
    for (const item of value) if (!freezeParsed(item, depth + 1)) return false;
  } else {
    for (const key of Object.keys(value)) {
      if (forbiddenKeys.has(key) || !freezeParsed((value as Record<string, unknown>)[key], depth + 1)) return false;
    }
  }
  Object.freeze(value);
  return true;
}
