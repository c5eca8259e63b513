import { describe, expect, it } from "vitest";
import { flaskBytes, flaskDatetime, flaskFlashes, flaskFloat, flaskInt, flaskMarkup, flaskTuple, flaskUuid, flashMessages, fromFlask } from "./values.js";

const refused = (fn: () => unknown) => expect(fn).toThrow(expect.objectContaining({ code: "ERR_INVALID_SESSION_DATA" }));

describe("the value helpers", () => {
  it("build the markers the codec writes as Python values", () => {
    expect(flaskTuple([1, "a"])).toEqual({ $tuple: [1, "a"] });
    expect(flaskBytes(new Uint8Array([0, 255]))).toEqual({ $bytes: "AP8=" });
    expect(flaskBytes(Buffer.from("abcdef").subarray(2, 4))).toEqual({ $bytes: "Y2Q=" });
    expect(flaskMarkup("<b>x</b>")).toEqual({ $markup: "<b>x</b>" });
    expect(flaskDatetime(new Date("2024-01-02T03:04:05.999Z"))).toEqual({ $datetime: "2024-01-02T03:04:05Z" });
    expect(flaskDatetime(Date.UTC(1969, 11, 31, 23, 59, 59, 500))).toEqual({ $datetime: "1969-12-31T23:59:59Z" });
  });

  it("flaskUuid reads every spelling Python's UUID() reads", () => {
    const canonical = { $uuid: "12345678-1234-5678-1234-567812345678" };
    for (const text of ["12345678123456781234567812345678", "{12345678-1234-5678-1234-567812345678}", "urn:uuid:12345678-1234-5678-1234-567812345678", "12345678-1234-5678-1234-567812345678".toUpperCase()]) {
      expect(flaskUuid(text), text).toEqual(canonical);
    }
    refused(() => flaskUuid("1234"));
  });

  it("flaskInt and flaskFloat give a plain number wherever one means the same to Python", () => {
    expect(flaskInt(42n)).toBe(42);
    expect(flaskInt("-9007199254740991")).toBe(-9007199254740991);
    expect(flaskInt(2n ** 53n)).toEqual({ $int: "9007199254740992" });
    expect(flaskInt("18446744073709551616")).toEqual({ $int: "18446744073709551616" });
    for (const bad of [1.5, "01", "1e3", "-0", "", `1${"0".repeat(4300)}`]) refused(() => flaskInt(bad as string));
    expect(flaskFloat(0.5)).toBe(0.5);
    expect(Object.is(flaskFloat(-0), -0)).toBe(true);
    expect(flaskFloat(1e16)).toBe(1e16);
    expect(flaskFloat(20)).toEqual({ $float: "20.0" });
    expect(flaskFloat(Number.NaN)).toEqual({ $float: "NaN" });
    expect(flaskFloat(-Infinity)).toEqual({ $float: "-Infinity" });
  });

  it("flaskDatetime refuses years Flask would read back as others", () => {
    refused(() => flaskDatetime(new Date("0099-12-31T23:59:59Z")));
    refused(() => flaskDatetime(Date.UTC(10000, 0, 1)));
    refused(() => flaskDatetime(new Date(Number.NaN)));
    expect(flaskDatetime(new Date("0100-01-01T00:00:00Z"))).toEqual({ $datetime: "0100-01-01T00:00:00Z" });
  });

  it("flaskFlashes is one message as itself, several as $flashes; flashMessages reads either", () => {
    expect(flaskFlashes(["only"])).toBe("only");
    expect(flaskFlashes(["a", "b"])).toEqual({ $flashes: ["a", "b"] });
    refused(() => flaskFlashes([]));
    expect(flashMessages(flaskFlashes(["a", "b"]))).toEqual(["a", "b"]);
    expect(flashMessages("one")).toEqual(["one"]);
    expect(flashMessages(["a list", "is one message"])).toEqual([["a list", "is one message"]]);
    expect(flashMessages(undefined)).toEqual([]);
  });

  it("fromFlask turns a marker into its JS value and leaves anything else alone", () => {
    expect(fromFlask({ $tuple: [1, 2] })).toEqual([1, 2]);
    expect(fromFlask({ $bytes: "AP8=" })).toEqual(new Uint8Array([0, 255]));
    expect(fromFlask({ $datetime: "2024-01-02T03:04:05Z" })).toEqual(new Date("2024-01-02T03:04:05Z"));
    expect(fromFlask({ $int: "18446744073709551616" })).toBe(2n ** 64n);
    expect(fromFlask({ $float: "1.0" })).toBe(1);
    expect(fromFlask({ $float: "NaN" })).toBeNaN();
    expect(fromFlask({ $uuid: "12345678-1234-5678-1234-567812345678" })).toBe("12345678-1234-5678-1234-567812345678");
    expect(fromFlask({ $dict: { $tuple: 1 } })).toEqual({ $tuple: 1 });
    for (const plain of [1, "x", null, [1], { a: 1 }, { $tuple: [], b: 1 }]) expect(fromFlask(plain)).toBe(plain);
  });
});
