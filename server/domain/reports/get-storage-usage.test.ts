import { describe, expect, it } from "vitest";
import { getStorageUsage } from "./get-storage-usage";
import type { PoolUsage } from "./pool-usage";
import { lastDays } from "./report-range";
import { NOW, ReportsFixture } from "./test-support";

const pool = (diskFreeBytes: number | null): PoolUsage => ({ poolBytes: 123_456, diskTotalBytes: 10_000_000, diskFreeBytes, measuredAt: NOW });

function catalog() {
  const f = new ReportsFixture();
  const g = f.group("G");
  const x = f.source("x", { groupId: g });
  const y = f.source("y", { groupId: g });
  const none = f.source("none-yet", { groupId: g });
  const z = f.source("unprotected", { groupId: null });
  f.points(x, ["2026-11-19T10:00:00Z"], { sizeBytes: 1_000, addedBytes: 9_999 }); // before the range
  f.points(x, ["2026-11-21T10:00:00Z"], { sizeBytes: 3_000, addedBytes: 300 });
  f.points(x, ["2026-11-23T10:00:00Z"], { sizeBytes: 5_000, addedBytes: 200 });
  f.points(y, ["2026-11-21T11:00:00Z", "2026-11-24T08:00:00Z"], { sizeBytes: 7_000, addedBytes: 150 });
  f.points(z, ["2026-11-22T10:00:00Z"], { sizeBytes: 1_000_000, addedBytes: 50 });
  return { f, none };
}

describe("getStorageUsage", () => {
  it("sums the latest size of each protected source, the pool's growth per day, and projects when the disk is full", () => {
    const { f } = catalog();
    const s = getStorageUsage(f.db, { now: NOW, ...lastDays(NOW, 4), pool: pool(1_000_000) });
    expect(s.protectedBytes).toBe(12_000);
    expect(s.perDay).toEqual([
      { day: "2026-11-21", addedBytes: 450, cumulativeBytes: 450 },
      { day: "2026-11-22", addedBytes: 50, cumulativeBytes: 500 },
      { day: "2026-11-23", addedBytes: 200, cumulativeBytes: 700 },
      { day: "2026-11-24", addedBytes: 150, cumulativeBytes: 850 },
    ]);
    // 850 bytes since the range's first recovery point (Nov 21 10:00, 3 days 2 hours before now):
    // ~275.7 a day; 1,000,000 free -> 3627 days.
    expect(s.averageDailyGrowthBytes).toBeCloseTo(850 / (3 + 2 / 24), 6);
    expect(s.daysUntilFull).toBe(3627);
    expect(s.pool.poolBytes).toBe(123_456);
  });

  it.each([
    ["a pool that does not grow", 1, 1_000_000],
    ["an unreadable disk", 4, null],
  ] as const)("has no days-until-full figure for %s", (_what, days, free) => {
    const { f } = catalog();
    // The last day alone (today) holds growth; a range of just yesterday holds none.
    const w = days === 1 ? { now: NOW, from: new Date("2026-11-20T00:00:00Z"), to: new Date("2026-11-21T00:00:00Z") } : { now: NOW, ...lastDays(NOW, days) };
    expect(getStorageUsage(f.db, { ...w, pool: pool(free) }).daysUntilFull).toBeNull();
  });
});
