import { describe, expect, it } from "vitest";
import { CodecError } from "../../core/errors.js";
import type { JsonValue } from "../../core/data.js";
import { fromRecord, toRecord } from "./session.js";

const ts = 1_700_000_000;
const meta = { createdAt: ts * 1000, lastSeenAt: ts * 1000 };

describe("toRecord and fromRecord", () => {
  it("group Flask's flashes by category, in order of first appearance, several as $flashes", () => {
    const session = { _flashes: [{ $tuple: ["info", "a"] }, { $tuple: ["error", "x"] }, ["info", "b"]] as JsonValue };
    const record = toRecord(session, ts);
    expect(record.flash).toEqual({ info: { $flashes: ["a", "b"] }, error: "x" });
    expect(fromRecord(record, ts)._flashes).toEqual([{ $tuple: ["info", "a"] }, { $tuple: ["info", "b"] }, { $tuple: ["error", "x"] }]);
  });

  it("refuse a _flashes Flask's flash() could not have written", () => {
    for (const flashes of [{}, [["only one"]], [[1, "numeric category"]], [["", "empty category"]], [{ $tuple: ["a", "b", "c"] }], [["constructor", "x"]]]) {
      expect(() => toRecord({ _flashes: flashes as JsonValue }, ts), JSON.stringify(flashes)).toThrow(CodecError);
    }
  });

  it("take a string _user_id as the signed-in user, and leave any other _user_id as data", () => {
    expect(toRecord({ _user_id: "42", a: 1 }, ts)).toEqual({ data: { a: 1 }, flash: {}, meta: { ...meta, userId: "42" } });
    expect(toRecord({ _user_id: 42 }, ts)).toEqual({ data: { _user_id: 42 }, flash: {}, meta });
    expect(toRecord({ _user_id: "" }, ts).data).toEqual({ _user_id: "" });
    expect(fromRecord({ data: { _user_id: 42 }, flash: {}, meta }, ts)).toEqual({ _user_id: 42 });
    expect(fromRecord({ data: { _user_id: 42 }, flash: {}, meta: { ...meta, userId: "7" } }, ts)).toEqual({ _user_id: "7" });
  });

  it("keep the creation time in _tessera only when it is older than the signing time", () => {
    expect(fromRecord({ data: {}, flash: {}, meta: { createdAt: (ts - 5) * 1000 + 999, lastSeenAt: ts * 1000 } }, ts)).toEqual({ _tessera: { created: ts - 5 } });
    expect(fromRecord({ data: {}, flash: {}, meta }, ts)).toEqual({});
    expect(toRecord({ _tessera: { created: ts - 5 } }, ts).meta).toEqual({ createdAt: (ts - 5) * 1000, lastSeenAt: ts * 1000 });
    for (const tessera of [{}, { created: -1 }, { created: 1.5 }, { created: "1" }, { created: 1, more: 2 }, [1]]) {
      expect(() => toRecord({ _tessera: tessera as JsonValue }, ts), JSON.stringify(tessera)).toThrow(CodecError);
    }
  });

  it("do not keep the user agent", () => {
    expect(fromRecord({ data: {}, flash: {}, meta: { ...meta, userAgent: "Mozilla/5.0" } }, ts)).toEqual({});
  });
});
