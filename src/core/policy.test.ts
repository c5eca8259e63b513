import { describe, it, expect } from "vitest";
import { checkTimeouts, expiresAt, isTouchDue, type TimeoutPolicy } from "./policy.js";
import type { SessionMeta } from "./record.js";

const minute = 60_000;
const policy: TimeoutPolicy = { idleMs: 30 * minute, absoluteMs: 12 * 60 * minute, touchAfterMs: 5 * minute };
const t0 = Date.UTC(2026, 0, 1);

describe("checkTimeouts", () => {
  const fresh: SessionMeta = { createdAt: t0, lastSeenAt: t0 };

  it("finds a session valid at its creation and until just before the idle deadline", () => {
    expect(checkTimeouts(fresh, t0, policy)).toBe("valid");
    expect(checkTimeouts(fresh, t0 + policy.idleMs - 1, policy)).toBe("valid");
  });

  it("finds it idle exactly at lastSeenAt + idle timeout", () => {
    expect(checkTimeouts(fresh, t0 + policy.idleMs, policy)).toBe("idle_timeout");
  });

  it("counts idle time from lastSeenAt, not createdAt", () => {
    const renewed: SessionMeta = { createdAt: t0, lastSeenAt: t0 + 60 * minute };
    expect(checkTimeouts(renewed, t0 + 60 * minute + policy.idleMs - 1, policy)).toBe("valid");
    expect(checkTimeouts(renewed, t0 + 60 * minute + policy.idleMs, policy)).toBe("idle_timeout");
  });

  it("finds it past the absolute timeout exactly at createdAt + absolute timeout, however recently seen", () => {
    const busy: SessionMeta = { createdAt: t0, lastSeenAt: t0 + policy.absoluteMs - 1 };
    expect(checkTimeouts(busy, t0 + policy.absoluteMs - 1, policy)).toBe("valid");
    expect(checkTimeouts(busy, t0 + policy.absoluteMs, policy)).toBe("absolute_timeout");
  });

  it("reports the absolute timeout when both have passed", () => {
    expect(checkTimeouts(fresh, t0 + policy.absoluteMs + policy.idleMs, policy)).toBe("absolute_timeout");
  });

  it("tolerates five minutes of clock skew and refuses a session created later than that", () => {
    const future: SessionMeta = { createdAt: t0 + 5 * minute, lastSeenAt: t0 + 5 * minute };
    expect(checkTimeouts(future, t0, policy)).toBe("valid");
    const further: SessionMeta = { createdAt: t0 + 5 * minute + 1, lastSeenAt: t0 + 5 * minute + 1 };
    expect(checkTimeouts(further, t0, policy)).toBe("not_yet_valid");
  });
});

describe("isTouchDue", () => {
  it("is due once touchAfter has passed since lastSeenAt, and not before", () => {
    const meta: SessionMeta = { createdAt: t0, lastSeenAt: t0 };
    expect(isTouchDue(meta, t0, policy)).toBe(false);
    expect(isTouchDue(meta, t0 + policy.touchAfterMs - 1, policy)).toBe(false);
    expect(isTouchDue(meta, t0 + policy.touchAfterMs, policy)).toBe(true);
  });
});

describe("expiresAt", () => {
  it("is the idle deadline while that comes first", () => {
    expect(expiresAt({ createdAt: t0, lastSeenAt: t0 + minute }, policy)).toBe(t0 + minute + policy.idleMs);
  });

  it("never passes the absolute deadline, however recently the session was seen", () => {
    for (const lastSeenAt of [t0 + policy.absoluteMs - policy.idleMs, t0 + policy.absoluteMs - 1, t0 + policy.absoluteMs + minute]) {
      const at = expiresAt({ createdAt: t0, lastSeenAt }, policy);
      expect(at).toBeLessThanOrEqual(t0 + policy.absoluteMs);
    }
    expect(expiresAt({ createdAt: t0, lastSeenAt: t0 + policy.absoluteMs - 1 }, policy)).toBe(t0 + policy.absoluteMs);
  });

  it("agrees with checkTimeouts: valid just before, expired at the moment it returns", () => {
    for (const meta of [
      { createdAt: t0, lastSeenAt: t0 },
      { createdAt: t0, lastSeenAt: t0 + 11 * 60 * minute + 45 * minute },
    ]) {
      const at = expiresAt(meta, policy);
      expect(checkTimeouts(meta, at - 1, policy)).toBe("valid");
      expect(checkTimeouts(meta, at, policy)).not.toBe("valid");
    }
  });
});
