// The fuzz run of test/fuzz.test.ts and `npm run fuzz`: mutated cookie values, headers and stored records fed to the parser, the manager and decodeRecord.
//
// A crash is any thrown value where the API documents none (parse, load) or another than CodecError
// (decodeRecord); a forgery is a mutated or random value that opens a session.

import fc from "fast-check";
import { createSessions, type Sessions } from "../../src/index.js";
import { readCookieValues } from "../../src/cookie/parse.js";
import { CodecError } from "../../src/core/errors.js";
import type { SessionRecord } from "../../src/core/record.js";
import { decodeRecord, encodeRecord } from "../../src/core/wire.js";
import { memoryStore } from "../../src/stores/memory/index.js";
import { recordArb } from "./arbitraries.js";
import { createRandom, mutateHeader, mutateRecord, mutateValue, type Mutant, type Random } from "./mutate.js";

/**
 * The targets and their share of the inputs.
 *
 * @example
 * Math.round(inputs * targetShares["store records (decodeRecord)"]);
 */
export const targetShares = {
  "Cookie headers (parser, then the sealed-cookie manager)": 0.25,
  "cookie values, cookie mode (sealed)": 0.2,
  "cookie values, cookie mode (signed)": 0.15,
  "cookie values, store mode (memory store)": 0.15,
  "store records (decodeRecord)": 0.25,
} as const;

export type TargetName = keyof typeof targetShares;

/** One input that broke a rule, with what is needed to replay it. */
export interface Finding {
  target: TargetName;
  /** The input's position in its target's sequence for this seed. */
  index: number;
  mutation: string;
  /** The input, JSON-escaped and cut to 160 characters. */
  input: string;
  /** For a crash, what was thrown. */
  thrown?: string;
}

export interface FuzzSummary {
  seed: number;
  inputs: number;
  perTarget: Record<TargetName, number>;
  crashes: number;
  forgeries: number;
  /** The first findings of each kind (at most 10), to print. */
  crashFindings: Finding[];
  forgeryFindings: Finding[];
  milliseconds: number;
}

export interface FuzzOptions {
  seed: number;
  /** Inputs in all, split between the targets by `targetShares`. */
  inputs: number;
  /** Called about every `progressEvery` inputs. */
  onProgress?: (done: number, summary: FuzzSummary) => void;
  progressEvery?: number;
}

const secret = "fuzz-secret-0123456789abcdef-0123456789";
const now = Date.UTC(2026, 0, 1, 12);
const cookieName = "sid";

/** What a target does with one input: throws for a crash, returns true when a session opened. */
type Probe = (input: string) => boolean | Promise<boolean>;

interface Target {
  name: TargetName;
  /** Real values (or records) the mutations start from. */
  corpus: string[];
  mutate(random: Random, corpus: readonly string[]): Mutant;
  probe: Probe;
  /** Whether the input, as the parser hands it over, is one of the real values (then opening it is no forgery). */
  isGenuine(input: string): boolean;
}

/** Records for the corpus: fast-check's own, from the seed, with metadata the manager's timeouts accept. */
function corpusRecords(seed: number, count: number): SessionRecord[] {
  return fc
    .sample(recordArb, { seed, numRuns: count * 3 })
    // Sessions of the size real cookies carry (most under 600 bytes of JSON), so inputs stay cheap enough to be many.
    .filter((record) => encodeRecord(record).length <= 600)
    .slice(0, count)
    .map((record) => ({ ...record, meta: { ...record.meta, createdAt: now - 60_000, lastSeenAt: now - 1_000 } }));
}

/** Issues a real cookie value for each record through the public flow (load, set, flash, signIn, commit). */
async function issue(sessions: Sessions, records: readonly SessionRecord[]): Promise<string[]> {
  const values: string[] = [];
  for (const record of records) {
    const session = await sessions.loadFrom({ cookie: undefined, secure: false });
    for (const [key, value] of Object.entries(record.data)) session.set(key, value);
    for (const [key, value] of Object.entries(record.flash)) session.flash(key, value);
    if (record.meta.userId !== undefined) await session.signIn(record.meta.userId);
    session.set("issued", values.length);
    try {
      const [header] = (await sessions.commitHeaders(session)).setCookie;
      values.push(header!.slice(cookieName.length + 1, header!.indexOf(";")));
    } catch (error) {
      // Too large for a cookie: such a session is never issued.
      if (!(error instanceof Error && (error as { code?: string }).code === "ERR_COOKIE_TOO_LARGE")) throw error;
    }
  }
  // Every real value opens its session, or the run could not tell a forgery from a refusal.
  for (const value of values) {
    if ((await sessions.loadFrom({ cookie: `${cookieName}=${value}`, secure: false })).isNew) throw new Error("fuzz corpus: a real value did not open");
  }
  return values;
}

function valueTarget(name: TargetName, sessions: Sessions, corpus: string[]): Target {
  const genuine = new Set(corpus);
  return {
    name,
    corpus,
    mutate: (random, values) => mutateValue(random, random.pick(values), values),
    async probe(value) {
      const session = await sessions.loadFrom({ cookie: `${cookieName}=${value}`, secure: false });
      return !session.isNew;
    },
    // What the manager reads is what the parser hands over: "sid=<real>; x" or a quoted real value is no forgery.
    isGenuine: (value) => readCookieValues(`${cookieName}=${value}`, cookieName, Infinity).some((read) => genuine.has(read)),
  };
}

async function createTargets(seed: number): Promise<{ targets: Target[]; close(): Promise<void> }> {
  const options = { secrets: [secret], cookie: { name: cookieName }, clock: () => now };
  const sealed = createSessions({ ...options, codec: "sealed" });
  const signed = createSessions({ ...options, codec: "signed" });
  const stored = createSessions({ ...options, store: memoryStore({ gcInterval: false }) });
  const records = corpusRecords(seed, 48);
  const sealedValues = await issue(sealed, records);
  const signedValues = await issue(signed, records);
  const tokens = await issue(stored, records);
  const recordTexts = records.map((record) => encodeRecord(record));
  const sealedGenuine = new Set(sealedValues);

  const headers: Target = {
    name: "Cookie headers (parser, then the sealed-cookie manager)",
    corpus: sealedValues,
    mutate: (random, values) => mutateHeader(random, cookieName, values),
    async probe(header) {
      const values = readCookieValues(header, cookieName, 64);
      if (!Array.isArray(values) || values.length > 64 || values.some((value) => typeof value !== "string" || !header.includes(value))) {
        throw new Error("readCookieValues returned something that is not values read from the header");
      }
      return !(await sealed.loadFrom({ cookie: header, secure: false })).isNew;
    },
    isGenuine: (header) => readCookieValues(header, cookieName, Infinity).some((value) => sealedGenuine.has(value)),
  };

  const storeRecords: Target = {
    name: "store records (decodeRecord)",
    corpus: recordTexts,
    mutate: (random, texts) => mutateRecord(random, random.pick(texts), texts),
    probe(text) {
      let record: SessionRecord;
      try {
        record = decodeRecord(text);
      } catch (error) {
        if (error instanceof CodecError) return false;
        throw error;
      }
      // Accepted: it must be a record the library could have written, and nothing may have leaked into prototypes.
      if (JSON.stringify(decodeRecord(encodeRecord(record))) !== JSON.stringify(record)) throw new Error("decodeRecord accepted a record that does not round-trip");
      if (({} as Record<string, unknown>).polluted !== undefined) throw new Error("decodeRecord polluted Object.prototype");
      return false;
    },
    isGenuine: () => true,
  };

  return {
    targets: [
      headers,
      valueTarget("cookie values, cookie mode (sealed)", sealed, sealedValues),
      valueTarget("cookie values, cookie mode (signed)", signed, signedValues),
      valueTarget("cookie values, store mode (memory store)", stored, tokens),
      storeRecords,
    ],
    async close() {
      await Promise.all([sealed.close(), signed.close(), stored.close()]);
    },
  };
}

function describeThrown(error: unknown): string {
  if (error instanceof Error) return `${error.name}${(error as { code?: string }).code ? ` ${(error as { code?: string }).code}` : ""}: ${error.message.split("\n")[0]!.slice(0, 200)}`;
  return `non-Error ${typeof error}: ${String(error).slice(0, 200)}`;
}

/**
 * Runs the fuzzer: `inputs` inputs in all, split between the targets, each target drawing from its own
 * generator seeded from `seed`, so any finding replays with the same seed.
 *
 * @example
 * const summary = await runFuzz({ seed: 1, inputs: 200_000 });
 * if (summary.crashes + summary.forgeries > 0) process.exitCode = 1;
 */
export async function runFuzz(options: FuzzOptions): Promise<FuzzSummary> {
  const started = performance.now();
  const { targets, close } = await createTargets(options.seed);
  const summary: FuzzSummary = {
    seed: options.seed,
    inputs: 0,
    perTarget: Object.fromEntries(targets.map((target) => [target.name, 0])) as Record<TargetName, number>,
    crashes: 0,
    forgeries: 0,
    crashFindings: [],
    forgeryFindings: [],
    milliseconds: 0,
  };
  const every = options.progressEvery ?? 100_000;
  // The targets take turns in blocks, so progress shows all of them moving.
  const block = 1000;
  const quotas = targets.map((target) => Math.round(options.inputs * targetShares[target.name]));
  const randoms = targets.map((_, i) => createRandom((options.seed ^ Math.imul(i + 1, 0x9e3779b1)) >>> 0));
  // Most inputs end in a CodecError; capturing a stack for each is a sixth of the run's time and tells nothing here.
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    for (let round = 0; quotas.some((quota, i) => summary.perTarget[targets[i]!.name] < quota); round++) {
      for (let t = 0; t < targets.length; t++) {
        const target = targets[t]!;
        const random = randoms[t]!;
        const end = Math.min(quotas[t]!, (round + 1) * block);
        for (let index = summary.perTarget[target.name]; index < end; index++) {
          const mutant = target.mutate(random, target.corpus);
          const finding = (): Finding => ({ target: target.name, index, mutation: mutant.kind, input: JSON.stringify(mutant.value).slice(0, 160) });
          let opened: boolean;
          try {
            opened = await target.probe(mutant.value);
          } catch (error) {
            summary.crashes++;
            if (summary.crashFindings.length < 10) summary.crashFindings.push({ ...finding(), thrown: describeThrown(error) });
            opened = false;
          }
          if (opened && !target.isGenuine(mutant.value)) {
            summary.forgeries++;
            if (summary.forgeryFindings.length < 10) summary.forgeryFindings.push(finding());
          }
          summary.perTarget[target.name]++;
          summary.inputs++;
          if (options.onProgress && summary.inputs % every === 0) {
            summary.milliseconds = performance.now() - started;
            options.onProgress(summary.inputs, summary);
          }
        }
      }
    }
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
    await close();
  }
  summary.milliseconds = performance.now() - started;
  return summary;
}

/**
 * The summary in one line, as `npm run fuzz` prints it last.
 *
 * @example
 * console.log(summaryLine(summary));
 */
export function summaryLine(summary: FuzzSummary): string {
  const n = (value: number) => value.toLocaleString("en-US");
  return `fuzz: ${n(summary.inputs)} inputs, ${n(summary.crashes)} crashes, ${n(summary.forgeries)} forgeries accepted, ${(summary.milliseconds / 1000).toFixed(1)} s (seed ${summary.seed})`;
}

/**
 * Every finding, one per line, with the seed to replay it.
 *
 * @example
 * if (summary.crashes > 0) console.error(findingsReport(summary));
 */
export function findingsReport(summary: FuzzSummary): string {
  const lines = [`replay with: npm run fuzz -- --seed ${summary.seed} --inputs ${summary.inputs}`];
  for (const finding of summary.crashFindings) lines.push(`crash    ${finding.target} #${finding.index} (${finding.mutation}): ${finding.thrown} <- ${finding.input}`);
  for (const finding of summary.forgeryFindings) lines.push(`forgery  ${finding.target} #${finding.index} (${finding.mutation}): ${finding.input}`);
  return lines.join("\n");
}
