import { describe, it, expect } from "vitest";
import { createHash } from "node:crypto";
import { createToken, hashToken, isToken, randomBytes, tokenBytes, tokenRegExp } from "./tokens.js";

describe("createToken", () => {
  it("gives 43 base64url characters that decode to 32 bytes", () => {
    const token = createToken();
    expect(token).toHaveLength(43);
    expect(token).toMatch(tokenRegExp);
    expect(isToken(token)).toBe(true);
    expect(Buffer.from(token, "base64url")).toHaveLength(tokenBytes);
    expect(Buffer.from(token, "base64url").toString("base64url")).toBe(token);
  });

  it("gives 10,000 distinct tokens", () => {
    const tokens = new Set<string>();
    for (let i = 0; i < 10_000; i++) tokens.add(createToken());
    expect(tokens.size).toBe(10_000);
    for (const token of tokens) expect(token).toMatch(tokenRegExp);
  });
});

describe("hashToken", () => {
  it("is the SHA-256 of the token text in base64url", () => {
    const token = createToken();
    const expected = createHash("sha256").update(token, "utf8").digest("base64url");
    expect(hashToken(token)).toBe(expected);
    expect(hashToken(token)).toHaveLength(43);
    expect(hashToken(token)).not.toBe(token);
  });

  it("matches the SHA-256 known answer for a fixed input", () => {
    // SHA-256("abc") = ba7816bf 8f01cfea 414140de 5dae2223 b00361a3 96177a9c b410ff61 f20015ad (FIPS 180-2, B.1)
    expect(hashToken("abc")).toBe(Buffer.from("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "hex").toString("base64url"));
  });
});

describe("isToken", () => {
  it("accepts 43 characters of the base64url alphabet", () => {
    expect(isToken("A".repeat(43))).toBe(true);
    expect(isToken("aZ09-_".repeat(7) + "x")).toBe(true);
  });

  it("refuses wrong lengths", () => {
    for (const length of [0, 1, 42, 44, 64]) expect(isToken("A".repeat(length)), `length ${length}`).toBe(false);
  });

  it("refuses characters outside the base64url alphabet", () => {
    for (const bad of ["+", "/", "=", ".", " ", "\n", "é", "%"]) {
      expect(isToken("A".repeat(42) + bad), JSON.stringify(bad)).toBe(false);
      expect(isToken(bad + "A".repeat(42)), JSON.stringify(bad)).toBe(false);
    }
  });

  it("refuses a token with a trailing newline", () => {
    expect(isToken(createToken() + "\n")).toBe(false);
  });
});

describe("randomBytes", () => {
  it("returns buffers of the length asked for, including lengths beyond the pool", () => {
    for (const length of [0, 1, 12, 32, 8192, 8193, 20_000]) expect(randomBytes(length)).toHaveLength(length);
  });

  it("returns distinct, independent buffers across several pool refills", () => {
    const sizes = [32, 12, 13, 7, 32, 1000];
    const drawn: Uint8Array[] = [];
    // About 100 KiB in odd sizes: a dozen refills of the 8 KiB pool, with draws straddling each refill.
    for (let i = 0; i < 600; i++) drawn.push(randomBytes(sizes[i % sizes.length]!));
    const snapshots = drawn.map((buffer) => Buffer.from(buffer));

    const seen = new Set(drawn.filter((buffer) => buffer.length >= 12).map((buffer) => Buffer.from(buffer).toString("hex")));
    expect(seen.size).toBe(drawn.filter((buffer) => buffer.length >= 12).length);

    // Buffers that share memory (Node's own small-buffer pool) must not overlap.
    const byArray = new Map<ArrayBufferLike, Array<[number, number]>>();
    for (const buffer of drawn) {
      const ranges = byArray.get(buffer.buffer) ?? [];
      ranges.push([buffer.byteOffset, buffer.byteOffset + buffer.length]);
      byArray.set(buffer.buffer, ranges);
    }
    for (const ranges of byArray.values()) {
      ranges.sort((a, b) => a[0] - b[0]);
      for (let i = 1; i < ranges.length; i++) expect(ranges[i]![0]).toBeGreaterThanOrEqual(ranges[i - 1]![1]);
    }

    // Later draws and refills leave earlier buffers unchanged, and changing one changes no other.
    for (let i = 0; i < 400; i++) randomBytes(64);
    drawn.forEach((buffer, i) => expect(Buffer.from(buffer).equals(snapshots[i]!)).toBe(true));
    drawn[0]!.fill(0);
    drawn.slice(1).forEach((buffer, i) => expect(Buffer.from(buffer).equals(snapshots[i + 1]!)).toBe(true));
  });

  it("does not return all-zero bytes (the pool is filled before it is drawn from)", () => {
    for (let i = 0; i < 300; i++) {
      const bytes = randomBytes(32);
      expect(bytes.every((byte) => byte === 0)).toBe(false);
    }
  });
});
