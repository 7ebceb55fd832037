import type { CatalogDb } from "@/db/client";
import { MAX_COUNTED, readDailyCatalogStats, type DailyCatalogStats } from "./daily-catalog-stats";
import { listGroupSlas, type GroupSla } from "./group-slas";
import { DAY_MS, HOUR_MS, dayLabel, dayNumbers, reportDays, type ReportWindow } from "./report-range";

/*
 * Recovery-point health, Custodian's definition. DPM has no single OK/warning/critical enum
 * for a data source (DPM-REFERENCE §4: derived from alerts; §3.4: the SLA asks for at least
 * one recovery point per SLA period), so the reports define it per source-day:
 *
 *   A source-day is a data source on a UTC day on which it is protected: it is in a
 *   protection group (its current membership, for past days too: the catalog keeps no
 *   membership history) and its protected_since is before the day ends.
 *
 *   The SLA asks for required = ceil(24 / slaHours) recovery points on a whole day. A day
 *   the source was protected for h hours only (the day protection began; today, up to now)
 *   asks for floor(h / slaHours): the SLA periods that have fully passed.
 *
 *   critical  no recovery point that day, although the SLA asked for at least one;
 *   warning   recovery points, but fewer than required, or a failed job for the source that
 *             day (also when none was due yet);
 *   ok        otherwise.
 *
 *   A source-day on which nothing was due yet and nothing failed (protected at 22:00 with a
 *   24-hour SLA; today, before its first SLA period has passed) is not counted: it is neither
 *   healthy nor late.
 *
 * Recovery points past their retention range are pruned, so days older than a group's
 * retention read as critical: the report covers what the catalog still holds.
 */

export type Health = "ok" | "warning" | "critical";

export interface HealthCounts {
  ok: number;
  warning: number;
  critical: number;
}

export interface GroupHealth extends GroupSla {
  /** Per day of `RecoveryPointHealth.days`. */
  ok: number[];
  warning: number[];
  critical: number[];
  totals: HealthCounts;
}

export interface RecoveryPointHealth {
  /** The range's UTC days, "YYYY-MM-DD". */
  days: string[];
  /** All groups together, per day. */
  overall: (HealthCounts & { day: string })[];
  groups: GroupHealth[];
  totals: HealthCounts;
}

/** Recovery points the SLA asks for in a day protected for `protectedHours` (24: the whole day). */
export function requiredRecoveryPoints(slaHours: number, protectedHours: number): number {
  return protectedHours >= 24 ? Math.ceil(24 / slaHours) : Math.floor(protectedHours / slaHours);
}

/** One source-day's health, or null when nothing was due and nothing failed. */
export function sourceDayHealth(o: { points: number; required: number; failed: boolean }): Health | null {
  if (o.points === 0) return o.required >= 1 ? "critical" : o.failed ? "warning" : null;
  return o.points < o.required || o.failed ? "warning" : "ok";
}

/**
 * The health of the sources protected all day, from per-count histograms (see
 * daily-catalog-stats.ts): `withPoints[n]` sources made n recovery points, `failed[n]` of
 * the sources with a failed job made n, `protectedAllDay` sources were protected.
 */
export function wholeDayHealth(o: { withPoints: readonly number[] | undefined; failed: readonly number[] | undefined; protectedAllDay: number; required: number }): HealthCounts {
  let withAny = 0;
  let short = 0;
  let failedEnough = 0;
  for (let n = 1; n <= MAX_COUNTED; n++) {
    const c = o.withPoints?.[n] ?? 0;
    withAny += c;
    if (n < o.required) short += c;
    else failedEnough += o.failed?.[n] ?? 0;
  }
  const failedNone = o.failed?.[0] ?? 0;
  if (o.required === 0) return { ok: withAny - failedEnough, warning: failedEnough + failedNone, critical: 0 };
  return { ok: withAny - short - failedEnough, warning: short + failedEnough, critical: Math.max(0, o.protectedAllDay - withAny) };
}

export function getRecoveryPointHealth(db: CatalogDb, w: ReportWindow & { stats?: DailyCatalogStats; groups?: GroupSla[] }): RecoveryPointHealth {
  const days = reportDays(w);
  const stats = w.stats ?? readDailyCatalogStats(db, days, { now: w.now });
  const groups = w.groups ?? listGroupSlas(db);
  const dayList = dayNumbers(days);
  const index = new Map(dayList.map((d, i) => [d, i]));
  const zeros = () => dayList.map(() => 0);

  const result: GroupHealth[] = groups.map((g) => ({ ...g, ok: zeros(), warning: zeros(), critical: zeros(), totals: { ok: 0, warning: 0, critical: 0 } }));
  const byId = new Map(result.map((g) => [g.id, g]));

  // Today is judged on the hours that have passed: a 24-hour SLA is not missed at noon.
  const hoursToday = Math.floor((w.now.getTime() - days.today * DAY_MS) / HOUR_MS);
  for (const s of stats.sources) {
    const i = index.get(s.day)!;
    for (const g of result) {
      const required = requiredRecoveryPoints(g.slaHours, s.day < days.today ? 24 : hoursToday);
      const h = wholeDayHealth({ withPoints: s.withPoints.get(g.id), failed: s.failed.get(g.id), protectedAllDay: stats.protectedAllDay(g.id, s.day), required });
      g.ok[i]! += h.ok;
      g.warning[i]! += h.warning;
      g.critical[i]! += h.critical;
    }
    for (const p of s.firstDays) {
      const g = byId.get(p.groupId);
      if (!g) continue;
      const health = sourceDayHealth({ points: p.points, failed: p.failed, required: requiredRecoveryPoints(g.slaHours, p.protectedHours) });
      if (health) g[health][i]! += p.sources;
    }
  }

  for (const g of result) g.totals = { ok: sum(g.ok), warning: sum(g.warning), critical: sum(g.critical) };
  const overall = dayList.map((d, i) => ({
    day: dayLabel(d),
    ok: result.reduce((n, g) => n + g.ok[i]!, 0),
    warning: result.reduce((n, g) => n + g.warning[i]!, 0),
    critical: result.reduce((n, g) => n + g.critical[i]!, 0),
  }));
  return {
    days: dayList.map(dayLabel),
    overall,
    groups: result,
    totals: { ok: sum(overall.map((d) => d.ok)), warning: sum(overall.map((d) => d.warning)), critical: sum(overall.map((d) => d.critical)) },
  };
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
