// A store wrapper for fault tests: every call goes to the real store, and one chosen call can be held at a barrier
// the test releases, so a server can be killed or stalled exactly while that call is under way.

import { hasUserIndex, type Store } from "tessera";

/** The calls a test can hold. */
export type GatedMethod = "get" | "update" | "delete" | "listByUser";

/** A held call: `reached` resolves when a request arrives at it; `release` lets it go on to the real store. */
export interface HeldCall {
  reached: Promise<void>;
  release(): void;
  /** Settles when the real store's call settles, however late (never rejects). */
  settled: Promise<void>;
}

/**
 * Wraps `inner`. `hold(method)` holds the next call of `method` before it reaches `inner`.
 *
 * @example
 * const gated = gatedStore(redisStore({ url }));
 * const held = gated.hold("delete");
 * // ...start a request that deletes...
 * await held.reached; await server.kill(); held.release();
 */
export function gatedStore(inner: Store): { store: Store; hold(method: GatedMethod): HeldCall } {
  const gates = new Map<GatedMethod, { reached(): void; released: Promise<void>; settled(): void }>();
  const pass = async <T>(method: GatedMethod, call: () => T | Promise<T>): Promise<T> => {
    const gate = gates.get(method);
    if (gate === undefined) return call();
    gates.delete(method);
    gate.reached();
    await gate.released;
    const result = Promise.resolve().then(call);
    void result.then(gate.settled, gate.settled);
    return result;
  };
  // Every argument is passed on as given: the options carry the manager's AbortSignal and compare-and-delete version.
  const store: Store = {
    name: inner.name,
    get: (...args) => pass("get", () => inner.get(...args)),
    create: (...args) => inner.create(...args),
    update: (...args) => pass("update", () => inner.update(...args)),
    delete: (...args) => pass("delete", () => inner.delete(...args)),
    close: () => inner.close(),
  };
  // The user index only when the real store has one, as the manager checks for it.
  if (hasUserIndex(inner)) {
    Object.assign(store, {
      listByUser: (...args: Parameters<typeof inner.listByUser>) => pass("listByUser", () => inner.listByUser(...args)),
      deleteByUser: (...args: Parameters<typeof inner.deleteByUser>) => inner.deleteByUser(...args),
    });
  }
  return {
    store,
    hold(method) {
      let reached!: () => void;
      let release!: () => void;
      let settled!: () => void;
      const held: HeldCall = {
        reached: new Promise<void>((resolve) => (reached = resolve)),
        release: () => release(),
        settled: new Promise<void>((resolve) => (settled = resolve)),
      };
      gates.set(method, { reached, released: new Promise<void>((resolve) => (release = resolve)), settled });
      return held;
    },
  };
}
