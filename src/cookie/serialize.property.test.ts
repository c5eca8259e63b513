// Properties of the Set-Cookie serializer and the cookie options: every header reads back as written, and every
// injection (separators, CR/LF, NUL, spaces, non-ASCII, prefix spoofing) is refused with a TesseraError.

import { parseSetCookie } from "cookie";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { TesseraError } from "../core/errors.js";
import { createSessions, type Sessions } from "../index.js";
import type { CookieOptions } from "./options.js";
import { createSetCookieWriter, maxCookieBytes, type CookieAttributes } from "./serialize.js";

const seed = 0x5e7c00c;

/** RFC 6265 §4.1.1 cookie-name: an RFC 7230 token. */
const tokenRegExp = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** RFC 6265 §4.1.1 cookie-octet, unquoted. */
const cookieOctetsRegExp = /^[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]*$/;
/** RFC 6265bis §4.1.3: names browsers hold to the prefix rules, matched case-insensitively. */
const hostPrefixRegExp = /^__host-/i;
const securePrefixRegExp = /^__secure-/i;
/** Whether `text` holds a US-ASCII control character (CTL in RFC 5234). */
const hasControl = (text: string): boolean => [...text].some((char) => char.charCodeAt(0) < 0x20 || char.charCodeAt(0) === 0x7f);
/** Whether `text` holds what a path-value may not (RFC 6265 §4.1.1: CTLs and ";") or anything outside US-ASCII. */
const hasBadPathChar = (text: string): boolean => hasControl(text) || text.includes(";") || [...text].some((char) => char.charCodeAt(0) > 0x7e);

const tokenArb = fc.stringMatching(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,16}$/);
const octetsArb = fc.stringMatching(/^[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]{0,64}$/);
/** RFC 6265 §4.1.1 path-value, led by "/" and not ending in a space (RFC 6265 §5.2: browsers trim it off). */
const pathArb = fc.stringMatching(/^\/(?:[\x20-\x3A\x3D-\x7E]{0,24}[\x21-\x3A\x3D-\x7E])?$/);
const domainArb = fc.domain();

/** Characters an injection is made of. */
const hostileUnitArb = fc.oneof(
  fc.constantFrom(";", ",", " ", "\t", "\r", "\n", "\r\n", "\0", '"', "\\", "=", "\x7f", "\x01", "é", "\u2028", "\ud800", "%0D%0A", "; Domain=evil.example", "; Path=/", "; Secure"),
  fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)),
);

/** A string with at least one hostile piece somewhere among grammatical characters. */
function withInjection(base: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc
    .tuple(base, fc.array(hostileUnitArb, { minLength: 1, maxLength: 3 }), fc.nat())
    .map(([text, units, at]) => {
      const i = text.length === 0 ? 0 : at % (text.length + 1);
      return text.slice(0, i) + units.join("") + text.slice(i);
    });
}

const attributesArb: fc.Arbitrary<CookieAttributes> = fc
  .record({
    path: pathArb,
    domain: fc.option(domainArb, { nil: undefined }),
    httpOnly: fc.boolean(),
    sameSite: fc.constantFrom("lax" as const, "strict" as const, "none" as const),
    secure: fc.boolean(),
    partitioned: fc.boolean(),
  })
  .map((attributes) => ({ ...attributes, partitioned: attributes.partitioned && attributes.secure }));

const maxAgeArb = fc.option(fc.integer({ min: 0, max: 400 * 24 * 3600 }), { nil: undefined });

/** Runs `fn`; a TesseraError is returned, anything else thrown fails the property. */
function refusal(fn: () => unknown): TesseraError | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof TesseraError) return error;
    throw new Error(`threw ${Object.prototype.toString.call(error)} (${String(error).slice(0, 80)}) instead of a TesseraError`);
  }
  return undefined;
}

/** Whether `header`, parsed as a browser's cookie jar would (no decoding), is exactly this cookie. */
function readsBackAs(header: string, name: string, value: string, attributes: CookieAttributes, maxAge: number | undefined): void {
  expect(hasControl(header)).toBe(false);
  const parsed = parseSetCookie(header, { decode: (text) => text });
  expect(parsed.name).toBe(name);
  expect(parsed.value).toBe(value);
  expect(parsed.path).toBe(attributes.path);
  expect(parsed.domain).toBe(attributes.domain);
  expect(parsed.httpOnly ?? false).toBe(attributes.httpOnly);
  expect(parsed.secure ?? false).toBe(attributes.secure);
  expect(parsed.partitioned ?? false).toBe(attributes.partitioned);
  expect(parsed.sameSite).toBe(attributes.sameSite);
  expect(parsed.maxAge).toBe(maxAge);
  // Every "; " is one of ours: name=value, Path, SameSite, then the optional attributes, nothing smuggled.
  const expected = 3 + (attributes.domain ? 1 : 0) + (maxAge === undefined ? 0 : 2) + [attributes.httpOnly, attributes.secure, attributes.partitioned].filter(Boolean).length;
  expect(header.split("; ")).toHaveLength(expected);
}

/** Attributes a prefixed name requires, so that only the property under test can make them fail. */
function fitPrefix(name: string, attributes: CookieAttributes): CookieAttributes {
  if (hostPrefixRegExp.test(name)) return { ...attributes, secure: true, path: "/", domain: undefined };
  if (securePrefixRegExp.test(name)) return { ...attributes, secure: true };
  return attributes;
}

describe("Set-Cookie serializer properties", () => {
  it("writes a header that reads back as the same name, value and attributes, for everything the grammar allows", () => {
    const nameArb = fc.oneof(tokenArb, tokenArb.map((name) => `__Host-${name}`), tokenArb.map((name) => `__Secure-${name}`));
    fc.assert(
      fc.property(nameArb, octetsArb, attributesArb, maxAgeArb, (name, value, attributes, maxAge) => {
        const fitted = fitPrefix(name, attributes);
        readsBackAs(createSetCookieWriter(name, fitted)(value, maxAge), name, value, fitted, maxAge);
      }),
      { seed, numRuns: 2000 },
    );
  });

  it("refuses with a TesseraError any name outside the cookie-name token grammar", () => {
    fc.assert(
      fc.property(withInjection(tokenArb), attributesArb, (name, attributes) => {
        fc.pre(!tokenRegExp.test(name));
        expect(refusal(() => createSetCookieWriter(name, attributes))?.code).toBe("ERR_INVALID_OPTION");
      }),
      { seed, numRuns: 2000 },
    );
  });

  it("refuses with a TesseraError any value outside cookie-octets: ; , CR LF NUL spaces quotes backslash non-ASCII", () => {
    fc.assert(
      fc.property(tokenArb, withInjection(octetsArb), attributesArb, maxAgeArb, (name, value, attributes, maxAge) => {
        fc.pre(!cookieOctetsRegExp.test(value));
        const write = createSetCookieWriter(name, fitPrefix(name, attributes));
        expect(refusal(() => write(value, maxAge))).toBeInstanceOf(TesseraError);
      }),
      { seed, numRuns: 2000 },
    );
  });

  it("refuses with a TesseraError a path or domain carrying a separator, CR LF, NUL or non-ASCII", () => {
    const badPathArb = withInjection(pathArb).filter(hasBadPathChar);
    const badDomainArb = withInjection(domainArb).filter((domain) => /[^A-Za-z0-9.-]/.test(domain));
    fc.assert(
      fc.property(tokenArb, attributesArb, fc.oneof(badPathArb.map((path) => ({ path })), badDomainArb.map((domain) => ({ domain }))), (name, attributes, bad) => {
        expect(refusal(() => createSetCookieWriter(name, { ...attributes, ...bad }))?.code).toBe("ERR_INVALID_OPTION");
      }),
      { seed, numRuns: 2000 },
    );
  });

  it("refuses a __Host- name in any case with a Domain, another Path or no Secure, and a __Secure- name without Secure", () => {
    const caseArb = (prefix: string) =>
      fc.array(fc.boolean(), { minLength: prefix.length, maxLength: prefix.length }).map((upper) => [...prefix].map((c, i) => (upper[i] ? c.toUpperCase() : c.toLowerCase())).join(""));
    const spoofArb = fc.oneof(
      fc.record({
        name: fc.tuple(caseArb("__host-"), tokenArb).map(([prefix, name]) => prefix + name),
        attributes: attributesArb.filter((attributes) => !attributes.secure || attributes.path !== "/" || attributes.domain !== undefined),
      }),
      fc.record({
        name: fc.tuple(caseArb("__secure-"), tokenArb).map(([prefix, name]) => prefix + name),
        attributes: attributesArb.map((attributes) => ({ ...attributes, secure: false, partitioned: false })),
      }),
    );
    fc.assert(
      fc.property(spoofArb, ({ name, attributes }) => {
        expect(refusal(() => createSetCookieWriter(name, attributes))?.code).toBe("ERR_INVALID_OPTION");
      }),
      { seed, numRuns: 2000 },
    );
  });

  it("never emits a header that reads back as anything else: any input is refused with a TesseraError or read back exactly", () => {
    const maybeHostile = (arb: fc.Arbitrary<string>) => fc.oneof(arb, withInjection(arb));
    fc.assert(
      fc.property(
        maybeHostile(fc.oneof(tokenArb, tokenArb.map((name) => `__Host-${name}`))),
        maybeHostile(octetsArb),
        attributesArb,
        fc.option(maybeHostile(pathArb), { nil: undefined }),
        fc.option(maybeHostile(domainArb), { nil: undefined }),
        maxAgeArb,
        (name, value, base, path, domain, maxAge) => {
          const attributes = { ...base, path: path ?? base.path, domain: domain ?? base.domain };
          let header: string | undefined;
          const error = refusal(() => (header = createSetCookieWriter(name, attributes)(value, maxAge)));
          if (error !== undefined) return;
          readsBackAs(header!, name, value, attributes, maxAge);
          expect(tokenRegExp.test(name)).toBe(true);
          expect(cookieOctetsRegExp.test(value)).toBe(true);
          if (hostPrefixRegExp.test(name)) expect([attributes.secure, attributes.path, attributes.domain]).toEqual([true, "/", undefined]);
        },
      ),
      { seed, numRuns: 3000 },
    );
  });

  it("refuses a cookie whose name and value pass the browser limit with ERR_COOKIE_TOO_LARGE", () => {
    fc.assert(
      fc.property(tokenArb, fc.integer({ min: 0, max: 64 }), (name, over) => {
        const write = createSetCookieWriter(name, { path: "/", domain: undefined, httpOnly: true, sameSite: "lax", secure: false, partitioned: false });
        const fits = "v".repeat(maxCookieBytes - name.length);
        expect(write(fits, 60).startsWith(`${name}=${fits};`)).toBe(true);
        expect(refusal(() => write(fits + "v".repeat(over + 1), 60))?.code).toBe("ERR_COOKIE_TOO_LARGE");
      }),
      { seed, numRuns: 200 },
    );
  });
});

describe("cookie options properties", () => {
  const optionsArb: fc.Arbitrary<CookieOptions> = fc.record(
    {
      name: fc.oneof(tokenArb, withInjection(tokenArb), fc.constantFrom("__Host-sid", "__host-sid", "__SECURE-sid", '"__Host-sid"')),
      path: fc.oneof(pathArb, withInjection(pathArb), fc.constantFrom("relative", "/ ", " /")),
      domain: fc.oneof(domainArb, withInjection(domainArb)),
      sameSite: fc.constantFrom("lax" as const, "strict" as const, "none" as const),
      secure: fc.constantFrom(true, false, "auto" as const),
      httpOnly: fc.boolean(),
      partitioned: fc.boolean(),
      prefix: fc.constantFrom("host" as const, "secure" as const),
    },
    { requiredKeys: [] },
  );

  it("createSessions refuses cookie options with ERR_INVALID_OPTION at start-up, or every cookie it writes reads back under the prefix rules", async () => {
    await fc.assert(
      fc.asyncProperty(optionsArb, async (options) => {
        let sessions: Sessions | undefined;
        const error = refusal(() => (sessions = createSessions({ secrets: ["cookie-options-property-secret-32-bytes"], cookie: options })));
        if (error !== undefined) {
          expect(error.code).toBe("ERR_INVALID_OPTION");
          return;
        }
        for (const secure of [false, true]) {
          const session = await sessions!.loadFrom({ cookie: undefined, secure });
          session.set("k", 1);
          const [header, ...more] = (await sessions!.commitHeaders(session)).setCookie;
          expect(more).toEqual([]);
          const cookie = parseSetCookie(header!, { decode: (text) => text });
          expect(tokenRegExp.test(cookie.name)).toBe(true);
          expect(cookie.value).toMatch(/^[A-Za-z0-9_.-]+$/);
          expect(cookie.path).toBe(options.path ?? "/");
          expect(cookie.domain).toBe(options.domain);
          expect(cookie.httpOnly ?? false).toBe(options.httpOnly ?? true);
          expect(cookie.partitioned ?? false).toBe(options.partitioned ?? false);
          if (options.secure === true || options.prefix !== undefined) expect(cookie.secure).toBe(true);
          if (options.secure === false) expect(cookie.secure ?? false).toBe(false);
          if (hostPrefixRegExp.test(cookie.name)) expect([cookie.secure, cookie.path, cookie.domain]).toEqual([true, "/", undefined]);
          if (securePrefixRegExp.test(cookie.name)) expect(cookie.secure).toBe(true);
        }
      }),
      { seed, numRuns: 1500 },
    );
  });
});
