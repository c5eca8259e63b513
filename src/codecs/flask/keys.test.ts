import { describe, expect, it } from "vitest";
import { flaskSecretKeys, weakKeyWarningCode } from "./keys.js";

/** The warnings the process emits while `fn` runs, after the tick they are delivered on. */
async function warningsDuring(fn: () => void): Promise<Error[]> {
  const seen: Error[] = [];
  const listener = (warning: Error) => seen.push(warning);
  process.on("warning", listener);
  try {
    fn();
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off("warning", listener);
  }
  return seen.filter((warning) => (warning as { code?: string }).code === weakKeyWarningCode);
}

describe("flaskSecretKeys", () => {
  it("takes a key shorter than 32 bytes as Flask does, and warns once per process without the key", async () => {
    const short = "dev-key-0123";
    const first = await warningsDuring(() => expect(flaskSecretKeys(short, [])).toEqual([Buffer.from(short)]));
    expect(first).toHaveLength(1);
    expect(first[0]!.message).toContain("`secretKey` is 12 bytes");
    expect(first[0]!.message).not.toContain(short);
    const again = await warningsDuring(() => {
      flaskSecretKeys(short, []);
      flaskSecretKeys("a".repeat(40), ["b"]);
    });
    expect(again).toHaveLength(0);
  });

  it("orders the keys current first, then the fallbacks; bytes are used as they are, strings as UTF-8", () => {
    const raw = new Uint8Array([1, 2, 3]);
    expect(flaskSecretKeys("é", [raw, "old"])).toEqual([Buffer.from([0xc3, 0xa9]), Buffer.from(raw), Buffer.from("old")]);
  });

  it("refuses what Flask has no session for: an empty or missing key", () => {
    for (const key of ["", new Uint8Array(), undefined, 42]) {
      expect(() => flaskSecretKeys(key as string, [])).toThrow(expect.objectContaining({ code: "ERR_SECRET_MISSING" }));
    }
    expect(() => flaskSecretKeys("key", [""])).toThrow(/fallbacks\[0\]/);
    expect(() => flaskSecretKeys("key", "old" as unknown as string[])).toThrow(expect.objectContaining({ code: "ERR_INVALID_OPTION" }));
  });
});
