// The fuzzer's seeded randomness and the ways an attacker changes a real cookie value, a Cookie header or a stored record.

/** A seeded source of random choices. */
export interface Random {
  /** A whole number in [0, n). */
  int(n: number): number;
  /** True with probability `p`. */
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  /** `length` characters drawn from `alphabet`. */
  text(length: number, alphabet: string): string;
}

/**
 * A small seeded generator (sfc32): the same seed gives the same inputs on every machine, so a failure replays.
 *
 * @example
 * const random = createRandom(42);
 * random.int(10); // 0..9
 */
export function createRandom(seed: number): Random {
  let a = 0x9e3779b9;
  let b = 0x243f6a88;
  let c = 0xb7e15162;
  let d = seed >>> 0;
  const next = (): number => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 16; i++) next();
  const int = (n: number): number => Math.floor(next() * n);
  return {
    int,
    chance: (p) => next() < p,
    pick: (items) => items[int(items.length)]!,
    text: (length, alphabet) => {
      let out = "";
      for (let i = 0; i < length; i++) out += alphabet[int(alphabet.length)];
      return out;
    },
  };
}

/** The 64 characters of unpadded base64url (RFC 4648 §5), which every tessera cookie value is made of. */
export const base64urlAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
/** What else shows up in cookies, headers and escapes: separators, quotes, controls, non-ASCII, lone surrogates. */
export const hostileAlphabet = `${base64urlAlphabet}+/=.;,"\\% \t\r\n\0\x01\x7f\x80\xffé\u2028\ud800\udfff€`;

/** A mutated input and the name of the mutation that made it, for the report. */
export interface Mutant {
  kind: string;
  value: string;
}

type Mutation = (random: Random, value: string, corpus: readonly string[]) => string;

/**
 * A position in a value of `length` characters, drawn towards the edges: the last characters carry padding bits
 * and the tag, the first ones the version and key id, which is where lax decoders slip.
 */
function position(random: Random, length: number): number {
  if (length === 0) return 0;
  const roll = random.int(10);
  if (roll < 3) return Math.max(0, length - 1 - random.int(4));
  if (roll < 4) return random.int(Math.min(length, 8));
  return random.int(length);
}

function replaceAt(value: string, at: number, text: string, remove = 1): string {
  return value.slice(0, at) + text + value.slice(at + remove);
}

/** Flips one bit in the bytes a base64url segment of `value` carries, writing it back as canonical base64url. */
function flipDecodedBit(random: Random, value: string): string {
  const segments = value.split(".");
  const which = random.int(segments.length);
  const bytes = Buffer.from(segments[which]!, "base64url");
  if (bytes.length === 0) return value + "A";
  const at = random.int(bytes.length * 8);
  bytes[at >> 3]! ^= 1 << (at & 7);
  segments[which] = bytes.toString("base64url");
  return segments.join(".");
}

function toggleCase(char: string): string {
  const upper = char.toUpperCase();
  return upper === char ? char.toLowerCase() : upper;
}

/** The ways a real value is changed: bit flips, truncation, extension, alphabet swaps, case, re-encoding, splicing. */
const valueMutations: Record<string, Mutation> = {
  "bit flip (character)": (random, value) => {
    if (value.length === 0) return "A";
    const at = position(random, value.length);
    return replaceAt(value, at, String.fromCharCode(value.charCodeAt(at) ^ (1 << random.int(8))));
  },
  "bit flip (decoded byte)": (random, value) => flipDecodedBit(random, value),
  "bit flips (several)": (random, value) => {
    let out = value;
    for (let i = 2 + random.int(7); i > 0; i--) out = flipDecodedBit(random, out);
    return out;
  },
  "truncation (end)": (random, value) => value.slice(0, random.int(value.length)),
  "truncation (start)": (random, value) => value.slice(1 + random.int(Math.max(1, value.length - 1))),
  "truncation (middle)": (random, value) => {
    const at = position(random, value.length);
    return value.slice(0, at) + value.slice(at + 1 + random.int(8));
  },
  extension: (random, value) => {
    const tail = random.pick([random.text(1 + random.int(4), base64urlAlphabet), random.text(1 + random.int(40), hostileAlphabet), "=", "==", ".", `.${random.text(50, base64urlAlphabet)}`, value]);
    return random.chance(0.8) ? value + tail : tail + value;
  },
  "base64 alphabet swap": (random, value) => {
    const swaps: [string, string][] = [["-", "+"], ["_", "/"], ["+", "-"], ["/", "_"]];
    const [from, to] = random.pick(swaps);
    if (random.chance(0.5)) return value.split(from).join(to);
    return replaceAt(value, position(random, value.length), random.pick(["+", "/", "=", random.pick([...base64urlAlphabet])]));
  },
  "case change": (random, value) => {
    const kind = random.int(4);
    if (kind === 0) return value.toUpperCase();
    if (kind === 1) return value.toLowerCase();
    if (kind === 2) return [...value].map(toggleCase).join("");
    const at = position(random, value.length);
    return replaceAt(value, at, toggleCase(value[at] ?? "a"));
  },
  "re-encoding": (random, value) => {
    const segments = value.split(".");
    switch (random.int(7)) {
      case 0:
        return segments.map((segment) => Buffer.from(segment, "base64url").toString("base64")).join(".");
      case 1:
        return encodeURIComponent(segments.map((segment) => Buffer.from(segment, "base64url").toString("base64")).join("."));
      case 2:
        return [...value].map((char) => (random.chance(0.1) ? `%${char.charCodeAt(0).toString(16).padStart(2, "0").toUpperCase()}` : char)).join("");
      case 3:
        return Buffer.from(value).toString("base64url");
      case 4:
        return segments.map((segment) => Buffer.from(segment, "base64url").toString("hex")).join(".");
      case 5:
        return `"${value}"${random.pick(["", "x", '"'])}`;
      default:
        return segments.map((segment) => Buffer.from(Buffer.from(segment, "base64url").toString("latin1"), "latin1").toString("base64url")).reverse().join(".");
    }
  },
  splice: (random, value, corpus) => {
    const other = random.pick(corpus);
    const dot = value.lastIndexOf(".");
    const otherDot = other.lastIndexOf(".");
    // Signed values: one value's payload under another's signature. Otherwise any prefix with any suffix.
    if (dot > 0 && otherDot > 0 && random.chance(0.5)) return value.slice(0, dot) + other.slice(otherDot);
    return value.slice(0, random.int(value.length + 1)) + other.slice(random.int(other.length + 1));
  },
  insertion: (random, value) => replaceAt(value, position(random, value.length + 1), random.text(1 + random.int(3), hostileAlphabet), 0),
  "character swap": (random, value) => {
    const i = random.int(value.length);
    const j = random.int(value.length);
    const chars = [...value];
    [chars[i], chars[j]] = [chars[j]!, chars[i]!];
    return chars.join("");
  },
  random: (random) => random.text(random.int(random.chance(0.1) ? 5000 : 400), random.chance(0.5) ? base64urlAlphabet + "." : hostileAlphabet),
};

const valueMutationNames = Object.keys(valueMutations);

/**
 * A real value changed one way (one mutation in four is followed by a second), never equal to the value itself.
 *
 * @example
 * const { kind, value } = mutateValue(random, genuine, corpus);
 */
export function mutateValue(random: Random, value: string, corpus: readonly string[]): Mutant {
  for (;;) {
    const kind = random.pick(valueMutationNames);
    let out = valueMutations[kind]!(random, value, corpus);
    let name = kind;
    if (random.chance(0.25)) {
      const second = random.pick(valueMutationNames);
      out = valueMutations[second]!(random, out, corpus);
      name = `${kind} + ${second}`;
    }
    if (out !== value) return { kind: name, value: out };
  }
}

/** Cookie header pieces an attacker plays with, around the session cookie's own name. */
function headerPieces(name: string): string[] {
  return [";", "; ", ";;", "=", "==", '"', " ", "\t", ",", "%", "%3B", "\r\n", "\0", "\x7f", "é", "\ud800", `${name}`, `${name}=`, `"${name}"=x`, `${name.toUpperCase()}=x`, `__Host-${name}=x`, `${encodeURIComponent(name).replace(/-/g, "%2D")}=x`, "a=b", "_ga=GA1.2.3.4", "=x", "x="];
}

/**
 * A Cookie header holding mutated session values (one to three, at times up to eight, so duplicates are exercised), other
 * cookies and hostile pieces; one header in a thousand is padded to 64 KiB.
 *
 * @example
 * const { kind, value: header } = mutateHeader(random, "sid", corpus);
 */
export function mutateHeader(random: Random, name: string, corpus: readonly string[]): Mutant {
  const pieces = headerPieces(name);
  const parts: string[] = [];
  const sessionValues = 1 + random.int(random.chance(0.1) ? 8 : 3);
  const kinds: string[] = [];
  for (let i = 0; i < sessionValues; i++) {
    const mutant = mutateValue(random, random.pick(corpus), corpus);
    kinds.push(mutant.kind);
    parts.push(`${random.chance(0.1) ? " " : ""}${name}${random.chance(0.05) ? " " : ""}=${mutant.value}`);
  }
  for (let i = random.int(8); i > 0; i--) parts.splice(random.int(parts.length + 1), 0, random.pick(pieces) + (random.chance(0.3) ? random.text(random.int(20), hostileAlphabet) : ""));
  let header = parts.join(random.pick(["; ", ";", ";;", " ; "]));
  if (random.chance(0.001)) {
    const filler = random.pick([";", "=", "a=b;", `${name}=;`, '"', "%00", " "]);
    header = filler.repeat(Math.ceil(65_536 / filler.length)).slice(0, 65_536 - header.length) + header;
  }
  return { kind: `header of ${sessionValues} values: ${kinds.join(", ")}`, value: header };
}

/** JSON values that break naive readers: prototype keys, deep nesting, huge and odd numbers, escapes. */
const hostileJson = [
  "null",
  "-0",
  "1e309",
  "-1e309",
  "9007199254740993",
  "1.5",
  '"\\u0000"',
  '"\\ud800"',
  '"__proto__"',
  '{"__proto__":{"polluted":true}}',
  '{"constructor":{"prototype":{"polluted":true}}}',
  '{"prototype":1}',
  "[]",
  "{}",
  `${"[".repeat(70)}${"]".repeat(70)}`,
  `${'{"a":'.repeat(70)}1${"}".repeat(70)}`,
  `${"[".repeat(5000)}${"]".repeat(5000)}`,
  '"' + "x".repeat(10_000) + '"',
  "true",
  '{"toString":1,"valueOf":2,"hasOwnProperty":3}',
];

const wireFields = ["v", "c", "s", "u", "a", "d", "f"];

/**
 * A stored record's text changed one way: the value mutations above, or a JSON-aware change (a field replaced
 * by a hostile value, removed, duplicated, wrapped).
 *
 * @example
 * const { value: text } = mutateRecord(random, encodeRecord(record), corpus);
 */
export function mutateRecord(random: Random, text: string, corpus: readonly string[]): Mutant {
  if (random.chance(0.4)) return mutateValue(random, text, corpus);
  const wire = JSON.parse(text) as Record<string, unknown>;
  const field = random.pick(wireFields);
  const replacement = random.pick(hostileJson);
  switch (random.int(7)) {
    case 0:
      return { kind: `field ${field} replaced`, value: JSON.stringify({ ...wire, [field]: "@@" }).replace('"@@"', replacement) };
    case 1: {
      const copy = { ...wire };
      delete copy[field];
      return { kind: `field ${field} removed`, value: JSON.stringify(copy) };
    }
    case 2:
      return { kind: `field ${field} duplicated`, value: text.replace(/}$/, `,"${field}":${replacement}}`) };
    case 3:
      return { kind: "data key replaced", value: JSON.stringify({ ...wire, d: { "@@": 1 } }).replace('"@@":1', `"${random.pick(["__proto__", "constructor", "prototype", "", "\\u0000"])}":${replacement}`) };
    case 4:
      return { kind: "wrapped", value: random.pick([`[${text}]`, `\ufeff${text}`, ` ${text} `, `${text}${text}`, `{"d":${text}}`]) };
    case 5:
      return { kind: "flash replaced", value: JSON.stringify({ ...wire, f: "@@" }).replace('"@@"', replacement) };
    default:
      return { kind: "version changed", value: JSON.stringify({ ...wire, v: random.pick([0, 2, "1", 1.0000001, null, -1]) }) };
  }
}
