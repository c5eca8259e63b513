import { describe, expect, it } from "vitest";
import { createSessions, type SessionEvent, type Store } from "../index.js";
import { memoryStore } from "../stores/memory/index.js";
import { sqliteStore } from "../stores/sqlite/index.js";
import { createWriteQueue } from "./write-queue.js";

const secret = "0123456789abcdef0123456789abcdef-current";

/** A real store whose compare-and-set calls are counted. */
function counting(store: Store): { store: Store; updates: () => number } {
  let updates = 0;
  const counted = Object.create(store) as Store;
  Object.assign(counted, {
    update: (...args: Parameters<Store["update"]>) => {
      updates++;
      return store.update(...args);
    },
  });
  return { store: counted, updates: () => updates };
}

describe("writers of one session in one process", () => {
  for (const [name, make] of [
    ["memory", () => memoryStore()],
    ["sqlite", () => sqliteStore({ path: ":memory:" })],
  ] as const) {
    it(`never conflict with each other: 100 concurrent writers make 100 updates, 0 conflicts, and keep every change (${name})`, async () => {
      const { store, updates } = counting(make());
      const events: SessionEvent[] = [];
      const sessions = createSessions<Record<string, number>>({ secrets: [secret], store, onEvent: (e) => events.push(e) });
      const first = await sessions.load(new Request("http://localhost/"));
      first.set("start", 0);
      const response = await sessions.commit(first, new Response("ok"));
      const cookie = response.headers.get("set-cookie")!.split(";")[0]!;
      const writers = await Promise.all(Array.from({ length: 100 }, () => sessions.load(new Request("http://localhost/", { headers: { cookie } }))));
      writers.forEach((session, i) => session.set(`k${i}`, i));
      await Promise.all(writers.map((session) => sessions.commit(session, new Response("ok"))));
      expect(updates()).toBe(100);
      expect(events.filter((e) => e.type === "write_conflict")).toHaveLength(0);
      const after = await sessions.load(new Request("http://localhost/", { headers: { cookie } }));
      expect(after.keys().sort()).toEqual(["start", ...Array.from({ length: 100 }, (_, i) => `k${i}`)].sort());
      await sessions.close();
    });
  }

  it("counters built with update lose nothing when 50 requests of one process race", async () => {
    const { store, updates } = counting(memoryStore());
    const sessions = createSessions<{ n?: number }>({ secrets: [secret], store });
    const first = await sessions.load(new Request("http://localhost/"));
    first.set("n", 0);
    const cookie = (await sessions.commit(first, new Response("ok"))).headers.get("set-cookie")!.split(";")[0]!;
    const racing = await Promise.all(Array.from({ length: 50 }, () => sessions.load(new Request("http://localhost/", { headers: { cookie } }))));
    for (const session of racing) session.update("n", (n) => (n ?? 0) + 1);
    await Promise.all(racing.map((session) => sessions.commit(session, new Response("ok"))));
    expect(updates()).toBe(50);
    const after = await sessions.load(new Request("http://localhost/", { headers: { cookie } }));
    expect(after.get("n")).toBe(50);
  });

  it("a writer queued behind a destroy writes nothing and makes no store call", async () => {
    const { store, updates } = counting(memoryStore());
    const events: SessionEvent[] = [];
    const sessions = createSessions<{ a?: number; b?: number }>({ secrets: [secret], store, onEvent: (e) => events.push(e) });
    const first = await sessions.load(new Request("http://localhost/"));
    first.set("a", 1);
    const cookie = (await sessions.commit(first, new Response("ok"))).headers.get("set-cookie")!.split(";")[0]!;
    const [ending, writing] = await Promise.all([0, 1].map(() => sessions.load(new Request("http://localhost/", { headers: { cookie } }))));
    await ending!.destroy();
    writing!.set("b", 2);
    const [, written] = await Promise.all([sessions.commit(ending!, new Response("bye")), sessions.commit(writing!, new Response("ok"))]);
    expect(updates()).toBe(0);
    expect(written.headers.get("set-cookie")).toBeNull();
    expect(events).toContainEqual({ type: "session_gone" });
    expect((await sessions.load(new Request("http://localhost/", { headers: { cookie } }))).isNew).toBe(true);
  });
});

describe("createWriteQueue", () => {
  it("runs tasks under one key one after another, handing each what the one before left", async () => {
    const inTurn = createWriteQueue<number>();
    const seen: (number | undefined)[] = [];
    await Promise.all(
      [1, 2, 3].map((n) =>
        inTurn("k", async (turn) => {
          seen.push(turn.last);
          await new Promise((resolve) => setTimeout(resolve, 3 - n));
          turn.last = n;
        }),
      ),
    );
    expect(seen).toEqual([undefined, 1, 2]);
  });

  it("forgets what a failed task may have left, and runs the next one anyway", async () => {
    const inTurn = createWriteQueue<number>();
    const failing = inTurn("k", async (turn) => {
      turn.last = 7;
      throw new Error("store down");
    });
    const next = inTurn("k", async (turn) => turn.last);
    await expect(failing).rejects.toThrow("store down");
    await expect(next).resolves.toBeUndefined();
  });
});
