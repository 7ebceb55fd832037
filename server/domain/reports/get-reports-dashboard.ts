import type { CatalogDb } from "@/db/client";
import { readDailyCatalogStats } from "./daily-catalog-stats";
import { getJobSuccess, type JobSuccess } from "./get-job-success";
import { getRecoveryPointHealth, type RecoveryPointHealth } from "./get-recovery-point-health";
import { getSlaCompliance, type GroupSlaCompliance } from "./get-sla-compliance";
import { getStorageUsage, type StorageUsage } from "./get-storage-usage";
import { listGroupSlas } from "./group-slas";
import { listWorstDataSources, type WorstDataSource } from "./list-worst-data-sources";
import type { PoolUsage } from "./pool-usage";
import { dayLabel, reportDays, type ReportWindow } from "./report-range";

export interface ReportsDashboard {
  range: { firstDay: string; lastDay: string; days: number };
  generatedAt: Date;
  health: RecoveryPointHealth;
  sla: GroupSlaCompliance[];
  jobs: JobSuccess;
  storage: StorageUsage;
  worst: WorstDataSource[];
}

/** Everything the manager's Reports page shows, from one read of the per-day figures. */
export function getReportsDashboard(db: CatalogDb, w: ReportWindow & { pool: PoolUsage }): ReportsDashboard {
  const days = reportDays(w);
  const stats = readDailyCatalogStats(db, days, { now: w.now });
  const groups = listGroupSlas(db);
  const health = getRecoveryPointHealth(db, { ...w, stats, groups });
  return {
    range: { firstDay: dayLabel(days.firstDay), lastDay: dayLabel(Math.max(days.firstDay, days.lastDay)), days: Math.max(0, days.lastDay - days.firstDay + 1) },
    generatedAt: w.now,
    health,
    sla: getSlaCompliance(db, { ...w, health, groups }),
    jobs: getJobSuccess(db, { ...w, stats }),
    storage: getStorageUsage(db, { ...w, stats }),
    worst: listWorstDataSources(db, { now: w.now, groups }),
  };
}
