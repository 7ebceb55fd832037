import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { Chunker, chunkLengths, GEAR, validateParams, type ChunkerParams } from "./chunker";

/** Deterministic pseudo-random bytes (SHA-256 in counter mode), so golden values are stable. */
function seededBytes(length: number, seed: string): Uint8Array {
  const out = new Uint8Array(length);
  for (let off = 0, i = 0; off < length; i++) {
    const block = createHash("sha256").update(`${seed}:${i}`).digest();
    out.set(block.subarray(0, Math.min(32, length - off)), off);
    off += 32;
  }
  return out;
}

const SMALL: ChunkerParams = { minSize: 2048, avgSize: 8192, maxSize: 32768 };
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

function chunksOf(data: Uint8Array, params: ChunkerParams, splits: number[] = [data.length]): Uint8Array[] {
  const c = new Chunker(params);
  const out: Uint8Array[] = [];
  let off = 0;
  for (let k = 0; off < data.length; k++) {
    const len = splits[k % splits.length]!;
    out.push(...c.push(data.subarray(off, off + len)));
    off += len;
  }
  const last = c.finish();
  if (last) out.push(last);
  return out;
}

describe("the gear table (part of the storage format)", () => {
  it("is the one derived from the fixed seed", () => {
    expect(createHash("sha256").update(Buffer.from(GEAR.buffer)).digest("hex").slice(0, 16)).toMatchInlineSnapshot(`"57ade3ba88e9c565"`);
  });
});

describe("Chunker", () => {
  const data = seededBytes(2 * 1024 * 1024, "chunker-test");

  it("cuts the same golden points as before (changing them changes every chunk id)", () => {
    const lengths = chunkLengths(data, SMALL);
    expect(lengths.length).toMatchInlineSnapshot(`227`);
    expect(sha(Uint8Array.from(lengths.flatMap((l) => [l >>> 24, (l >>> 16) & 255, (l >>> 8) & 255, l & 255]))).slice(0, 16)).toMatchInlineSnapshot(`"20b1da2b8170114f"`);
  });

  it("covers the input exactly, with every chunk inside the size bounds", () => {
    const chunks = chunksOf(data, SMALL);
    expect(chunks.reduce((n, c) => n + c.length, 0)).toBe(data.length);
    expect(sha(Buffer.concat(chunks))).toBe(sha(data));
    chunks.slice(0, -1).forEach((c) => {
      expect(c.length).toBeGreaterThanOrEqual(SMALL.minSize);
      expect(c.length).toBeLessThanOrEqual(SMALL.maxSize);
    });
    const mean = data.length / chunks.length;
    expect(mean).toBeGreaterThan(SMALL.avgSize * 0.6);
    expect(mean).toBeLessThan(SMALL.avgSize * 1.6);
  });

  it("cuts the same chunks whatever the buffer boundaries", () => {
    const whole = chunksOf(data, SMALL).map(sha);
    for (const splits of [[7, 1000, 31], [4096], [65536, 3], [SMALL.minSize - 32, 33, 1]]) {
      expect(chunksOf(data, SMALL, splits).map(sha), `splits ${splits}`).toEqual(whole);
    }
    const prefix = data.subarray(0, 200_000); // byte by byte: the slowest path, on less data
    expect(chunksOf(prefix, SMALL, [1]).map(sha)).toEqual(chunksOf(prefix, SMALL).map(sha));
  });

  it("keeps most chunks when bytes are inserted near the start (shift resistance)", () => {
    const edited = Buffer.concat([data.subarray(0, 5000), Buffer.from("an insertion of some bytes".repeat(4)), data.subarray(5000)]);
    const before = new Set(chunksOf(data, SMALL).map(sha));
    const after = chunksOf(edited, SMALL).map(sha);
    const shared = after.filter((h) => before.has(h)).length;
    expect(shared / after.length).toBeGreaterThan(0.95);
  });

  it("cuts incompressible-looking and constant data alike within bounds", () => {
    const zeros = new Uint8Array(300_000);
    const chunks = chunksOf(zeros, SMALL);
    expect(chunks.reduce((n, c) => n + c.length, 0)).toBe(zeros.length);
    chunks.slice(0, -1).forEach((c) => expect(c.length).toBeLessThanOrEqual(SMALL.maxSize));
  });

  it("gives no chunk for an empty stream, and one short chunk for a tiny one", () => {
    expect(chunksOf(new Uint8Array(0), SMALL)).toEqual([]);
    expect(chunksOf(new Uint8Array(10), SMALL).map((c) => c.length)).toEqual([10]);
  });

  it("refuses parameters that do not make sense", () => {
    expect(() => validateParams({ minSize: 2048, avgSize: 3000, maxSize: 32768 })).toThrow(/power of two/);
    expect(() => validateParams({ minSize: 9000, avgSize: 8192, maxSize: 32768 })).toThrow(/minSize/);
    expect(() => validateParams({ minSize: 2048, avgSize: 8192, maxSize: 8192 })).toThrow(/maxSize/);
  });
});
