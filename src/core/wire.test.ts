import { describe, it, expect } from "vitest";
import { CodecError, type CodecFailure } from "./errors.js";
import type { SessionRecord } from "./record.js";
import { decodeRecord, encodeRecord, recordFormatVersion } from "./wire.js";

const record: SessionRecord = {
  data: { username: "alice", cart: ["book", "pen"] },
  flash: { notice: "Saved" },
  meta: { createdAt: 1767225600000, lastSeenAt: 1767227400000, userId: "u-42" },
};

function reasonFor(text: string): CodecFailure {
  try {
    decodeRecord(text);
  } catch (err) {
    expect(err).toBeInstanceOf(CodecError);
    return (err as CodecError).reason;
  }
  throw new Error(`expected decodeRecord to refuse ${text.slice(0, 40)}`);
}

describe("encodeRecord", () => {
  it("matches its known-answer vectors", () => {
    expect(encodeRecord(record)).toBe(
      '{"v":1,"c":1767225600000,"s":1767227400000,"d":{"username":"alice","cart":["book","pen"]},"u":"u-42","f":{"notice":"Saved"}}',
    );
    expect(encodeRecord({ ...record, meta: { ...record.meta, userAgent: "Mozilla/5.0" } })).toBe(
      '{"v":1,"c":1767225600000,"s":1767227400000,"d":{"username":"alice","cart":["book","pen"]},"u":"u-42","a":"Mozilla/5.0","f":{"notice":"Saved"}}',
    );
    expect(encodeRecord({ data: {}, flash: {}, meta: { createdAt: 0, lastSeenAt: 0 } })).toBe('{"v":1,"c":0,"s":0,"d":{}}');
  });

  it("writes the data version as n when it is above 1, and leaves it out for 1", () => {
    const bare = { data: {}, flash: {}, meta: { createdAt: 0, lastSeenAt: 0 } };
    expect(encodeRecord({ ...bare, meta: { ...bare.meta, dataVersion: 3 } })).toBe('{"v":1,"c":0,"s":0,"d":{},"n":3}');
    expect(encodeRecord({ ...bare, meta: { ...bare.meta, dataVersion: 1 } })).toBe('{"v":1,"c":0,"s":0,"d":{}}');
  });

  it("writes the format version 1", () => {
    expect(recordFormatVersion).toBe(1);
    expect(JSON.parse(encodeRecord(record)).v).toBe(1);
  });
});

describe("decodeRecord", () => {
  it("reads back what encodeRecord wrote", () => {
    expect(decodeRecord(encodeRecord(record))).toEqual(record);
    const bare: SessionRecord = { data: {}, flash: {}, meta: { createdAt: 5, lastSeenAt: 6 } };
    expect(decodeRecord(encodeRecord(bare))).toEqual(bare);
  });

  it("rejects text that is not JSON as bad_payload", () => {
    for (const text of ["", "{", "not json", '{"v":1,', "\u0000"]) expect(reasonFor(text), JSON.stringify(text)).toBe("bad_payload");
  });

  it("rejects JSON that is not an object", () => {
    for (const text of ["null", "1", '"s"', "true"]) expect(reasonFor(text), text).toBe("bad_payload");
    expect(() => decodeRecord("[]")).toThrow(CodecError);
  });

  it("rejects a missing or wrong version as unsupported_version", () => {
    for (const v of ["0", "2", '"1"', "1.5", "null"]) {
      expect(reasonFor(`{"v":${v},"c":1,"s":1,"d":{}}`), v).toBe("unsupported_version");
    }
    expect(reasonFor('{"c":1,"s":1,"d":{}}')).toBe("unsupported_version");
  });

  it("rejects times that are not safe integers as bad_payload", () => {
    for (const [c, s] of [["1.5", "1"], ["1", "2.5"], ['"1"', "1"], ["1", "null"], ["1e300", "1"], ["9007199254740992", "1"]]) {
      expect(reasonFor(`{"v":1,"c":${c},"s":${s},"d":{}}`), `${c} ${s}`).toBe("bad_payload");
    }
    expect(reasonFor('{"v":1,"s":1,"d":{}}')).toBe("bad_payload");
  });

  it("reads the data version n back, absent or 1 as no version, and rejects one that is not a whole number from 1", () => {
    const record = decodeRecord('{"v":1,"c":1,"s":1,"d":{},"n":2}');
    expect(record.meta.dataVersion).toBe(2);
    expect(decodeRecord(encodeRecord(record))).toEqual(record);
    expect(decodeRecord('{"v":1,"c":1,"s":1,"d":{},"n":1}').meta).toEqual({ createdAt: 1, lastSeenAt: 1 });
    for (const n of ["0", "-1", "1.5", '"2"', "null", "9007199254740992"]) expect(reasonFor(`{"v":1,"c":1,"s":1,"d":{},"n":${n}}`), n).toBe("bad_payload");
  });

  it("rejects a user or user agent that is not a string as bad_payload", () => {
    expect(reasonFor('{"v":1,"c":1,"s":1,"d":{},"u":42}')).toBe("bad_payload");
    expect(reasonFor('{"v":1,"c":1,"s":1,"d":{},"a":["x"]}')).toBe("bad_payload");
  });

  it("rejects data or flash that is not a JSON object as bad_payload", () => {
    for (const d of ["[]", "1", "null", '"x"']) expect(reasonFor(`{"v":1,"c":1,"s":1,"d":${d}}`), d).toBe("bad_payload");
    expect(reasonFor('{"v":1,"c":1,"s":1}')).toBe("bad_payload");
    expect(reasonFor('{"v":1,"c":1,"s":1,"d":{},"f":[]}')).toBe("bad_payload");
  });

  it.each(["__proto__", "constructor", "prototype"])("rejects a %s key in data or flash at any depth as bad_payload", (key) => {
    expect(reasonFor(`{"v":1,"c":1,"s":1,"d":{"${key}":{"admin":true}}}`)).toBe("bad_payload");
    expect(reasonFor(`{"v":1,"c":1,"s":1,"d":{"a":[{"${key}":1}]}}`)).toBe("bad_payload");
    expect(reasonFor(`{"v":1,"c":1,"s":1,"d":{},"f":{"${key}":1}}`)).toBe("bad_payload");
  });

  it("rejects data nested deeper than allowed as bad_payload", () => {
    expect(reasonFor(`{"v":1,"c":1,"s":1,"d":{"x":${"[".repeat(100)}${"]".repeat(100)}}}`)).toBe("bad_payload");
  });

  it("keeps a session's own cookie lifetime (remember me) as p: 1 or 0, and refuses anything else", () => {
    const forgotten = { ...record, meta: { ...record.meta, persistent: false } };
    expect(encodeRecord(forgotten)).toContain('"p":0');
    expect(decodeRecord(encodeRecord(forgotten)).meta.persistent).toBe(false);
    expect(decodeRecord(encodeRecord({ ...record, meta: { ...record.meta, persistent: true } })).meta.persistent).toBe(true);
    expect(decodeRecord(encodeRecord(record)).meta).not.toHaveProperty("persistent");
    expect(reasonFor('{"v":1,"c":0,"s":0,"d":{},"p":2}')).toBe("bad_payload");
    expect(reasonFor('{"v":1,"c":0,"s":0,"d":{},"p":true}')).toBe("bad_payload");
  });

  it("keeps when a token was issued as r, and a renewed token's forwarder as r: { t, x, k }, refusing anything else", () => {
    const issued = { ...record, meta: { ...record.meta, issuedAt: 1767227400000 } };
    expect(encodeRecord(issued)).toBe(
      '{"v":1,"c":1767225600000,"s":1767227400000,"d":{"username":"alice","cart":["book","pen"]},"u":"u-42","r":1767227400000,"f":{"notice":"Saved"}}',
    );
    expect(decodeRecord(encodeRecord(issued))).toEqual(issued);
    const forwarder: SessionRecord = {
      data: {},
      flash: {},
      meta: { createdAt: 1, lastSeenAt: 2, userId: "u-42" },
      forward: { to: "A".repeat(43), until: 30_002, sealed: "c2VhbGVk" },
    };
    expect(encodeRecord(forwarder)).toBe(`{"v":1,"c":1,"s":2,"d":{},"u":"u-42","r":{"t":"${"A".repeat(43)}","x":30002,"k":"c2VhbGVk"}}`);
    expect(decodeRecord(encodeRecord(forwarder))).toEqual(forwarder);
    const id = "A".repeat(43);
    for (const r of ["1.5", '"1"', "null", "[]", "{}", `{"t":"short","x":1,"k":"a"}`, `{"t":"${id}","x":1.5,"k":"a"}`, `{"t":"${id}","x":1,"k":"a.b"}`, `{"t":"${id}","x":1}`]) {
      expect(reasonFor(`{"v":1,"c":0,"s":0,"d":{},"r":${r}}`), r).toBe("bad_payload");
    }
  });

  it("keeps a signed-in session's id as i, exactly 22 base64url characters, and refuses anything else", () => {
    const withId = { ...record, meta: { ...record.meta, sessionId: "AAECAwQFBgcICQoLDA0ODw" } };
    expect(encodeRecord(withId)).toBe(
      '{"v":1,"c":1767225600000,"s":1767227400000,"d":{"username":"alice","cart":["book","pen"]},"u":"u-42","i":"AAECAwQFBgcICQoLDA0ODw","f":{"notice":"Saved"}}',
    );
    expect(decodeRecord(encodeRecord(withId))).toEqual(withId);
    expect(decodeRecord(encodeRecord(record)).meta).not.toHaveProperty("sessionId");
    for (const i of ['""', "42", '"AAECAwQFBgcICQoLDA0OD"', '"AAECAwQFBgcICQoLDA0ODwA"', '"AAECAwQFBgcICQoLDA0OD+"', "null"]) {
      expect(reasonFor(`{"v":1,"c":0,"s":0,"d":{},"i":${i}}`), i).toBe("bad_payload");
    }
  });

  it("ignores unknown fields", () => {
    expect(decodeRecord('{"v":1,"c":1,"s":2,"d":{"a":1},"z":"future"}')).toEqual({ data: { a: 1 }, flash: {}, meta: { createdAt: 1, lastSeenAt: 2 } });
  });
});
