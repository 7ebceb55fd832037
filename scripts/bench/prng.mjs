// Seeded, fast pseudo-random numbers for the benchmark data set. Nothing here is cryptographic:
// the only requirements are speed and that the same seed gives the same bytes on every machine.
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";

/** A 32-bit seed from any label (a seed number plus a purpose), so that streams are independent. */
export function seedOf(...parts) {
  return createHash("sha256").update(parts.join("\u0000")).digest().readUInt32LE(0);
}

/**
 * xorshift128 over four 32-bit words, seeded through splitmix32. Use `fork(label)` for an
 * independent stream, so that adding a draw in one place does not shift every later byte.
 */
export class Rng {
  constructor(seed) {
    let s = seed >>> 0;
    const split = () => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = split() || 1;
    this.b = split();
    this.c = split();
    this.d = split();
  }

  static from(...parts) {
    return new Rng(seedOf(...parts));
  }

  fork(...label) {
    return Rng.from(this.u32(), this.u32(), ...label);
  }

  u32() {
    let t = this.d;
    const s = this.a;
    this.d = this.c;
    this.c = this.b;
    this.b = s;
    t ^= t << 11;
    t ^= t >>> 8;
    this.a = (t ^ s ^ (s >>> 19)) >>> 0;
    return this.a;
  }

  /** A float in [0, 1). */
  float() {
    return this.u32() / 4294967296;
  }

  /** An integer in [lo, hi] (inclusive). */
  int(lo, hi) {
    return lo + Math.floor(this.float() * (hi - lo + 1));
  }

  /** An integer in [lo, hi], log-uniformly distributed (many small values, a few big ones). */
  logInt(lo, hi) {
    return Math.min(hi, Math.floor(Math.exp(Math.log(lo) + this.float() * (Math.log(hi + 1) - Math.log(lo)))));
  }

  chance(p) {
    return this.float() < p;
  }

  pick(arr) {
    return arr[Math.floor(this.float() * arr.length)];
  }

  /** Fill `buf` (or buf[start, end)) with pseudo-random bytes, about 2 GB/s. */
  fill(buf, start = 0, end = buf.length) {
    let i = start;
    // Byte-wise to a 4-byte boundary of the underlying memory, then 32-bit words.
    while (i < end && (buf.byteOffset + i) % 4 !== 0) buf[i++] = this.u32() & 0xff;
    let { a, b, c, d } = this;
    const words = Math.floor((end - i) / 4);
    if (words > 0) {
      const u32 = new Uint32Array(buf.buffer, buf.byteOffset + i, words);
      for (let k = 0; k < words; k++) {
        let t = d;
        const s = a;
        d = c;
        c = b;
        b = s;
        t ^= t << 11;
        t ^= t >>> 8;
        a = (t ^ s ^ (s >>> 19)) >>> 0;
        u32[k] = a;
      }
      i += words * 4;
    }
    this.a = a;
    this.b = b;
    this.c = c;
    this.d = d;
    while (i < end) buf[i++] = this.u32() & 0xff;
    return buf;
  }

  bytes(n) {
    return this.fill(Buffer.allocUnsafe(n));
  }
}
