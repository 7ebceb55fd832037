import { sql } from "drizzle-orm";
import type { CatalogDb } from "@/db/client";
import { DAY_MS, DAY_SQL, HOUR_SQL, dayNumbers, type ReportDays } from "./report-range";

/**
 * The per-day facts the manager's reports are built from, aggregated in SQL:
 *
 *   - per day: recovery points made, bytes they added to the pool, jobs by type and outcome;
 *   - per day and protection group, for the data sources protected for the whole day: how
 *     many made n recovery points (n = 1..MAX_COUNTED, the last bucket meaning "at least"),
 *     and how many had a failed job, by the recovery points they made that day (n = 0..);
 *   - the source-days of sources whose protection began during the day (not at midnight),
 *     which are judged on the hours they were protected;
 *   - how many sources of each group were protected from the start of each day.
 *
 * Today is in the figures like any other day (judged later on the part that has passed).
 *
 * Speed with a year of a large catalog (5,000 sources, a million recovery points): grouping
 * all the range's recovery points by (source, day) in one statement sorts a million rows
 * (~0.5 s). Per-day statements sort one day at a time, and per-day counts written as a
 * correlated subquery over a recursive list of days are answered from the created_at index
 * alone, with no sort at all. A finished day's per-source figures only change when its
 * recovery points or failed jobs, or the groups' membership, change: they are kept in memory
 * per catalog and checked against those counts on every call (see `DayCache`), so a year's
 * report recomputes only today and what changed.
 */

/** Recovery points counted per source-day up to this many: enough for any SLA (ceil(24 / 1 h)). */
export const MAX_COUNTED = 24;

export interface JobOutcomes {
  succeeded: number;
  failed: number;
  /** Cancelled, or without an outcome yet. */
  other: number;
}

export interface DayTotals {
  day: number;
  recoveryPoints: number;
  addedBytes: number;
  jobsSucceeded: number;
  jobsFailed: number;
  /** The day's jobs by type. */
  jobTypes: Map<string, JobOutcomes>;
}

/** Per group: index n = how many sources made n recovery points that day (n >= 1; 0 unused). */
type Histograms = Map<number, number[]>;

export interface DaySourceStats {
  day: number;
  /** Sources protected the whole day, by recovery points made. */
  withPoints: Histograms;
  /** Sources protected the whole day that had a failed job, by recovery points made (index 0 = none). */
  failed: Histograms;
  /** Sources whose protection began during the day. */
  firstDays: PartialSourceDays[];
}

/** Source-days protected for part of the day only, grouped by what decides their health. */
export interface PartialSourceDays {
  groupId: number;
  points: number;
  failed: boolean;
  /** Whole hours the source was protected that day (up to now, for today). */
  protectedHours: number;
  sources: number;
}

export interface DailyCatalogStats {
  totals: DayTotals[];
  sources: DaySourceStats[];
  /** Sources of `groupId` protected from the start of `day`. */
  protectedAllDay(groupId: number, day: number): number;
}

interface CachedDay {
  recoveryPoints: number;
  jobsFailed: number;
  jobsSucceeded: number;
  addedBytes: number;
  jobTypes: Map<string, JobOutcomes>;
  stats: DaySourceStats;
}

/** Finished days' figures of one catalog, valid while `membership` is unchanged. */
interface DayCache {
  membership: string;
  days: Map<number, CachedDay>;
}

const caches = new WeakMap<CatalogDb, DayCache>();

export function readDailyCatalogStats(db: CatalogDb, days: ReportDays, o: { now: Date }): DailyCatalogStats {
  const now = o.now.getTime();
  if (days.lastDay < days.firstDay) return { totals: [], sources: [], protectedAllDay: () => 0 };

  const counts = readDayCounts(db, days);
  const membership = membershipFingerprint(db);
  let cache = caches.get(db);
  if (!cache || cache.membership !== membership) {
    cache = { membership, days: new Map() };
    caches.set(db, cache);
  }

  const totals: DayTotals[] = [];
  const sources: DaySourceStats[] = [];
  for (const c of counts) {
    let entry = cache.days.get(c.day);
    // A job of a past day can still end (running -> succeeded or failed): its counts are in the check.
    if (!entry || entry.recoveryPoints !== c.recoveryPoints || entry.jobsFailed !== c.jobsFailed || entry.jobsSucceeded !== c.jobsSucceeded) {
      const { addedBytes, withPoints } = readDayPoints(db, c.day, c.recoveryPoints);
      const failed = c.jobsFailed > 0 ? readDayFailures(db, c.day) : new Map<number, number[]>();
      const firstDays = readFirstDays(db, c.day, Math.min((c.day + 1) * DAY_MS, now));
      const jobTypes = readDayJobTypes(db, c.day);
      entry = { ...c, addedBytes, jobTypes, stats: { day: c.day, withPoints, failed, firstDays } };
      // Today is still being written: it is read afresh on every call.
      if (c.day < days.today) cache.days.set(c.day, entry);
    }
    totals.push({ day: c.day, recoveryPoints: c.recoveryPoints, addedBytes: entry.addedBytes, jobsSucceeded: c.jobsSucceeded, jobsFailed: c.jobsFailed, jobTypes: entry.jobTypes });
    sources.push(entry.stats);
  }
  return { totals, sources, protectedAllDay: readProtectedAllDay(db) };
}

/** Per day: recovery points, failed and succeeded jobs, each a range count on a covering index. */
function readDayCounts(db: CatalogDb, days: ReportDays) {
  const rows = db.all<{ day: number; rp: number; failed: number; succeeded: number }>(sql`
    WITH RECURSIVE d(day) AS (
      SELECT CAST(${days.firstDay} AS INTEGER)
      UNION ALL SELECT day + 1 FROM d WHERE day < ${days.lastDay}
    )
    SELECT day,
      (SELECT count(*) FROM recovery_points WHERE created_at >= day * ${DAY_SQL} AND created_at < (day + 1) * ${DAY_SQL}) AS rp,
      (SELECT count(*) FROM jobs WHERE state = 'failed' AND created_at >= day * ${DAY_SQL} AND created_at < (day + 1) * ${DAY_SQL}) AS failed,
      (SELECT count(*) FROM jobs WHERE state = 'succeeded' AND created_at >= day * ${DAY_SQL} AND created_at < (day + 1) * ${DAY_SQL}) AS succeeded
    FROM d`);
  const byDay = new Map(rows.map((r) => [Number(r.day), r]));
  return dayNumbers(days).map((day) => {
    const r = byDay.get(day);
    return { day, recoveryPoints: Number(r?.rp ?? 0), jobsFailed: Number(r?.failed ?? 0), jobsSucceeded: Number(r?.succeeded ?? 0) };
  });
}

/**
 * Which sources are protected, in which group and since when. Any change (a source added to
 * or removed from a group, protection restarted) makes every cached day stale.
 */
function membershipFingerprint(db: CatalogDb): string {
  const r = db.get<{ n: number; g: number; gid: number; since: number }>(sql`
    SELECT count(*) AS n, coalesce(sum(group_id), 0) AS g, coalesce(sum(id * group_id), 0) AS gid, coalesce(sum(protected_since), 0) AS since
    FROM data_sources WHERE group_id IS NOT NULL`);
  return `${r.n}/${r.g}/${r.gid}/${r.since}`;
}

/** A day's recovery points per source, folded into per-group histograms (and the bytes they added). */
function readDayPoints(db: CatalogDb, day: number, recoveryPoints: number): { addedBytes: number; withPoints: Histograms } {
  const withPoints: Histograms = new Map();
  if (recoveryPoints === 0) return { addedBytes: 0, withPoints };
  const start = day * DAY_MS;
  const rows = db.all<{ g: number | null; n: number; c: number; added: number }>(sql`
    SELECT s.group_id AS g, min(x.n, ${MAX_COUNTED}) AS n, count(*) AS c, sum(x.added) AS added
    FROM (
      SELECT data_source_id AS ds, count(*) AS n, sum(added_bytes) AS added
      FROM recovery_points WHERE created_at >= ${start} AND created_at < ${start + DAY_MS}
      GROUP BY data_source_id
    ) x
    LEFT JOIN data_sources s ON s.id = x.ds AND s.group_id IS NOT NULL AND (s.protected_since IS NULL OR s.protected_since <= ${start})
    GROUP BY 1, 2`);
  let addedBytes = 0;
  for (const r of rows) {
    addedBytes += Number(r.added ?? 0);
    if (r.g !== null) bump(withPoints, Number(r.g), Number(r.n), Number(r.c));
  }
  return { addedBytes, withPoints };
}

/** The day's failed jobs' sources (protected all day), by the recovery points they still made. */
function readDayFailures(db: CatalogDb, day: number): Histograms {
  const start = day * DAY_MS;
  const rows = db.all<{ g: number; n: number; c: number }>(sql`
    SELECT s.group_id AS g,
      min((SELECT count(*) FROM recovery_points r WHERE r.data_source_id = f.ds AND r.created_at >= ${start} AND r.created_at < ${start + DAY_MS}), ${MAX_COUNTED}) AS n,
      count(*) AS c
    FROM (SELECT DISTINCT data_source_id AS ds FROM jobs WHERE state = 'failed' AND created_at >= ${start} AND created_at < ${start + DAY_MS} AND data_source_id IS NOT NULL) f
    JOIN data_sources s ON s.id = f.ds AND s.group_id IS NOT NULL AND (s.protected_since IS NULL OR s.protected_since <= ${start})
    GROUP BY 1, 2`);
  const out: Histograms = new Map();
  for (const r of rows) bump(out, Number(r.g), Number(r.n), Number(r.c));
  return out;
}

/** The day's jobs per type and outcome (its jobs are next to each other in the created_at index). */
function readDayJobTypes(db: CatalogDb, day: number): Map<string, JobOutcomes> {
  const start = day * DAY_MS;
  const rows = db.all<{ type: string; state: string; n: number }>(sql`
    SELECT type, state, count(*) AS n FROM jobs WHERE created_at >= ${start} AND created_at < ${start + DAY_MS} GROUP BY 1, 2`);
  const out = new Map<string, JobOutcomes>();
  for (const r of rows) {
    const o = out.get(r.type) ?? { succeeded: 0, failed: 0, other: 0 };
    if (r.state === "succeeded") o.succeeded += Number(r.n);
    else if (r.state === "failed") o.failed += Number(r.n);
    else o.other += Number(r.n);
    out.set(r.type, o);
  }
  return out;
}

/**
 * The day's sources whose protection began during it (not at midnight): judged on the hours
 * from then to the end of the day, or to now for today.
 */
function readFirstDays(db: CatalogDb, day: number, until: number): PartialSourceDays[] {
  const start = day * DAY_MS;
  const rows = db.all<{ g: number; n: number; failed: number; hours: number; c: number }>(sql`
    SELECT g, n, failed, hours, count(*) AS c FROM (
      SELECT s.group_id AS g,
        min((SELECT count(*) FROM recovery_points r WHERE r.data_source_id = s.id AND r.created_at >= ${start} AND r.created_at < ${start + DAY_MS}), ${MAX_COUNTED}) AS n,
        EXISTS (SELECT 1 FROM jobs j WHERE j.data_source_id = s.id AND j.created_at >= ${start} AND j.created_at < ${start + DAY_MS} AND j.state = 'failed') AS failed,
        CAST((${until} - s.protected_since) / ${HOUR_SQL} AS INTEGER) AS hours
      FROM data_sources s
      WHERE s.group_id IS NOT NULL AND s.protected_since > ${start} AND s.protected_since < ${start + DAY_MS} AND s.protected_since <= ${until}
    )
    GROUP BY 1, 2, 3, 4`);
  return rows.map((r) => ({ groupId: Number(r.g), points: Number(r.n), failed: Number(r.failed) === 1, protectedHours: Number(r.hours), sources: Number(r.c) }));
}

/** How many sources of each group were protected from the start of a day (protected_since at or before midnight). */
function readProtectedAllDay(db: CatalogDb): (groupId: number, day: number) => number {
  // First whole day of protection = ceil(protected_since / day); no protected_since counts as always.
  const rows = db.all<{ g: number; first: number | null; c: number }>(sql`
    SELECT group_id AS g, (protected_since + ${DAY_SQL} - 1) / ${DAY_SQL} AS first, count(*) AS c
    FROM data_sources WHERE group_id IS NOT NULL
    GROUP BY 1, 2`);
  const byGroup = new Map<number, { first: number; c: number }[]>();
  for (const r of rows) {
    const list = byGroup.get(Number(r.g)) ?? [];
    list.push({ first: r.first === null ? -Infinity : Number(r.first), c: Number(r.c) });
    byGroup.set(Number(r.g), list);
  }
  return (groupId, day) => (byGroup.get(groupId) ?? []).reduce((n, x) => (x.first <= day ? n + x.c : n), 0);
}

function bump(h: Histograms, groupId: number, n: number, c: number) {
  let list = h.get(groupId);
  if (!list) h.set(groupId, (list = new Array<number>(MAX_COUNTED + 1).fill(0)));
  list[n]! += c;
}
