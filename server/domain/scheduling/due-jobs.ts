/**
 * What is due, as a pure function of the policies and a time window: the scheduler's minute
 * loop asks "what fell due in (from, to]?" with its injected clock, so a tick that comes late
 * (the process was busy, asleep or down) still sees everything it missed, and tests need no
 * waiting.
 *
 * Times of day are wall-clock times in the server's time zone (an IANA name), as an admin
 * types them. Synchronization every N minutes means at the multiples of N minutes since local
 * midnight (every allowed interval divides a day). A daylight-saving gap skips its times and
 * an overlap does not repeat them: each local minute is considered once, at its first instant.
 */
import type { ShortTermPolicy, Weekday } from "@/server/domain/protection/short-term-policy";

export type DueJobType = "synchronization" | "recovery-point" | "express-full" | "consistency-check";

export interface DueJob {
  groupId: number;
  type: DueJobType;
  /** The instant it was scheduled for (a whole minute). */
  scheduledFor: Date;
  /** A consistency check from the scheduled window runs only if a replica is inconsistent, for at most this long. */
  maxHours?: number;
}

export interface ScheduledGroup {
  groupId: number;
  policy: ShortTermPolicy;
}

/** The longest window looked at in one call: a week (anything older is reported as missed in bulk by the caller). */
export const MAX_WINDOW_MS = 7 * 24 * 3600_000;

const formatters = new Map<string, Intl.DateTimeFormat>();
function localParts(t: Date, timeZone: string): { weekday: Weekday; minuteOfDay: number; key: string } {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-GB", { timeZone, weekday: "short", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
    formatters.set(timeZone, f);
  }
  const parts = Object.fromEntries(f.formatToParts(t).map((p) => [p.type, p.value]));
  const weekday = parts.weekday!.toLowerCase().slice(0, 3) as Weekday;
  const minuteOfDay = Number(parts.hour) * 60 + Number(parts.minute);
  return { weekday, minuteOfDay, key: `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}` };
}

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/**
 * Jobs due in the window (from, to], in time order; at one instant a synchronization comes
 * before the recovery point it precedes. Throws RangeError for a window longer than a week
 * or an unknown time zone.
 */
export function dueJobs(groups: readonly ScheduledGroup[], from: Date, to: Date, timeZone = "UTC"): DueJob[] {
  if (to.getTime() - from.getTime() > MAX_WINDOW_MS) throw new RangeError("window longer than a week: report the rest as missed");
  const out: DueJob[] = [];
  const order: Record<DueJobType, number> = { synchronization: 0, "express-full": 1, "recovery-point": 2, "consistency-check": 3 };
  const seenLocal = new Set<string>();
  // Whole minutes after `from`, up to and including `to`.
  const first = Math.floor(from.getTime() / 60_000) + 1;
  const last = Math.floor(to.getTime() / 60_000);
  for (let m = first; m <= last; m++) {
    const t = new Date(m * 60_000);
    const { weekday, minuteOfDay, key } = localParts(t, timeZone);
    if (seenLocal.has(key)) continue; // the repeated hour when clocks go back
    seenLocal.add(key);
    for (const g of groups) {
      const p = g.policy;
      const rpToday = p.recoveryPoints.days.includes(weekday) && p.recoveryPoints.times.some((x) => minutesOf(x) === minuteOfDay);
      const sync = "everyMinutes" in p.synchronization ? minuteOfDay % p.synchronization.everyMinutes === 0 : rpToday;
      const jobs: DueJob[] = [];
      if (sync) jobs.push({ groupId: g.groupId, type: "synchronization", scheduledFor: t });
      if (p.expressFull && p.expressFull.days.includes(weekday) && p.expressFull.times.some((x) => minutesOf(x) === minuteOfDay)) jobs.push({ groupId: g.groupId, type: "express-full", scheduledFor: t });
      if (rpToday) jobs.push({ groupId: g.groupId, type: "recovery-point", scheduledFor: t });
      const w = p.consistencyCheck.window;
      if (w && w.days.includes(weekday) && minutesOf(w.start) === minuteOfDay) jobs.push({ groupId: g.groupId, type: "consistency-check", scheduledFor: t, maxHours: w.maxHours });
      out.push(...jobs.sort((a, b) => order[a.type] - order[b.type]));
    }
  }
  return out;
}

/**
 * After a late tick, runs each (group, type) once, not once per missed instant: keeps the
 * latest of each and counts what it stands for, so the caller can raise "missed" alerts.
 */
export function coalesce(jobs: readonly DueJob[]): { job: DueJob; missed: number }[] {
  const latest = new Map<string, { job: DueJob; missed: number }>();
  for (const j of jobs) {
    const key = `${j.groupId}/${j.type}`;
    const prev = latest.get(key);
    latest.set(key, { job: j, missed: prev ? prev.missed + 1 : 0 });
  }
  return [...latest.values()].sort((a, b) => a.job.scheduledFor.getTime() - b.job.scheduledFor.getTime() || a.job.groupId - b.job.groupId);
}
