/**
 * mulberry32: a small, fast, seeded pseudo-random generator, [0, 1). Sample data, benchmarks
 * and property tests use it so that the same seed gives the same data on every machine (a
 * failing case can be replayed). Not for anything secret.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
