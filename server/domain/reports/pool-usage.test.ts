import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { POOL_USAGE_TTL_MS, measurePoolUsage, type PoolHost } from "./pool-usage";

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function host(withPool: boolean): PoolHost & { opened: number; bytes: number } {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "custodian-pool-usage-"));
  dirs.push(dataDir);
  if (withPool) {
    fs.mkdirSync(path.join(dataDir, "pool"));
    fs.writeFileSync(path.join(dataDir, "pool", "config.json"), "{}");
  }
  const h = {
    dataDir,
    opened: 0,
    bytes: 5_000,
    pool() {
      h.opened++;
      return { dir: path.join(dataDir, "pool"), stats: () => ({ storedBytes: h.bytes }) };
    },
  };
  return h;
}

describe("measurePoolUsage", () => {
  it("reads the pool's size from its index and the disk from statfs, and reuses the figures for a minute", () => {
    const h = host(true);
    const t0 = new Date("2026-11-24T12:00:00Z");
    const first = measurePoolUsage(h, t0);
    expect(first.poolBytes).toBe(5_000);
    expect(first.diskTotalBytes).toBeGreaterThan(0);
    expect(first.diskFreeBytes).toBeGreaterThanOrEqual(0);
    expect(first.diskFreeBytes!).toBeLessThanOrEqual(first.diskTotalBytes!);
    h.bytes = 9_000;
    expect(measurePoolUsage(h, new Date(t0.getTime() + POOL_USAGE_TTL_MS - 1)).poolBytes).toBe(5_000);
    expect(measurePoolUsage(h, new Date(t0.getTime() + POOL_USAGE_TTL_MS)).poolBytes).toBe(9_000);
  });

  it("never creates a pool: without one there is no pool size, but the data folder's disk", () => {
    const h = host(false);
    const u = measurePoolUsage(h, new Date("2026-11-24T12:00:00Z"));
    expect(h.opened).toBe(0);
    expect(u.poolBytes).toBeNull();
    expect(u.diskTotalBytes).toBeGreaterThan(0);
    expect(fs.existsSync(path.join(h.dataDir, "pool"))).toBe(false);
  });
});
