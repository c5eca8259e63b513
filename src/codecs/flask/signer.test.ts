import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { CodecError, type CodecFailure } from "../../core/errors.js";
import { createTimestampSigner } from "./signer.js";

const secret = "tessera-test-secret-key-0123456789";
const signer = createTimestampSigner([Buffer.from(secret)]);
/** FORMAT.md §1.3's worked example (vector simple_username). */
const payload = "eyJ1c2VybmFtZSI6ImFsaWNlIn0";
const cookie = "eyJ1c2VybmFtZSI6ImFsaWNlIn0.ZVPxAA.9Al9aNpOuMtMjQkzFpa3vCJyTcU";

const reason = (value: string, using = signer): CodecFailure => {
  try {
    using.unsign(value);
  } catch (error) {
    expect(error).toBeInstanceOf(CodecError);
    return (error as CodecError).reason;
  }
  throw new Error("unsign accepted the value");
};

describe("createTimestampSigner", () => {
  it("signs FORMAT.md's worked example byte for byte (HMAC key derived from the cookie-session salt)", () => {
    expect(createHmac("sha1", secret).update("cookie-session").digest("hex")).toBe("21052968d98eae05ca7745ed1bfd21342ff596da");
    expect(signer.sign(payload, 1_700_000_000)).toBe(cookie);
    expect(signer.unsign(cookie)).toEqual({ payload, timestamp: 1_700_000_000, keyIndex: 0 });
  });

  it("writes the timestamp without leading zero bytes, growing past 2^32", () => {
    expect(signer.sign(payload, 5_000_000_000).split(".")[1]).toBe("ASoF8gA");
    expect(signer.sign(payload, 1).split(".")[1]).toBe("AQ");
    expect(signer.unsign(signer.sign(payload, 1)).timestamp).toBe(1);
  });

  it("signs with the first key and verifies with each, naming the one that verified", () => {
    const rotated = createTimestampSigner([Buffer.from("new-key"), Buffer.from("older"), Buffer.from(secret)]);
    expect(rotated.unsign(cookie).keyIndex).toBe(2);
    expect(rotated.unsign(rotated.sign(payload, 7)).keyIndex).toBe(0);
    expect(reason(rotated.sign(payload, 7))).toBe("bad_signature");
  });

  it("keeps a compressed payload's leading dot under the signature", () => {
    const value = signer.sign(".eJyrVspWslJKRAJKtQBDAway", 1_700_000_000);
    expect(value).toBe(".eJyrVspWslJKRAJKtQBDAway.ZVPxAA.hLfJ34QoX1iBu6e1YHR8Jr1Zd_4");
    expect(signer.unsign(value).payload).toBe(".eJyrVspWslJKRAJKtQBDAway");
    expect(reason(value.slice(1))).toBe("bad_signature");
  });

  it("accepts only the canonical spelling of a signature, though Python's decoder reads others as the same bytes", () => {
    expect(reason(`${cookie.slice(0, -1)}V`)).toBe("bad_signature"); // same bytes: the last character's 2 unused bits differ
    expect(reason(`${cookie}=`)).toBe("malformed");
    expect(reason(cookie.replace("9Al9a", "9Al9a!!!!"))).toBe("malformed");
    const slashy = signer.sign(payload, 1_700_000_005);
    expect(slashy.split(".")[2]).toMatch(/[-_]/);
    expect(reason(slashy.replaceAll("-", "+").replaceAll("_", "/"))).toBe("malformed");
  });

  it("refuses a timestamp with leading zero bytes, empty or over 8 bytes, before any HMAC", () => {
    expect(reason("eyJ1c2VybmFtZSI6ImFsaWNlIn0.AAAAAGVT8QA.iB5_0EmZNERHnnSp59_vW4NIWVc")).toBe("malformed");
    expect(reason(`${payload}..9Al9aNpOuMtMjQkzFpa3vCJyTcU`)).toBe("malformed");
    expect(reason(`${payload}.AQEBAQEBAQEB.9Al9aNpOuMtMjQkzFpa3vCJyTcU`)).toBe("malformed");
    expect(reason(`${payload}.ZVPxAB.9Al9aNpOuMtMjQkzFpa3vCJyTcU`)).toBe("malformed"); // non-canonical last character
  });

  it("refuses shapes that are not payload.timestamp.signature", () => {
    for (const value of ["", ".", "...", "a.b.c", payload, `${payload}.ZVPxAA`, `${payload}.ZVPxAA.`, `.${cookie}.x`, ` ${cookie}`, `${cookie} `]) {
      expect(reason(value), JSON.stringify(value)).toBe("malformed");
    }
  });

  it("refuses to sign at a time that is not a positive whole second", () => {
    for (const timestamp of [0, -1, 1.5, Number.NaN]) expect(() => signer.sign(payload, timestamp)).toThrow(expect.objectContaining({ code: "ERR_INVALID_SESSION_DATA" }));
  });
});
