// express-session's signed cookie: every interop vector, and agreement with express-session's own cookie-signature.

import fc from "fast-check";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { TesseraError } from "../core/errors.js";
import { decodeCookieValue, expressSecrets, signExpressSessionId, verifyExpressSessionId } from "./express-signature.js";

interface ExpressVector {
  id: string;
  category: "positive" | "negative";
  secret: string | string[];
  signed_with: string | null;
  session_id: string;
  cookie_value: string;
  cookie_value_decoded: string;
  expected_valid: boolean;
  cookie_signature_sign?: string;
}

const vectors = (JSON.parse(readFileSync(new URL("../../test/interop/express_vectors.json", import.meta.url), "utf8")) as { vectors: ExpressVector[] }).vectors;
// The cookie-signature release express-session 1.19 itself uses (1.0.7), not the top-level one.
const require = createRequire(import.meta.url);
const expressSessionSignature = require(require.resolve("cookie-signature", { paths: [require.resolve("express-session")] })) as {
  sign(value: string, secret: string): string;
  unsign(value: string, secret: string): string | false;
};

describe("express-session interop vectors (express_vectors.json)", () => {
  it("has the 17 vectors FORMAT.md describes, 7 positive and 10 negative", () => {
    expect(vectors).toHaveLength(17);
    expect(vectors.filter((v) => v.expected_valid)).toHaveLength(7);
  });

  for (const vector of vectors) {
    it(`${vector.expected_valid ? "accepts" : "rejects"} ${vector.id}`, () => {
      const keys = expressSecrets(vector.secret);
      const decoded = decodeCookieValue(vector.cookie_value);
      expect(decoded).toBe(vector.cookie_value_decoded);
      const verdict = verifyExpressSessionId(decoded, keys);
      if (vector.expected_valid) expect(verdict).toEqual({ id: vector.session_id });
      else expect(verdict).toHaveProperty("failure");
    });
  }

  for (const vector of vectors.filter((v) => v.signed_with !== null && v.cookie_signature_sign !== undefined)) {
    it(`signs ${vector.id} exactly as cookie-signature did`, () => {
      expect(signExpressSessionId(vector.session_id, expressSecrets(vector.signed_with!))).toBe(`s:${vector.cookie_signature_sign}`);
    });
  }
});

describe("verifyExpressSessionId", () => {
  const keys = expressSecrets(["keyboard cat", "old keyboard cat"]);

  it("rejects a cookie whose last signature character was changed", () => {
    const value = signExpressSessionId("abc", keys);
    const flipped = value.slice(0, -1) + (value.endsWith("A") ? "B" : "A");
    expect(verifyExpressSessionId(value, keys)).toEqual({ id: "abc" });
    expect(verifyExpressSessionId(flipped, keys)).toEqual({ failure: "bad_signature" });
  });

  it("rejects the URL-safe spelling of a valid signature", () => {
    const value = signExpressSessionId("tessera-session-0000000000000000", keys);
    expect(value).toMatch(/[+/]/);
    expect(verifyExpressSessionId(value.replaceAll("+", "-").replaceAll("/", "_"), keys)).toEqual({ failure: "bad_signature" });
  });

  it("tries the secrets in order: a cookie of the second verifies, one of neither does not", () => {
    const old = signExpressSessionId("abc", expressSecrets("old keyboard cat"));
    expect(verifyExpressSessionId(old, keys)).toEqual({ id: "abc" });
    expect(verifyExpressSessionId(old, expressSecrets("keyboard cat"))).toEqual({ failure: "bad_signature" });
  });

  it("cuts at the last dot, so an id may hold dots", () => {
    expect(verifyExpressSessionId(signExpressSessionId("a.b.c", keys), keys)).toEqual({ id: "a.b.c" });
  });

  it("calls an empty id or a value without a dot malformed", () => {
    expect(verifyExpressSessionId("s:.abc", keys)).toEqual({ failure: "malformed" });
    expect(verifyExpressSessionId("s:abc", keys)).toEqual({ failure: "malformed" });
    expect(verifyExpressSessionId("abc.def", keys)).toEqual({ failure: "malformed" });
  });

  it("refuses no secret, an empty one or a non-string, naming the option", () => {
    expect(() => expressSecrets([])).toThrow(TesseraError);
    expect(() => expressSecrets([""])).toThrow(/secrets\[0\]/);
    expect(() => expressSecrets([42 as unknown as string])).toThrow(/secrets\[0\]/);
  });

  it("accepts exactly what express-session's cookie-signature accepts, for any id, secrets and mutation", () => {
    const text = fc.string({ unit: fc.constantFrom(..."aZ09-_.:+/=% \u00e9\u{1F680}"), maxLength: 40 });
    fc.assert(
      fc.property(
        text,
        fc.array(fc.string({ minLength: 1, maxLength: 20 }), { minLength: 1, maxLength: 3 }),
        fc.nat(2),
        fc.option(fc.tuple(fc.nat(80), text), { nil: undefined }),
        (id, secrets, signer, mutation) => {
          let value = expressSessionSignature.sign(id, secrets[Math.min(signer, secrets.length - 1)]!);
          if (mutation) value = value.slice(0, mutation[0]) + mutation[1] + value.slice(mutation[0] + mutation[1].length);
          // express-session's unsigncookie: the first secret whose unsign gives a string; "" counts as no cookie.
          let expected: string | false = false;
          for (const secret of secrets) {
            expected = expressSessionSignature.unsign(value, secret);
            if (expected !== false) break;
          }
          const verdict = verifyExpressSessionId(`s:${value}`, expressSecrets(secrets));
          if (expected === false || expected === "") expect(verdict).toHaveProperty("failure");
          else expect(verdict).toEqual({ id: expected });
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe("decodeCookieValue", () => {
  it("decodes only values holding a %, and keeps a value whose escapes are broken", () => {
    expect(decodeCookieValue("s:abc.d+e")).toBe("s:abc.d+e");
    expect(decodeCookieValue("s%3Aabc.d%2Be")).toBe("s:abc.d+e");
    expect(decodeCookieValue("s%3Aabc%E0%A4%A")).toBe("s%3Aabc%E0%A4%A");
  });
});
