import { describe, it, expect } from "vitest";
import { checkEntry, toFrozenJson, toJsonObject } from "./data.js";
import { TesseraError } from "./errors.js";

/** `levels` arrays nested around a number: `[[[1]]]` for 3. */
function nested(levels: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < levels; i++) value = [value];
  return value;
}

function expectRefused(key: string, value: unknown): TesseraError {
  try {
    checkEntry(key, value);
  } catch (err) {
    expect(err).toBeInstanceOf(TesseraError);
    expect((err as TesseraError).code).toBe("ERR_INVALID_SESSION_DATA");
    return err as TesseraError;
  }
  throw new Error(`expected checkEntry to refuse ${key}`);
}

function isDeepFrozen(value: unknown): boolean {
  if (value === null || typeof value !== "object") return true;
  return Object.isFrozen(value) && Object.values(value).every(isDeepFrozen);
}

describe("checkEntry", () => {
  it("accepts plain JSON and returns an equal copy", () => {
    const value = { name: "alice", tags: ["a", "b"], n: 1.5, ok: true, none: null, nested: { deep: [{ x: 0 }] } };
    const copy = checkEntry("profile", value);
    expect(copy).toEqual(value);
    expect(copy).not.toBe(value);
  });

  it("returns a deep-frozen copy that later changes to the input do not reach", () => {
    const value = { list: [1, { x: 1 }], inner: { y: 2 } };
    const copy = checkEntry("k", value) as { list: [number, { x: number }]; inner: { y: number } };
    expect(isDeepFrozen(copy)).toBe(true);
    value.inner.y = 3;
    (value.list[1] as { x: number }).x = 9;
    value.list.push(4);
    expect(copy).toEqual({ list: [1, { x: 1 }], inner: { y: 2 } });
    expect(() => {
      (copy.inner as { y: number }).y = 5;
    }).toThrow(TypeError);
  });

  it("accepts primitives: strings, finite numbers, booleans and null", () => {
    for (const value of ["", "x", 0, -1.5, Number.MAX_SAFE_INTEGER, true, false, null]) expect(checkEntry("k", value)).toBe(value);
  });

  it("accepts an object without a prototype", () => {
    const value = Object.assign(Object.create(null) as Record<string, unknown>, { a: 1 });
    expect(checkEntry("k", value)).toEqual({ a: 1 });
  });

  it.each(["__proto__", "constructor", "prototype"])("refuses %s as a session key", (key) => {
    const err = expectRefused(key, 1);
    expect(err.message).toContain(key);
  });

  it("refuses an empty session key", () => {
    expectRefused("", 1);
  });

  it.each(["__proto__", "constructor", "prototype"])("refuses %s as a key at any depth of the value", (key) => {
    const top = JSON.parse(`{"${key}": {"admin": true}}`) as unknown;
    expect(Object.keys(top as object)).toEqual([key]);
    expectRefused("k", top);
    expectRefused("k", JSON.parse(`{"a": {"b": [1, {"${key}": 1}]}}`));
    expectRefused("k", JSON.parse(`[[{"${key}": null}]]`));
  });

  it("does not pollute Object.prototype when refusing a __proto__ key", () => {
    expectRefused("k", JSON.parse('{"__proto__": {"polluted": true}}'));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("refuses Dates, functions, class instances, Maps, typed arrays and undefined", () => {
    class Point {
      x = 1;
    }
    for (const value of [new Date(0), () => 1, new Point(), new Map(), new Uint8Array(2), undefined, Symbol("s"), 1n]) {
      expectRefused("k", value);
      expectRefused("k", { inner: [value] });
    }
  });

  it("refuses NaN and the infinities, at the top or nested", () => {
    for (const value of [Number.NaN, Infinity, -Infinity]) {
      expectRefused("k", value);
      expectRefused("k", { n: value });
      expectRefused("k", [1, value]);
    }
  });

  it("refuses arrays with holes", () => {
    const holey: unknown[] = [1, 2, 3];
    delete holey[1];
    expectRefused("k", holey);
  });

  it("refuses cycles", () => {
    const object: Record<string, unknown> = { a: 1 };
    object.self = object;
    expectRefused("k", object);
    const array: unknown[] = [];
    array.push(array);
    expectRefused("k", array);
  });

  it("accepts a value nested 63 deep (64 counting the session's data object) and refuses 64", () => {
    expect(checkEntry("k", nested(63))).toEqual(nested(63));
    expectRefused("k", nested(64));
    expectRefused("k", nested(100_000));
  });

  it("names the key but never the value when refusing", () => {
    const err = expectRefused("cart", { secretValue: new Date(0), token: "tok-123456" });
    expect(err.message).toContain("cart");
    expect(err.message).not.toContain("tok-123456");
    expect(err.message).not.toContain("secretValue");
  });
});

describe("toFrozenJson", () => {
  it("returns undefined rather than throwing for values that are not JSON", () => {
    expect(toFrozenJson(new Date())).toBeUndefined();
    expect(toFrozenJson({ a: Number.NaN })).toBeUndefined();
    expect(toFrozenJson(JSON.parse('{"__proto__": 1}'))).toBeUndefined();
  });
});

describe("toJsonObject", () => {
  it("accepts only a JSON object, not an array or primitive", () => {
    expect(toJsonObject({ a: [1] })).toEqual({ a: [1] });
    for (const value of [[], [1], "s", 1, null, undefined, true]) expect(toJsonObject(value)).toBeUndefined();
  });

  it("returns an object the caller may add keys to, with frozen values", () => {
    const object = toJsonObject({ a: { b: 1 } })!;
    expect(Object.isFrozen(object)).toBe(false);
    expect(Object.isFrozen(object.a)).toBe(true);
  });
});
