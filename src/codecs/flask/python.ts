// The values Python's json module reads and writes, as the Flask codec's JSON layer sees them.

/** A Python `int`, kept as canonical decimal text (no leading zeros, no `-0`), so no digit is ever lost. */
export interface PyInt {
  readonly kind: "int";
  readonly text: string;
}

/** A Python `float`, NaN and the infinities included. */
export interface PyFloat {
  readonly kind: "float";
  readonly value: number;
}

/** A Python `dict` read from or written to a JSON object: string keys, each once. */
export interface PyDict {
  readonly kind: "dict";
  readonly entries: Map<string, PyValue>;
}

/**
 * A value as Python's `json` module holds it: `None`, `bool`, `str`, `int`, `float`, `list` and `dict`. Strings are
 * JS strings (UTF-16, lone surrogates allowed, as in a Python `str` read from `\udXXX` escapes).
 */
export type PyValue = null | boolean | string | PyInt | PyFloat | PyDict | PyValue[];

/**
 * Python's json module refuses longer integers (`sys.set_int_max_str_digits`, CPython 3.11+): a cookie with one
 * fails Flask's request with HTTP 500, so none is read or written.
 */
export const maxIntDigits = 4300;

/**
 * How Python writes a float in JSON: `repr(x)` (the shortest digits that read back as `x`, in fixed notation when
 * the decimal exponent is from -4 to 15, else `1e+16` style with at least two exponent digits, and `.0` on whole
 * values), or `NaN`, `Infinity`, `-Infinity`.
 *
 * @example
 * floatRepr(1); // "1.0"
 * floatRepr(1e16); // "1e+16"
 * floatRepr(1e-7); // "1e-07"
 * floatRepr(-0); // "-0.0"
 */
export function floatRepr(x: number): string {
  if (Number.isNaN(x)) return "NaN";
  if (x === Infinity) return "Infinity";
  if (x === -Infinity) return "-Infinity";
  const sign = x < 0 || Object.is(x, -0) ? "-" : "";
  if (x === 0) return `${sign}0.0`;
  // ECMA-262 Number::toString picks the same digits as Python's repr (shortest round trip, nearest): only the
  // layout differs, so take the digits and the exponent from it and lay them out the Python way.
  const { digits, exponent } = decimalDigits(String(Math.abs(x)));
  if (exponent < -4 || exponent >= 16) {
    const mantissa = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return `${sign}${mantissa}e${exponent < 0 ? "-" : "+"}${String(Math.abs(exponent)).padStart(2, "0")}`;
  }
  if (exponent < 0) return `${sign}0.${"0".repeat(-exponent - 1)}${digits}`;
  if (digits.length <= exponent + 1) return `${sign}${digits}${"0".repeat(exponent + 1 - digits.length)}.0`;
  return `${sign}${digits.slice(0, exponent + 1)}.${digits.slice(exponent + 1)}`;
}

/** The significant digits of a positive number's JS text and the decimal exponent of the first: "0.0125" is 125, -2. */
function decimalDigits(text: string): { digits: string; exponent: number } {
  const e = text.indexOf("e");
  if (e >= 0) return { digits: text.slice(0, e).replace(".", ""), exponent: Number(text.slice(e + 1)) };
  const dot = text.indexOf(".");
  const whole = dot < 0 ? text : text.slice(0, dot);
  const all = dot < 0 ? text : whole + text.slice(dot + 1);
  let first = 0;
  while (all[first] === "0") first++;
  return { digits: all.slice(first).replace(/0+$/, ""), exponent: whole.length - 1 - first };
}
