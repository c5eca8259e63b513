import { describe, expect, it } from "vitest";
import { createSessions } from "../index.js";
import { sessionExpiry } from "./expiry.js";

const hour = 3_600_000;
const day = 24 * hour;
const createdAt = Date.UTC(2026, 0, 1);

describe("sessionExpiry", () => {
  it("gives the idle and absolute deadlines, and the earlier as expiresAt", () => {
    const meta = { createdAt, lastSeenAt: createdAt + 2 * hour };
    expect(sessionExpiry(meta, { idleTimeout: "30m", absoluteTimeout: "12h", now: createdAt + 2 * hour })).toEqual({
      verdict: "valid",
      idleExpiresAt: createdAt + 2 * hour + 30 * 60_000,
      absoluteExpiresAt: createdAt + 12 * hour,
      expiresAt: createdAt + 2 * hour + 30 * 60_000,
    });
  });

  it("judges idle, absolute and future sessions as createSessions does", () => {
    const meta = { createdAt, lastSeenAt: createdAt };
    const at = (now: number) => sessionExpiry(meta, { idleTimeout: "1h", absoluteTimeout: "2h", now }).verdict;
    expect(at(createdAt + hour - 1)).toBe("valid");
    expect(at(createdAt + hour)).toBe("idle_timeout");
    expect(sessionExpiry({ createdAt, lastSeenAt: createdAt + 2 * hour - 1 }, { idleTimeout: "1h", absoluteTimeout: "2h", now: createdAt + 2 * hour }).verdict).toBe("absolute_timeout");
    expect(at(createdAt - day)).toBe("not_yet_valid");
  });

  it("uses createSessions' defaults when no timeout is given", async () => {
    const clock = { now: createdAt };
    const sessions = createSessions({ secrets: ["expiry test secret of 32 bytes or more, x"], clock: () => clock.now });
    const session = await sessions.load(new Request("http://app.test/"));
    session.set("a", 1);
    const { setCookie } = await sessions.commitHeaders(session);
    const cookie = setCookie[0]!.split(";")[0]!;
    const { expiresAt, absoluteExpiresAt } = sessionExpiry({ createdAt, lastSeenAt: createdAt }, { now: createdAt });
    expect(absoluteExpiresAt).toBe(createdAt + 30 * day);
    // One millisecond before the default idle deadline the manager still loads the session; at it, no longer.
    clock.now = expiresAt - 1;
    expect((await sessions.load(new Request("http://app.test/", { headers: { cookie } }))).get("a")).toBe(1);
    clock.now = expiresAt;
    expect((await sessions.load(new Request("http://app.test/", { headers: { cookie } }))).isNew).toBe(true);
  });

  it("refuses a timeout that is not a duration, naming it", () => {
    expect(() => sessionExpiry({ createdAt, lastSeenAt: createdAt }, { idleTimeout: "soon" as "1h" })).toThrow(
      expect.objectContaining({ code: "ERR_INVALID_OPTION", message: expect.stringContaining("idleTimeout") }),
    );
  });
});
