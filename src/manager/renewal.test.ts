// renewAfter and renewalGrace as options, and the sealed successor a forwarder carries.

import { describe, expect, it } from "vitest";
import { TesseraError } from "../core/errors.js";
import type { Store } from "../core/store.js";
import { createKeyRing } from "../crypto/keyring.js";
import { openSuccessor, sealSuccessor } from "./renewal.js";
import { resolveOptions, type SessionsOptions } from "./options.js";

const secret = "renewal unit test secret, 32 bytes or more.";
const oldSecret = "an older renewal secret, also 32 bytes long";
const store = { name: "stub" } as Store;
const token = `${"t".repeat(43)}.${"g".repeat(22)}`;
const forwarderId = "F".repeat(43);

function errorOf(options: Partial<SessionsOptions>): TesseraError {
  try {
    resolveOptions({ secrets: [secret], ...options });
  } catch (error) {
    expect(error).toBeInstanceOf(TesseraError);
    return error as TesseraError;
  }
  throw new Error("resolveOptions accepted the options");
}

describe("renewAfter and renewalGrace", () => {
  it("are off unless renewAfter is given, and renewalGrace defaults to 30 seconds", () => {
    expect(resolveOptions({ secrets: [secret], store }).renewal).toBeUndefined();
    expect(resolveOptions({ secrets: [secret], store, renewAfter: "15m" }).renewal).toEqual({ afterMs: 900_000, graceMs: 30_000 });
    expect(resolveOptions({ secrets: [secret], store, renewAfter: 3600, renewalGrace: "5m" }).renewal).toEqual({ afterMs: 3_600_000, graceMs: 300_000 });
  });

  it.each<[string, Partial<SessionsOptions>, string]>([
    ["without a store", { renewAfter: "15m" }, "`renewAfter` needs a `store`"],
    ["renewalGrace alone", { store, renewalGrace: "30s" }, "`renewalGrace` needs `renewAfter`"],
    ["renewAfter that is no duration", { store, renewAfter: "soon" as never }, "`renewAfter` must be a positive"],
    ["renewAfter of 0", { store, renewAfter: 0 }, "`renewAfter` must be a positive"],
    ["renewalGrace under a second", { store, renewAfter: "15m", renewalGrace: 0.5 }, "`renewalGrace` must be from 1 second to 5 minutes"],
    ["renewalGrace over 5 minutes", { store, renewAfter: "1h", renewalGrace: "6m" }, "`renewalGrace` must be from 1 second to 5 minutes"],
    ["renewalGrace not shorter than renewAfter", { store, renewAfter: "1m", renewalGrace: "1m" }, "`renewalGrace` must be shorter than `renewAfter`"],
    ["renewAfter not shorter than absoluteTimeout", { store, renewAfter: "12h", absoluteTimeout: "12h" }, "`renewAfter` must be shorter than `absoluteTimeout`"],
  ])("refuses %s with ERR_INVALID_OPTION naming the option", (_, options, message) => {
    const error = errorOf(options);
    expect(error.code).toBe("ERR_INVALID_OPTION");
    expect(error.message).toContain(message);
  });
});

describe("sealSuccessor and openSuccessor", () => {
  const ring = createKeyRing([secret]);

  it("give back the successor's cookie value, and never show it in clear", async () => {
    const sealed = await sealSuccessor(ring, forwarderId, token);
    expect(sealed).not.toContain("tttt");
    expect(sealed).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(await openSuccessor(ring, forwarderId, sealed)).toBe(token);
    expect(await sealSuccessor(ring, forwarderId, token)).not.toBe(sealed);
  });

  it("refuse a value whose last byte was flipped, or that was truncated", async () => {
    const sealed = await sealSuccessor(ring, forwarderId, token);
    const flipped = sealed.slice(0, -1) + (sealed.endsWith("A") ? "B" : "A");
    expect(await openSuccessor(ring, forwarderId, flipped)).toBeUndefined();
    expect(await openSuccessor(ring, forwarderId, sealed.slice(0, 20))).toBeUndefined();
    expect(await openSuccessor(ring, forwarderId, "")).toBeUndefined();
  });

  it("refuse a value moved to another forwarder", async () => {
    const sealed = await sealSuccessor(ring, forwarderId, token);
    expect(await openSuccessor(ring, "G".repeat(43), sealed)).toBeUndefined();
  });

  it("refuse a value sealed under a secret not in the ring, and open one under an older secret still in it", async () => {
    const before = createKeyRing([oldSecret]);
    const sealed = await sealSuccessor(before, forwarderId, token);
    expect(await openSuccessor(ring, forwarderId, sealed)).toBeUndefined();
    expect(await openSuccessor(createKeyRing([secret, oldSecret]), forwarderId, sealed)).toBe(token);
  });

  it("use a key of their own: the sealed codec's key does not open them", async () => {
    const sealed = await sealSuccessor(ring, forwarderId, token);
    const mixed = {
      ...ring,
      find(id: number) {
        const found = ring.find(id);
        return found && { ...found, keys: { ...found.keys, renewalKey: found.keys.sealKey } };
      },
    };
    expect(await openSuccessor(mixed, forwarderId, sealed)).toBeUndefined();
  });
});
