import { describe, it, expect } from "vitest";
import type { JsonValue, SessionData } from "./data.js";
import { TesseraError } from "./errors.js";
import type { SessionRecord } from "./record.js";
import { currentRecord, replayChanges, Session, sessionState, type Change, type SessionState } from "./session.js";

const meta = { createdAt: 1_000, lastSeenAt: 2_000 };

function recordOf(data: Record<string, JsonValue>, flash: Record<string, JsonValue> = {}): SessionRecord {
  return { data, flash, meta };
}

/** A session loaded from `base`, as the manager would make it. */
function load<D extends SessionData = SessionData>(base: SessionRecord): { session: Session<D> } {
  const state: SessionState = {
    base,
    data: { ...base.data },
    flashRead: new Set(),
    changes: [],
    token: "token",
    version: 1,
    rotate: false,
    signedIn: false,
    destroyed: false,
    retiring: undefined,
    hadCookie: true,
    staleKey: false,
    followed: false,
    committed: false,
    secure: false,
    userAgent: "test-agent",
    maxValueBytes: undefined,
    persistentByDefault: true,
    sentCookies: undefined,
  };
  return { session: new Session<D>(state) };
}

describe("replayChanges", () => {
  it("applies a set onto the fresher record, keeping keys another request wrote", () => {
    const merged = replayChanges(recordOf({ a: 1, b: 2 }), [{ kind: "set", key: "c", value: 3 }]);
    expect(merged.data).toEqual({ a: 1, b: 2, c: 3 });
  });

  it("lets a set overwrite the fresher value of the same key", () => {
    expect(replayChanges(recordOf({ a: "theirs" }), [{ kind: "set", key: "a", value: "mine" }]).data).toEqual({ a: "mine" });
  });

  it("applies a delete onto the fresher record", () => {
    expect(replayChanges(recordOf({ a: 1, b: 2 }), [{ kind: "delete", key: "a" }]).data).toEqual({ b: 2 });
  });

  it("applies a clear, then the changes after it, in order", () => {
    const changes: Change[] = [
      { kind: "set", key: "x", value: 1 },
      { kind: "clear" },
      { kind: "set", key: "y", value: 2 },
    ];
    expect(replayChanges(recordOf({ a: 1, b: 2 }), changes).data).toEqual({ y: 2 });
  });

  it("re-runs an update function on the fresher value", () => {
    const increment: Change = { kind: "update", key: "count", fn: (n) => ((n as number | undefined) ?? 0) + 1 };
    expect(replayChanges(recordOf({ count: 41 }), [increment]).data).toEqual({ count: 42 });
    expect(replayChanges(recordOf({}), [increment]).data).toEqual({ count: 1 });
    const append: Change = { kind: "update", key: "cart", fn: (cart) => [...((cart as string[] | undefined) ?? []), "pen"] };
    expect(replayChanges(recordOf({ cart: ["book"] }), [append]).data).toEqual({ cart: ["book", "pen"] });
  });

  it("refuses an update whose function returns something that is not JSON", () => {
    const bad: Change = { kind: "update", key: "when", fn: () => new Date() };
    expect(() => replayChanges(recordOf({}), [bad])).toThrow(TesseraError);
  });

  it("adds left flash messages and removes read ones on the fresher record", () => {
    const merged = replayChanges(recordOf({ a: 1 }, { old: "read me", other: "keep" }), [
      { kind: "readFlash", key: "old" },
      { kind: "flash", key: "notice", value: "Saved" },
    ]);
    expect(merged.flash).toEqual({ other: "keep", notice: "Saved" });
    expect(merged.data).toEqual({ a: 1 });
  });

  it("leaves the fresher record itself unchanged", () => {
    const fresh = recordOf({ a: 1 }, { f: 1 });
    replayChanges(fresh, [{ kind: "set", key: "a", value: 2 }, { kind: "clear" }, { kind: "readFlash", key: "f" }]);
    expect(fresh).toEqual(recordOf({ a: 1 }, { f: 1 }));
  });

  it("keeps the fresher record's metadata", () => {
    const fresh: SessionRecord = { data: {}, flash: {}, meta: { createdAt: 5, lastSeenAt: 9, userId: "u" } };
    expect(replayChanges(fresh, [{ kind: "set", key: "a", value: 1 }]).meta).toEqual(fresh.meta);
  });

  it("merges a request's recorded changes with a concurrent request's write to other keys", () => {
    const base = recordOf({ count: 1, cart: ["book"] }, { notice: "hello" });
    const { session } = load<{ count: number; cart: string[]; theme: string; gone: string }>(base);
    session.update("count", (n) => (n ?? 0) + 1);
    session.set("theme", "dark");
    session.readFlash("notice");
    session.flash("next", "bye");
    // Meanwhile another request bumped the counter and added to the cart.
    const fresh = recordOf({ count: 5, cart: ["book", "pen"] }, { notice: "hello" });
    const merged = replayChanges(fresh, session[sessionState].changes);
    expect(merged.data).toEqual({ count: 6, cart: ["book", "pen"], theme: "dark" });
    expect(merged.flash).toEqual({ next: "bye" });
  });
});

describe("currentRecord", () => {
  it("is the request's data with loaded flash less those read plus those left", () => {
    const base = recordOf({ a: 1 }, { old: "x", keep: "y" });
    const { session } = load(base);
    session.set("b", 2);
    session.delete("a");
    expect(session.readFlash("old")).toBe("x");
    session.flash("new", "z");
    const record = currentRecord(session[sessionState]);
    expect(record.data).toEqual({ b: 2 });
    expect(record.flash).toEqual({ keep: "y", new: "z" });
    expect(record.meta).toBe(base.meta);
  });

  it("returns the loaded flash unchanged when nothing was flashed or read", () => {
    const base = recordOf({}, { keep: "y" });
    const { session } = load(base);
    expect(currentRecord(session[sessionState]).flash).toBe(base.flash);
  });
});

describe("Session", () => {
  it("records nothing when nothing changed, and a change for each write", () => {
    const { session } = load(recordOf({ a: 1 }));
    session.delete("missing");
    expect(session[sessionState].changes).toEqual([]);
    const { session: empty } = load(recordOf({}));
    empty.clear();
    expect(empty[sessionState].changes).toEqual([]);
    session.set("a", 2);
    session.delete("a");
    expect(session[sessionState].changes.map((change) => change.kind)).toEqual(["set", "delete"]);
  });

  it("reads a flash message once", () => {
    const { session } = load(recordOf({}, { notice: "Saved" }));
    expect(session.readFlash("notice")).toBe("Saved");
    expect(session.readFlash("notice")).toBeUndefined();
    expect(session.readFlash("absent")).toBeUndefined();
    expect(session[sessionState].changes).toEqual([{ kind: "readFlash", key: "notice" }]);
  });

  it("refuses a value that is not JSON without recording a change", () => {
    const { session } = load(recordOf({}));
    expect(() => session.set("when", new Date() as unknown as JsonValue)).toThrow(TesseraError);
    expect(session[sessionState].changes).toEqual([]);
    expect(session.has("when")).toBe(false);
  });

  it("refuses changes after commit with ERR_SESSION_COMMITTED", () => {
    const { session } = load(recordOf({}));
    session[sessionState].committed = true;
    try {
      session.set("a", 1);
      expect.unreachable();
    } catch (err) {
      expect((err as TesseraError).code).toBe("ERR_SESSION_COMMITTED");
    }
  });

  it("regenerates by asking for a new id at commit, retiring nothing mid-request", async () => {
    const { session } = load(recordOf({ a: 1 }));
    await session.regenerate();
    expect(session[sessionState].retiring).toBeUndefined();
    expect(session[sessionState].token).toBe("token");
    expect(session[sessionState].rotate).toBe(true);
    expect(session.get("a")).toBe(1);
  });

  it("destroys by marking the loaded token for deletion at commit and dropping data, flash and pending changes", async () => {
    const { session } = load(recordOf({ a: 1 }, { f: 1 }));
    session.set("b", 2);
    await session.destroy();
    const state = session[sessionState];
    expect(state.retiring).toBe("token");
    expect(state.token).toBeUndefined();
    expect(state.destroyed).toBe(true);
    expect(state.changes).toEqual([]);
    expect(currentRecord(state).data).toEqual({});
    expect(currentRecord(state).flash).toEqual({});
    expect(state.base.meta).toEqual(meta);
  });

  it("binds a user at sign-in, keeping the user agent and rotating the id", async () => {
    const { session } = load(recordOf({}));
    await session.signIn("u-1");
    expect(session.userId).toBe("u-1");
    expect(session[sessionState].base.meta.userAgent).toBe("test-agent");
    expect(session[sessionState].signedIn).toBe(true);
    expect(session[sessionState].rotate).toBe(true);
    expect(session[sessionState].retiring).toBeUndefined();
    await expect(session.signIn("")).rejects.toThrow(TesseraError);
  });
});
