// Properties of the Session change log: replaying a request's changes equals doing them, onto any fresher record.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createSealedCodec } from "../codecs/sealed.js";
import { createKeyRing } from "../crypto/keyring.js";
import { createSessions } from "../index.js";
import { toFrozenJson, type JsonValue } from "./data.js";
import type { SessionRecord } from "./record.js";
import { currentRecord, replayChanges, sessionState, type Session } from "./session.js";

const seed = 0x5e55104;
const secret = "session-property-secret-32-bytes-or-more";
const now = Date.UTC(2026, 0, 1);
const sessions = createSessions({ secrets: [secret], cookie: { name: "sid" }, clock: () => now, decodeCacheSize: 0 });
const codec = createSealedCodec(createKeyRing([secret]));

/** A session loaded from `record` by the manager, as a request that sent its cookie would see it. */
async function loadSession(record: SessionRecord): Promise<Session> {
  const empty = Object.keys(record.data).length === 0 && Object.keys(record.flash).length === 0;
  // An empty record is never issued as a cookie; a visitor without one starts from the same empty state.
  const cookie = empty ? undefined : `${sessions.plainCookieName}=${codec.encode(record, { cookieName: sessions.plainCookieName })}`;
  const session = await sessions.loadFrom({ cookie, secure: false });
  expect(session.isNew).toBe(empty);
  return session;
}

/** A few keys, so operations collide on them. */
const keyArb = fc.constantFrom("a", "b", "c", "count", "list");
const flashKeyArb = fc.constantFrom("notice", "error", "a");
const valueArb: fc.Arbitrary<JsonValue> = fc
  .jsonValue({ maxDepth: 3, stringUnit: "binary" })
  .filter((value) => toFrozenJson(value) !== undefined) as fc.Arbitrary<JsonValue>;

/** Pure update functions: they may run again on a fresher value, and must give the same answer for it. */
const updates = {
  increment: (current: unknown) => (typeof current === "number" ? current : 0) + 1,
  append: (current: unknown) => [...(Array.isArray(current) ? (current as JsonValue[]) : []), "x"],
  negate: (current: unknown) => !current,
  constant: () => "c",
} as const;

type Op =
  | { op: "set"; key: string; value: JsonValue }
  | { op: "delete"; key: string }
  | { op: "clear" }
  | { op: "update"; key: string; fn: keyof typeof updates }
  | { op: "flash"; key: string; value: JsonValue }
  | { op: "readFlash"; key: string };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.record({ op: fc.constant("set" as const), key: keyArb, value: valueArb }), weight: 4 },
  { arbitrary: fc.record({ op: fc.constant("delete" as const), key: keyArb }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant("clear" as const) }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant("update" as const), key: keyArb, fn: fc.constantFrom(...(Object.keys(updates) as (keyof typeof updates)[])) }), weight: 4 },
  { arbitrary: fc.record({ op: fc.constant("flash" as const), key: flashKeyArb, value: valueArb }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant("readFlash" as const), key: flashKeyArb }), weight: 2 },
);

const dataArb = fc.dictionary(keyArb, valueArb, { maxKeys: 5 });
const flashArb = fc.dictionary(flashKeyArb, valueArb, { maxKeys: 3 });
const recordArb: fc.Arbitrary<SessionRecord> = fc.record({
  data: dataArb,
  flash: flashArb,
  meta: fc.constant({ createdAt: now, lastSeenAt: now }),
});

/** Does `ops` to a session; returns what each readFlash gave. */
function perform(session: Session, ops: readonly Op[]): unknown[] {
  const read: unknown[] = [];
  for (const op of ops) {
    switch (op.op) {
      case "set":
        session.set(op.key, op.value);
        break;
      case "delete":
        session.delete(op.key);
        break;
      case "clear":
        session.clear();
        break;
      case "update":
        session.update(op.key, updates[op.fn] as (current: unknown) => JsonValue);
        break;
      case "flash":
        session.flash(op.key, op.value);
        break;
      case "readFlash":
        read.push(session.readFlash(op.key));
        break;
    }
  }
  return read;
}

/**
 * The model: `ops` done one by one on plain objects, starting from `onto`. Flash messages read are those of
 * `loaded` (what the request saw), each at most once; a message left is for a later request.
 */
function model(onto: SessionRecord, loaded: SessionRecord, ops: readonly Op[]): { record: SessionRecord; read: unknown[] } {
  const data: Record<string, JsonValue> = { ...onto.data };
  const readKeys = new Set<string>();
  const left: Record<string, JsonValue> = {};
  const read: unknown[] = [];
  // What the request itself sees: a delete or clear of nothing it sees records no change, so a replay leaves
  // keys alone that only a concurrent request wrote.
  const seen: Record<string, JsonValue> = { ...loaded.data };
  for (const op of ops) {
    if (op.op === "set") data[op.key] = seen[op.key] = op.value;
    else if (op.op === "delete") {
      if (Object.hasOwn(seen, op.key)) delete data[op.key];
      delete seen[op.key];
    } else if (op.op === "clear") {
      if (Object.keys(seen).length > 0) for (const key of Object.keys(data)) delete data[key];
      for (const key of Object.keys(seen)) delete seen[key];
    } else if (op.op === "update") {
      data[op.key] = updates[op.fn](Object.hasOwn(data, op.key) ? data[op.key] : undefined) as JsonValue;
      seen[op.key] = updates[op.fn](Object.hasOwn(seen, op.key) ? seen[op.key] : undefined) as JsonValue;
    }
    else if (op.op === "flash") left[op.key] = op.value;
    else if (Object.hasOwn(loaded.flash, op.key) && !readKeys.has(op.key)) {
      readKeys.add(op.key);
      read.push(loaded.flash[op.key]);
    } else read.push(undefined);
  }
  const flash: Record<string, JsonValue> = { ...onto.flash };
  for (const key of readKeys) delete flash[key];
  Object.assign(flash, left);
  return { record: { data, flash, meta: onto.meta }, read };
}

const opsArb = fc.array(opArb, { maxLength: 24 });

describe("Session change log properties", () => {
  it("gives the record and the flash reads that doing the operations one by one gives", async () => {
    await fc.assert(
      fc.asyncProperty(recordArb, opsArb, async (base, ops) => {
        const session = await loadSession(base);
        const read = perform(session, ops);
        const expected = model(base, base, ops);
        expect(read).toEqual(expected.read);
        expect(currentRecord(session[sessionState])).toEqual(expected.record);
        for (const key of ["a", "b", "c", "count", "list"]) expect(session.get(key)).toEqual(expected.record.data[key]);
      }),
      { seed, numRuns: 400 },
    );
  });

  it("replays a request's changes onto the record it loaded into exactly the record the request holds", async () => {
    await fc.assert(
      fc.asyncProperty(recordArb, opsArb, async (base, ops) => {
        const session = await loadSession(base);
        perform(session, ops);
        const state = session[sessionState];
        expect(replayChanges(base, state.changes)).toEqual(currentRecord(state));
      }),
      { seed, numRuns: 400 },
    );
  });

  it("replays onto a fresher record as if the operations had been done on it, keeping every key they did not touch", async () => {
    await fc.assert(
      fc.asyncProperty(recordArb, recordArb, opsArb, async (base, fresher, ops) => {
        const session = await loadSession(base);
        perform(session, ops);
        const replayed = replayChanges(fresher, session[sessionState].changes);
        expect(replayed).toEqual(model(fresher, base, ops).record);
        if (!ops.some((op) => op.op === "clear")) {
          const touched = new Set(ops.map((op) => ("key" in op && op.op !== "flash" && op.op !== "readFlash" ? op.key : undefined)));
          for (const key of Object.keys(fresher.data)) if (!touched.has(key)) expect(replayed.data[key]).toBe(fresher.data[key]);
        }
        const readOrLeft = new Set(ops.flatMap((op) => (op.op === "flash" || (op.op === "readFlash" && Object.hasOwn(base.flash, op.key)) ? [op.key] : [])));
        for (const key of Object.keys(fresher.flash)) if (!readOrLeft.has(key)) expect(replayed.flash[key]).toBe(fresher.flash[key]);
      }),
      { seed, numRuns: 400 },
    );
  });

  it("reads a loaded flash message at most once, and a message left is kept for a later request, not read now", async () => {
    await fc.assert(
      fc.asyncProperty(recordArb, fc.array(fc.record({ key: flashKeyArb, value: valueArb, read: fc.nat({ max: 3 }) }), { maxLength: 6 }), async (base, steps) => {
        const session = await loadSession(base);
        const seen = new Map<string, number>();
        for (const step of steps) {
          session.flash(step.key, step.value);
          for (let i = 0; i < step.read; i++) {
            const got = session.readFlash(step.key);
            if (got !== undefined) seen.set(step.key, (seen.get(step.key) ?? 0) + 1);
            // What was read is the loaded message, never one this request left.
            if (got !== undefined) expect(got).toEqual(base.flash[step.key]);
          }
        }
        for (const count of seen.values()) expect(count).toBe(1);
        const flash = currentRecord(session[sessionState]).flash;
        const lastLeft = new Map<string, JsonValue>(steps.map((step) => [step.key, step.value]));
        for (const [key, value] of lastLeft) expect(flash[key]).toEqual(value);
        for (const key of Object.keys(base.flash)) {
          if (!lastLeft.has(key)) expect(Object.hasOwn(flash, key)).toBe(!seen.has(key));
        }
      }),
      { seed, numRuns: 300 },
    );
  });

  it("loses no increment when two requests update one counter and the second is replayed onto the first's write", async () => {
    await fc.assert(
      fc.asyncProperty(recordArb, fc.option(fc.integer({ min: -1000, max: 1000 })), fc.nat({ max: 20 }), fc.nat({ max: 20 }), opsArb, async (loaded, count, first, second, noise) => {
        const data: Record<string, JsonValue> = { ...loaded.data, count };
        if (count === null) delete data.count;
        const base: SessionRecord = { ...loaded, data };
        const a = await loadSession(base);
        const b = await loadSession(base);
        const start = count ?? 0;
        // Other keys change too, in both requests, without touching the counter.
        perform(a, noise.filter((op) => op.op !== "clear" && !("key" in op && op.key === "count")));
        for (let i = 0; i < first; i++) a.update("count", updates.increment);
        for (let i = 0; i < second; i++) b.update("count", updates.increment);
        const written = currentRecord(a[sessionState]);
        const merged = replayChanges(written, b[sessionState].changes);
        expect(merged.data.count).toBe(first + second === 0 ? base.data.count : start + first + second);
      }),
      { seed, numRuns: 300 },
    );
  });
});
