import { sql } from "drizzle-orm";

export const HOUR_MS = 60 * 60 * 1000;
export const DAY_MS = 24 * HOUR_MS;
/** The longest range a report covers: a year, leap day included. */
export const MAX_REPORT_DAYS = 366;

/**
 * SQL literals for the day and hour lengths. Literal, not bound parameters: better-sqlite3
 * binds JS numbers as REAL, and a REAL divisor would turn the integer division that truncates
 * a timestamp to its day into a plain division.
 */
export const DAY_SQL = sql.raw(String(DAY_MS));
export const HOUR_SQL = sql.raw(String(HOUR_MS));

/** What every report read model takes: the clock's now and the range asked for. */
export interface ReportWindow {
  now: Date;
  from: Date;
  to: Date;
}

/**
 * A report range in whole UTC days, as reports count them: from the day that holds `from`
 * to the day that holds the last instant before `to`, never past today. Day numbers are days
 * since 1970-01-01 (UTC). `lastDay < firstDay` when the range lies wholly in the future.
 */
export interface ReportDays {
  firstDay: number;
  lastDay: number;
  /** Today's day number: the one day still in progress. */
  today: number;
  /** Start of the first day and end of the last one, in ms. */
  startMs: number;
  endMs: number;
  /** How many days of the range have elapsed (today counts by the hour): what averages divide by. */
  elapsedDays: number;
}

export function reportDays(w: ReportWindow): ReportDays {
  const now = w.now.getTime();
  const today = Math.floor(now / DAY_MS);
  const firstDay = Math.floor(w.from.getTime() / DAY_MS);
  const lastDay = Math.min(today, Math.floor((w.to.getTime() - 1) / DAY_MS));
  const startMs = firstDay * DAY_MS;
  const endMs = (lastDay + 1) * DAY_MS;
  return { firstDay, lastDay, today, startMs, endMs, elapsedDays: Math.max(0, (Math.min(endMs, now) - startMs) / DAY_MS) };
}

/** Every day number of the range, in order. */
export function dayNumbers(d: ReportDays): number[] {
  const out: number[] = [];
  for (let day = d.firstDay; day <= d.lastDay; day++) out.push(day);
  return out;
}

/** "2026-11-24" for a day number. */
export function dayLabel(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** The last `days` days up to now, today included (what the range selector's 7/30/90/365 mean). */
export function lastDays(now: Date, days: number): { from: Date; to: Date } {
  const today = Math.floor(now.getTime() / DAY_MS);
  return { from: new Date((today - days + 1) * DAY_MS), to: now };
}
