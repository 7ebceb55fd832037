// The FastCDC chunker's implementation, in plain JavaScript so that worker threads (which
// run without the TypeScript loader) cut files exactly as the main thread does: one source of
// truth for the cut points, which are part of the storage format. Types: gear-chunker.d.mts;
// documentation and golden tests: chunker.ts and chunker.test.ts.
import { createHash } from "node:crypto";

export const DEFAULT_CHUNKER_PARAMS = { minSize: 256 * 1024, avgSize: 1024 * 1024, maxSize: 4 * 1024 * 1024 };

const GEAR_SEED = "custodian-gear-v1";

/** 256 pseudo-random 32-bit values from SHA-256("custodian-gear-v1" || i), 8 per digest. */
export const GEAR = (() => {
  const table = new Uint32Array(256);
  for (let block = 0; block < 32; block++) {
    const digest = createHash("sha256").update(`${GEAR_SEED}:${block}`).digest();
    for (let j = 0; j < 8; j++) table[block * 8 + j] = digest.readUInt32BE(j * 4);
  }
  return table;
})();

/** A mask of the top `bits` bits of a 32-bit word. */
function topBits(bits) {
  return bits >= 32 ? 0xffffffff : ((0xffffffff << (32 - bits)) >>> 0);
}

export function validateParams(p) {
  const pow2 = (n) => Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;
  if (!pow2(p.avgSize) || p.avgSize < 256 || p.avgSize > 2 ** 26) throw new RangeError(`avgSize must be a power of two in [256, 64 MiB], got ${p.avgSize}`);
  if (!(Number.isInteger(p.minSize) && p.minSize >= 64 && p.minSize < p.avgSize)) throw new RangeError(`minSize must be an integer in [64, avgSize), got ${p.minSize}`);
  if (!(Number.isInteger(p.maxSize) && p.maxSize > p.avgSize && p.maxSize <= 2 ** 30)) throw new RangeError(`maxSize must be an integer in (avgSize, 1 GiB], got ${p.maxSize}`);
}

/**
 * Splits a stream into chunks. Feed it with `push` in buffers of any size, then `finish`;
 * the chunks are the same whatever the buffer boundaries. Emitted chunks are fresh copies
 * or subarrays the caller may keep.
 */
export class Chunker {
  hash = 0;
  /** Bytes of the current, not yet cut chunk. */
  pending = [];
  pendingLength = 0;

  constructor(params = DEFAULT_CHUNKER_PARAMS) {
    validateParams(params);
    this.min = params.minSize;
    this.avg = params.avgSize;
    this.max = params.maxSize;
    const bits = Math.log2(params.avgSize);
    // Normalized chunking, level 2: harder to cut before the average, easier after it.
    this.maskS = topBits(bits + 2);
    this.maskL = topBits(bits - 2);
  }

  /** Consumes `data`, returning the chunks it completed (possibly none). */
  push(data) {
    const out = [];
    let start = 0;
    let i = 0;
    const n = data.length;
    while (i < n) {
      // Position of data[i] within the current chunk.
      let pos = this.pendingLength + (i - start);
      let h = this.hash;
      let cut = -1;
      // Skip the first minSize bytes of a chunk: no cut may fall there, and the hash window
      // (32 bytes) is refilled before any decision that matters.
      if (pos < this.min - 32) {
        const skip = Math.min(n - i, this.min - 32 - pos);
        i += skip;
        pos += skip;
        h = 0;
      }
      // Three phases with their own tight loops (this is the engine's hottest code):
      // warm-up to minSize (hash only), then the strict mask until avgSize, then the loose
      // mask until maxSize, where the cut is forced. Bounds are indexes into `data`.
      const gear = GEAR;
      const base = i - pos; // index in `data` where the current chunk's byte 0 would be
      const warmEnd = Math.min(n, base + this.min - 1);
      for (; i < warmEnd; i++) h = ((h << 1) + gear[data[i]]) >>> 0;
      const strictEnd = Math.min(n, base + this.avg - 1);
      const maskS = this.maskS;
      for (; i < strictEnd; i++) {
        h = ((h << 1) + gear[data[i]]) >>> 0;
        if ((h & maskS) === 0) {
          cut = i;
          break;
        }
      }
      if (cut < 0) {
        const looseEnd = Math.min(n, base + this.max - 1);
        const maskL = this.maskL;
        for (; i < looseEnd; i++) {
          h = ((h << 1) + gear[data[i]]) >>> 0;
          if ((h & maskL) === 0) {
            cut = i;
            break;
          }
        }
        if (cut < 0 && i === base + this.max - 1 && i < n) {
          h = ((h << 1) + gear[data[i]]) >>> 0;
          cut = i; // maxSize reached
        }
      }
      this.hash = h;
      if (cut < 0) break;
      out.push(this.take(data, start, cut + 1));
      start = cut + 1;
      i = start;
      this.hash = 0;
    }
    if (start < n) {
      this.pending.push(data.subarray(start));
      this.pendingLength += n - start;
    }
    return out;
  }

  /**
   * Copies the bytes of the chunk being cut into memory of its own, so that the caller may
   * reuse the buffer it last pushed (a worker reading a large file into one buffer).
   */
  own() {
    if (this.pendingLength === 0) return;
    const copy = new Uint8Array(this.pendingLength);
    let off = 0;
    for (const p of this.pending) {
      copy.set(p, off);
      off += p.length;
    }
    this.pending = [copy];
  }

  /** Ends the stream: the last chunk, if any bytes are left. */
  finish() {
    if (this.pendingLength === 0) return null;
    const last = concat(this.pending, this.pendingLength);
    this.pending = [];
    this.pendingLength = 0;
    this.hash = 0;
    return last;
  }

  take(data, start, end) {
    if (this.pendingLength === 0) return data.subarray(start, end);
    this.pending.push(data.subarray(start, end));
    const chunk = concat(this.pending, this.pendingLength + (end - start));
    this.pending = [];
    this.pendingLength = 0;
    return chunk;
  }
}

function concat(parts, length) {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(length);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** The lengths of the chunks of a whole buffer. */
export function chunkLengths(data, params = DEFAULT_CHUNKER_PARAMS) {
  const c = new Chunker(params);
  const lengths = c.push(data).map((x) => x.length);
  const last = c.finish();
  if (last) lengths.push(last.length);
  return lengths;
}
