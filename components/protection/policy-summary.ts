import type { ShortTermPolicy, Weekday } from "./types";

const WEEK: readonly Weekday[] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
export const DAY_NAMES: Record<Weekday, string> = { mon: "Mon", tue: "Tue", wed: "Wed", thu: "Thu", fri: "Fri", sat: "Sat", sun: "Sun" };

/** "every day", "on weekdays", "at weekends" or "on Mon, Wed, Fri". */
export function describeDays(days: readonly Weekday[]): string {
  const set = new Set(days);
  if (WEEK.every((d) => set.has(d))) return "every day";
  if (set.size === 5 && WEEK.slice(0, 5).every((d) => set.has(d))) return "on weekdays";
  if (set.size === 2 && set.has("sat") && set.has("sun")) return "at weekends";
  if (set.size === 0) return "on no day";
  return `on ${WEEK.filter((d) => set.has(d)).map((d) => DAY_NAMES[d]).join(", ")}`;
}

/** 15 → "15 minutes", 60 → "hour", 120 → "2 hours". */
export function describeInterval(minutes: number): string {
  if (minutes % 60 !== 0) return `${minutes} minutes`;
  const h = minutes / 60;
  return h === 1 ? "hour" : `${h} hours`;
}

export function describeSync(p: Pick<ShortTermPolicy, "synchronization">): string {
  return "everyMinutes" in p.synchronization ? `Synchronize every ${describeInterval(p.synchronization.everyMinutes)}` : "Synchronize just before each recovery point";
}

const sortedTimes = (times: readonly string[]) => [...times].sort().join(", ");

/**
 * A group's short-term policy in words, as an admin would say it:
 * "Synchronize every 15 minutes; recovery points at 08:00, 12:00, 18:00 every day; keep 5 days; SLA 24 h".
 */
export function describePolicy(p: ShortTermPolicy): string {
  const parts = [describeSync(p), `recovery points at ${sortedTimes(p.recoveryPoints.times)} ${describeDays(p.recoveryPoints.days)}`];
  if (p.expressFull) parts.push(`express full at ${sortedTimes(p.expressFull.times)} ${describeDays(p.expressFull.days)}`);
  parts.push(`keep ${p.retentionDays} ${p.retentionDays === 1 ? "day" : "days"}`, `SLA ${p.slaHours} h`);
  return parts.join("; ");
}

/** The consistency-check options in words. */
export function describeConsistencyCheck(cc: ShortTermPolicy["consistencyCheck"]): string {
  const parts: string[] = [];
  if (cc.automaticWhenInconsistent) parts.push("automatically when a replica becomes inconsistent");
  if (cc.window) parts.push(`daily window at ${cc.window.start} for up to ${cc.window.maxHours} h ${describeDays(cc.window.days)}`);
  return parts.length ? `Consistency check ${parts.join("; ")}` : "Consistency check only when started by hand";
}

/** "Nov 24, 22:08" this year, "Nov 24 2025, 22:08" before: a table cell's date, the full one in its title. */
export function formatShortDateTime(d: Date, now = new Date()): string {
  const sameYear = d.getFullYear() === now.getFullYear();
  return d.toLocaleString(undefined, { year: sameYear ? undefined : "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
}
