import type { CatalogDb } from "@/db/client";
import { readDailyCatalogStats, type DailyCatalogStats, type JobOutcomes } from "./daily-catalog-stats";
import { dayLabel, reportDays, type ReportWindow } from "./report-range";

/*
 * Job success rate = succeeded / (succeeded + failed). Jobs still scheduled, queued or
 * running have no outcome yet and cancelled ones none that counts, so neither is in the rate.
 * A job belongs to the day it was created (the catalog indexes jobs by creation time), so a
 * day's figures can still change after it: its last jobs finish after midnight.
 */

export interface DayJobSuccess {
  day: string;
  succeeded: number;
  failed: number;
  /** 0..1; null on a day without finished jobs. */
  rate: number | null;
}

export interface JobTypeTotals extends JobOutcomes {
  type: string;
  rate: number | null;
}

export interface JobSuccess {
  perDay: DayJobSuccess[];
  byType: JobTypeTotals[];
  totals: { succeeded: number; failed: number; rate: number | null };
}

const rateOf = (succeeded: number, failed: number) => (succeeded + failed ? succeeded / (succeeded + failed) : null);

export function getJobSuccess(db: CatalogDb, w: ReportWindow & { stats?: DailyCatalogStats }): JobSuccess {
  const days = reportDays(w);
  const stats = w.stats ?? readDailyCatalogStats(db, days, { now: w.now });
  const perDay = stats.totals.map((d) => ({ day: dayLabel(d.day), succeeded: d.jobsSucceeded, failed: d.jobsFailed, rate: rateOf(d.jobsSucceeded, d.jobsFailed) }));
  const succeeded = perDay.reduce((n, d) => n + d.succeeded, 0);
  const failed = perDay.reduce((n, d) => n + d.failed, 0);
  const types = new Map<string, JobOutcomes>();
  for (const d of stats.totals) {
    for (const [type, o] of d.jobTypes) {
      const t = types.get(type) ?? { succeeded: 0, failed: 0, other: 0 };
      types.set(type, { succeeded: t.succeeded + o.succeeded, failed: t.failed + o.failed, other: t.other + o.other });
    }
  }
  const byType = [...types]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([type, o]) => ({ type, ...o, rate: rateOf(o.succeeded, o.failed) }));
  return { perDay, byType, totals: { succeeded, failed, rate: rateOf(succeeded, failed) } };
}
