import type { CatalogDb } from "@/db/client";
import { getJobSuccess } from "./get-job-success";
import { getRecoveryPointHealth } from "./get-recovery-point-health";
import { getSlaCompliance } from "./get-sla-compliance";
import { getStorageUsage } from "./get-storage-usage";
import { listWorstDataSources } from "./list-worst-data-sources";
import type { PoolUsage } from "./pool-usage";
import { dayLabel, reportDays, type ReportWindow } from "./report-range";

export const REPORT_DATASETS = ["health", "sla", "jobs", "storage", "worst"] as const;
export type ReportDataset = (typeof REPORT_DATASETS)[number];

export type CsvCell = string | number | null | undefined;

/**
 * RFC 4180: fields separated by commas, records by CRLF; a field holding a comma, a quote, CR
 * or LF is quoted, its quotes doubled. A text field starting with = + - @ (or a tab or CR)
 * gets a leading apostrophe, so that a spreadsheet shows a data source named "=HYPERLINK(…)"
 * as text instead of running it (OWASP's CSV-injection advice). Numbers are written as they are.
 */
export function toCsv(rows: readonly (readonly CsvCell[])[]): string {
  return rows.map((row) => row.map(csvField).join(",")).join("\r\n") + "\r\n";
}

function csvField(v: CsvCell): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "number") return Number.isFinite(v) ? String(v) : "";
  const text = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

const percent = (share: number | null) => (share === null ? null : Math.round(share * 1000) / 10);

/** One dataset of the Reports page as CSV, computed on its own (not the whole dashboard). */
export function exportReportCsv(db: CatalogDb, w: ReportWindow & { dataset: ReportDataset; pool: PoolUsage }): { filename: string; csv: string } {
  const days = reportDays(w);
  const span = `${dayLabel(days.firstDay)}_${dayLabel(Math.max(days.firstDay, days.lastDay))}`;
  const filename = `custodian-${w.dataset}-${span}.csv`;
  switch (w.dataset) {
    case "health": {
      const h = getRecoveryPointHealth(db, w);
      const rows: CsvCell[][] = [["day", "protection_group", "ok", "warning", "critical"]];
      h.overall.forEach((d) => rows.push([d.day, "All protection groups", d.ok, d.warning, d.critical]));
      for (const g of h.groups) h.days.forEach((day, i) => rows.push([day, g.name, g.ok[i], g.warning[i], g.critical[i]]));
      return { filename, csv: toCsv(rows) };
    }
    case "sla": {
      const rows: CsvCell[][] = [["protection_group", "sla_hours", "data_sources", "within_sla_now", "within_sla_now_pct", "source_days", "ok_source_days", "ok_source_days_pct"]];
      for (const g of getSlaCompliance(db, w)) rows.push([g.name, g.slaHours, g.sources, g.withinSlaNow, percent(g.shareNow), g.sourceDays, g.okSourceDays, percent(g.shareInRange)]);
      return { filename, csv: toCsv(rows) };
    }
    case "jobs": {
      const j = getJobSuccess(db, w);
      const rows: CsvCell[][] = [["period", "job_type", "succeeded", "failed", "success_rate_pct"]];
      j.perDay.forEach((d) => rows.push([d.day, "all", d.succeeded, d.failed, percent(d.rate)]));
      for (const t of j.byType) rows.push([span.replace("_", ".."), t.type, t.succeeded, t.failed, percent(t.rate)]);
      return { filename, csv: toCsv(rows) };
    }
    case "storage": {
      const s = getStorageUsage(db, w);
      // One tidy table: the per-day growth, then the range's figures with no day.
      const rows: CsvCell[][] = [["metric", "day", "value"]];
      s.perDay.forEach((d) => rows.push(["added_bytes", d.day, d.addedBytes]));
      rows.push(
        ["protected_bytes", null, s.protectedBytes],
        ["pool_bytes", null, s.pool.poolBytes],
        ["disk_total_bytes", null, s.pool.diskTotalBytes],
        ["disk_free_bytes", null, s.pool.diskFreeBytes],
        ["average_daily_growth_bytes", null, Math.round(s.averageDailyGrowthBytes)],
        ["days_until_full", null, s.daysUntilFull],
      );
      return { filename, csv: toCsv(rows) };
    }
    case "worst": {
      const rows: CsvCell[][] = [["rank", "data_source", "kind", "path", "computer", "protection_group", "replica_state", "latest_recovery_point", "active_critical_alerts", "active_warning_alerts", "hours_beyond_sla"]];
      listWorstDataSources(db, w).forEach((s, i) =>
        rows.push([i + 1, s.name, s.kind, s.path, s.computer, s.group, s.replicaState, s.latestRecoveryPointAt?.toISOString() ?? null, s.activeCriticalAlerts, s.activeWarningAlerts, s.hoursBeyondSla]),
      );
      return { filename, csv: toCsv(rows) };
    }
  }
}
