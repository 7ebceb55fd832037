import { describe, expect, it } from "vitest";
import { dummyPasswordHash, generatePassword, hashPassword, verifyPassword } from "./passwords";

const ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";

describe("hashPassword / verifyPassword", () => {
  it("round-trips, rejects a wrong password, and salts each hash", async () => {
    const password = "correct horse battery";
    const [h1, h2] = await Promise.all([hashPassword(password), hashPassword(password)]);
    expect(h1.startsWith("$argon2id$")).toBe(true);
    expect(h1).toMatch(/\$m=19456,t=2,p=1\$/);
    expect(h1).not.toContain(password);
    expect(h1).not.toBe(h2); // random salt
    expect(await verifyPassword(h1, password)).toBe(true);
    expect(await verifyPassword(h2, password)).toBe(true);
    expect(await verifyPassword(h1, "correct horse batterY")).toBe(false);
    expect(await verifyPassword(h1, "")).toBe(false);
  });

  it("returns false, without throwing, for a malformed stored hash", async () => {
    const good = await hashPassword("pw-1234567890");
    for (const bad of ["", "not-a-hash", "$argon2id$", good.slice(0, good.length - 10), "$2b$10$abcdefghijklmnopqrstuv"]) {
      await expect(verifyPassword(bad, "pw-1234567890")).resolves.toBe(false);
    }
  });

  it("dummyPasswordHash is a stable argon2id hash that matches nothing guessable", async () => {
    const a = await dummyPasswordHash();
    expect(await dummyPasswordHash()).toBe(a);
    expect(a.startsWith("$argon2id$")).toBe(true);
    expect(await verifyPassword(a, "")).toBe(false);
  });
});

describe("generatePassword", () => {
  it("defaults to 20 characters and honours other lengths", () => {
    expect(generatePassword()).toHaveLength(20);
    for (const n of [1, 10, 57, 64, 200]) expect(generatePassword(n)).toHaveLength(n);
  });

  it("draws only from the unambiguous alphabet, uses all of it, and does not repeat", () => {
    const draws = Array.from({ length: 200 }, () => generatePassword());
    expect(new Set(draws).size).toBe(200);
    const seen = new Set(draws.join(""));
    for (const ch of seen) expect(ALPHABET).toContain(ch);
    for (const ambiguous of "0O1lI") expect(seen.has(ambiguous)).toBe(false);
    // 4,000 characters over 57 symbols: every symbol shows up (a biased or truncated
    // alphabet would not); the chance of a uniform draw missing one is ~1e-29.
    expect(seen.size).toBe(ALPHABET.length);
  });
});
