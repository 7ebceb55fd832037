import { sql } from "drizzle-orm";
import type { CatalogDb } from "@/db/client";
import { readDailyCatalogStats, type DailyCatalogStats } from "./daily-catalog-stats";
import type { PoolUsage } from "./pool-usage";
import { dayLabel, reportDays, type ReportWindow } from "./report-range";

export interface StorageUsage {
  /** Logical bytes under protection: per protected source, the size of its latest recovery point. */
  protectedBytes: number;
  pool: PoolUsage;
  /** Bytes recovery points added to the pool per day (new chunks, compressed), and their running total. */
  perDay: { day: string; addedBytes: number; cumulativeBytes: number }[];
  addedBytes: number;
  /** addedBytes over the days of the range that have passed (today by the hour). */
  averageDailyGrowthBytes: number;
  /**
   * Free disk / average daily growth, rounded down; null when the pool is not growing over
   * the range (growth <= 0) or the disk cannot be read. A projection from the range chosen:
   * garbage collection frees space that recovery points' added bytes do not show.
   */
  daysUntilFull: number | null;
}

export function getStorageUsage(db: CatalogDb, w: ReportWindow & { pool: PoolUsage; stats?: DailyCatalogStats }): StorageUsage {
  const days = reportDays(w);
  const stats = w.stats ?? readDailyCatalogStats(db, days, { now: w.now });
  let cumulative = 0;
  const perDay = stats.totals.map((d) => ({ day: dayLabel(d.day), addedBytes: d.addedBytes, cumulativeBytes: (cumulative += d.addedBytes) }));
  const average = days.elapsedDays > 0 ? cumulative / days.elapsedDays : 0;
  const free = w.pool.diskFreeBytes;
  return {
    protectedBytes: readProtectedBytes(db),
    pool: w.pool,
    perDay,
    addedBytes: cumulative,
    averageDailyGrowthBytes: average,
    daysUntilFull: average > 0 && free !== null ? Math.floor(free / average) : null,
  };
}

/** One index seek per protected source for its latest recovery point. */
function readProtectedBytes(db: CatalogDb): number {
  const r = db.get<{ bytes: number | null }>(sql`
    SELECT sum((SELECT r.size_bytes FROM recovery_points r WHERE r.data_source_id = s.id ORDER BY r.created_at DESC LIMIT 1)) AS bytes
    FROM data_sources s WHERE s.group_id IS NOT NULL`);
  return Number(r?.bytes ?? 0);
}
