import { deflateSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { CodecError } from "../../core/errors.js";
import { decodePayload, encodePayload, maxJsonBytes } from "./payload.js";

const refused = (segment: string) => expect(() => decodePayload(segment)).toThrow(CodecError);

describe("encodePayload and decodePayload", () => {
  it("compresses only when zlib saves two bytes or more (FORMAT.md §1.4)", () => {
    expect(encodePayload('{"k":"aaaaaaaaaaa"}')).toBe("eyJrIjoiYWFhYWFhYWFhYWEifQ");
    expect(encodePayload('{"k":"aaaaaaaaaaaa"}')).toMatch(/^\.eJ/);
    expect(decodePayload(encodePayload('{"k":"aaaaaaaaaaaa"}'))).toBe('{"k":"aaaaaaaaaaaa"}');
  });

  it("reads CPython's zlib bytes (vector compression_threshold_at)", () => {
    expect(decodePayload(".eJyrVspWslJKRAJKtQBDAway")).toBe('{"k":"aaaaaaaaaaaa"}');
  });

  it("refuses a zlib stream with bytes after its end, which Python's zlib.decompress would skip", () => {
    const stream = deflateSync(Buffer.from("{}"));
    expect(decodePayload(`.${stream.toString("base64url")}`)).toBe("{}");
    refused(`.${Buffer.concat([stream, Buffer.from("junk")]).toString("base64url")}`);
    refused(`.${stream.subarray(0, -1).toString("base64url")}`);
  });

  it("refuses a zlib bomb past maxJsonBytes", () => {
    const bomb = deflateSync(Buffer.alloc(maxJsonBytes + 1, 0x20));
    expect(bomb.length).toBeLessThan(4096);
    refused(`.${bomb.toString("base64url")}`);
    expect(decodePayload(`.${deflateSync(Buffer.alloc(maxJsonBytes, 0x20)).toString("base64url")}`)).toHaveLength(maxJsonBytes);
  });

  it("refuses non-canonical base64url, invalid UTF-8, and keeps a BOM for the JSON reader to refuse", () => {
    refused("");
    refused(".");
    refused("e30=");
    refused("e31"); // the last character's unused bits are not zero
    refused(Buffer.from([0x7b, 0xff, 0x7d]).toString("base64url"));
    refused(Buffer.from([0xed, 0xa0, 0x80]).toString("base64url")); // a UTF-8-encoded surrogate, which Python refuses
    expect(decodePayload(Buffer.from("\ufeff{}").toString("base64url"))).toBe("\ufeff{}");
  });
});
