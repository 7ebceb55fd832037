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
  /** addedBytes per day since the first recovery point in the range (at least a day), or over the range's elapsed days. */
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
  // Averaged over the days since the first recovery point of the range (at least one day): a
  // server protecting for two days has not been growing for thirty.
  const first = db.get<{ t: number | null }>(sql`SELECT min(created_at) AS t FROM recovery_points WHERE created_at >= ${days.startMs}`)?.t ?? null;
  const since = first === null ? days.elapsedDays : Math.max(1, (Math.min(days.endMs, w.now.getTime()) - Math.max(days.startMs, Number(first))) / 86_400_000);
  const growthDays = Math.min(days.elapsedDays, since);
  const average = growthDays > 0 ? cumulative / Math.max(growthDays, Math.min(1, days.elapsedDays)) : 0;
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
