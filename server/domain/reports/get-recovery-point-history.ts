import { gte, sql } from "drizzle-orm";
import type { CatalogDb } from "@/db/client";
import { jobs, recoveryPoints } from "@/db/schema";

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Recovery points created and jobs finished per UTC day over the last `days` days, with
 * every day present (zero-filled) so that a chart shows gaps as gaps.
 */
export function getRecoveryPointHistory(db: CatalogDb, o: { now: Date; days: number }) {
  const start = Math.floor(o.now.getTime() / DAY_MS) * DAY_MS - (o.days - 1) * DAY_MS;
  // Literal, not a bound parameter: better-sqlite3 binds JS numbers as REAL, and a REAL
  // divisor would turn the integer division that truncates to the day into a plain division.
  const dayMs = sql.raw(String(DAY_MS));
  const day = (col: unknown) => sql<number>`(${col} / ${dayMs}) * ${dayMs}`;
  const points = db
    .select({ day: day(recoveryPoints.createdAt), n: sql<number>`count(*)` })
    .from(recoveryPoints)
    .where(gte(recoveryPoints.createdAt, new Date(start)))
    .groupBy(day(recoveryPoints.createdAt))
    .all();
  const jobRows = db
    .select({
      day: day(jobs.createdAt),
      succeeded: sql<number>`sum(case when ${jobs.state} = 'succeeded' then 1 else 0 end)`,
      failed: sql<number>`sum(case when ${jobs.state} = 'failed' then 1 else 0 end)`,
    })
    .from(jobs)
    .where(gte(jobs.createdAt, new Date(start)))
    .groupBy(day(jobs.createdAt))
    .all();
  const byDay = new Map<number, { recoveryPoints: number; jobsSucceeded: number; jobsFailed: number }>();
  for (let t = start; t <= o.now.getTime(); t += DAY_MS) byDay.set(t, { recoveryPoints: 0, jobsSucceeded: 0, jobsFailed: 0 });
  for (const p of points) {
    const d = byDay.get(Number(p.day));
    if (d) d.recoveryPoints = Number(p.n);
  }
  for (const j of jobRows) {
    const d = byDay.get(Number(j.day));
    if (d) Object.assign(d, { jobsSucceeded: Number(j.succeeded), jobsFailed: Number(j.failed) });
  }
  const series = [...byDay].map(([t, v]) => ({ day: new Date(t).toISOString().slice(0, 10), ...v }));
  const totals = series.reduce(
    (a, d) => ({
      recoveryPoints: a.recoveryPoints + d.recoveryPoints,
      jobsSucceeded: a.jobsSucceeded + d.jobsSucceeded,
      jobsFailed: a.jobsFailed + d.jobsFailed,
    }),
    { recoveryPoints: 0, jobsSucceeded: 0, jobsFailed: 0 },
  );
  return { series, totals };
}
