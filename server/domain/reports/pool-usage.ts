import fs from "node:fs";
import path from "node:path";

/** What the reports need of the server's storage pool (ProtectionRuntime satisfies it). */
export interface PoolHost {
  readonly dataDir: string;
  pool(): { readonly dir: string; stats(): { storedBytes: number } };
}

export interface PoolUsage {
  /** Bytes the pool's chunks take (as its index records them); null when there is no pool yet. */
  poolBytes: number | null;
  /** The file system holding the pool; null when it cannot be read. */
  diskTotalBytes: number | null;
  diskFreeBytes: number | null;
  measuredAt: Date;
}

/** How long a measurement is reused: summing a large pool's index is not free, and the disk does not change by the second. */
export const POOL_USAGE_TTL_MS = 60_000;

const cache = new Map<string, PoolUsage>();

/**
 * The pool's size and its disk's capacity. The size comes from the chunk store's in-memory
 * index (no walk over the pack files); the disk figures from statfs. A server without a pool
 * yet (a fresh catalog, a test) gets its data folder's disk and no pool size: reports never
 * create a pool.
 */
export function measurePoolUsage(host: PoolHost, now: Date): PoolUsage {
  const hit = cache.get(host.dataDir);
  if (hit && now.getTime() - hit.measuredAt.getTime() < POOL_USAGE_TTL_MS && now >= hit.measuredAt) return hit;
  const hasPool = fs.existsSync(path.join(host.dataDir, "pool", "config.json"));
  const pool = hasPool ? host.pool() : null;
  const disk = diskOf(pool?.dir ?? host.dataDir);
  const usage: PoolUsage = { poolBytes: pool ? pool.stats().storedBytes : null, ...disk, measuredAt: now };
  cache.set(host.dataDir, usage);
  return usage;
}

/** The size and free space of the file system holding `dir` (null where it cannot be told). */
export function diskOf(dir: string): { diskTotalBytes: number | null; diskFreeBytes: number | null } {
  // The nearest folder that exists: a data folder is made on first start.
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    try {
      const s = fs.statfsSync(d);
      return { diskTotalBytes: s.blocks * s.bsize, diskFreeBytes: s.bavail * s.bsize };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT" || d === path.dirname(d)) return { diskTotalBytes: null, diskFreeBytes: null };
    }
  }
}
