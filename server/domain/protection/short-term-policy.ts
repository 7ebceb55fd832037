/**
 * A protection group's short-term (disk) policy and DPM's rules for it, as pure functions
 * that explain every refusal (../shared/DPM-REFERENCE.md §2.1, §2.3, §2.4):
 *
 *   - group name: 1–64 characters, letters, digits and spaces (DPM refuses | / ( ) . and co.)
 *   - retention range: 1–448 days
 *   - synchronization: every 15, 30 or 45 minutes, 1, 2, 4, 6, 12 or 24 hours, or "just
 *     before a recovery point"
 *   - recovery-point schedule: days of the week × times of day, at most 8 a day, and at least
 *     one synchronization between two recovery points (with a sync every 45 min, recovery
 *     points at 13:00 and 13:30 are refused)
 *   - express full backups: for databases only, on the same kind of schedule
 *   - consistency check: automatic when a replica becomes inconsistent, and/or a daily window
 *     (days, start time, maximum duration 1–24 h); a manual check is always possible
 *   - SLA: a recovery point at least every N hours (1 h up to the retention range)
 */

export const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** Allowed synchronization intervals, in minutes (DPM's 15/30/45 min, 1/2/4/6/12/24 h). */
export const SYNC_INTERVALS = [15, 30, 45, 60, 120, 240, 360, 720, 1440] as const;
export type SyncInterval = (typeof SYNC_INTERVALS)[number];

export const MAX_RETENTION_DAYS = 448;
export const MAX_RECOVERY_POINTS_PER_DAY = 8;

export interface WeeklySchedule {
  days: Weekday[];
  /** Times of day, "HH:MM", 24-hour. */
  times: string[];
}

export interface ShortTermPolicy {
  retentionDays: number;
  synchronization: { everyMinutes: SyncInterval } | { justBeforeRecoveryPoint: true };
  recoveryPoints: WeeklySchedule;
  /** Databases only. */
  expressFull: WeeklySchedule | null;
  consistencyCheck: {
    automaticWhenInconsistent: boolean;
    window: { days: Weekday[]; start: string; maxHours: number } | null;
  };
  slaHours: number;
}

/** DPM's defaults for a new group (files: recovery points at 08:00, 12:00 and 18:00 every day). */
export function defaultShortTermPolicy(o: { hasDatabases: boolean }): ShortTermPolicy {
  return {
    retentionDays: 5,
    synchronization: { everyMinutes: 15 },
    recoveryPoints: { days: [...WEEKDAYS], times: ["08:00", "12:00", "18:00"] },
    expressFull: o.hasDatabases ? { days: [...WEEKDAYS], times: ["20:00"] } : null,
    consistencyCheck: { automaticWhenInconsistent: true, window: null },
    slaHours: 24,
  };
}

/** One broken rule: the field it is about (for the form), the rule's name and why. */
export interface PolicyIssue {
  field: string;
  rule: string;
  message: string;
}

const TIME = /^([01]\d|2[0-3]):([0-5]\d)$/;
const minutesOf = (t: string) => Number(t.slice(0, 2)) * 60 + Number(t.slice(3, 5));

export function checkGroupName(name: string): PolicyIssue[] {
  const trimmed = name.trim();
  if (trimmed.length === 0) return [{ field: "name", rule: "name-required", message: "A protection group needs a name." }];
  if (trimmed.length > 64) return [{ field: "name", rule: "name-length", message: "A protection group name has at most 64 characters." }];
  if (!/^[\p{L}\p{N} ]+$/u.test(trimmed)) {
    return [{ field: "name", rule: "name-characters", message: "Use letters, digits and spaces only (characters such as | / ( ) . are not allowed in a group name)." }];
  }
  return [];
}

function checkSchedule(s: WeeklySchedule, field: string, what: string): PolicyIssue[] {
  const issues: PolicyIssue[] = [];
  if (s.days.length === 0) issues.push({ field: `${field}.days`, rule: "schedule-days", message: `Choose at least one day for ${what}.` });
  if (new Set(s.days).size !== s.days.length || !s.days.every((d) => (WEEKDAYS as readonly string[]).includes(d))) {
    issues.push({ field: `${field}.days`, rule: "schedule-days", message: `Each day of the week at most once, for ${what}.` });
  }
  if (s.times.length === 0) issues.push({ field: `${field}.times`, rule: "schedule-times", message: `Choose at least one time of day for ${what}.` });
  const bad = s.times.filter((t) => !TIME.test(t));
  if (bad.length) issues.push({ field: `${field}.times`, rule: "schedule-times", message: `${bad.map((t) => JSON.stringify(t)).join(", ")}: times are HH:MM, 00:00 to 23:59.` });
  else if (new Set(s.times).size !== s.times.length) issues.push({ field: `${field}.times`, rule: "schedule-times", message: `The same time appears twice in ${what}.` });
  if (s.times.length > MAX_RECOVERY_POINTS_PER_DAY) {
    issues.push({ field: `${field}.times`, rule: "max-per-day", message: `At most ${MAX_RECOVERY_POINTS_PER_DAY} ${what} a day (${s.times.length} chosen).` });
  }
  return issues;
}

/**
 * "At least one synchronization between two recovery points": with a sync every N minutes,
 * two consecutive recovery points (also from the last of one day to the first of the next,
 * when both days are scheduled) must be at least N minutes apart.
 */
export function syncBetweenRecoveryPoints(everyMinutes: number, s: WeeklySchedule): PolicyIssue[] {
  const times = [...new Set(s.times.filter((t) => TIME.test(t)))].map(minutesOf).sort((a, b) => a - b);
  if (times.length === 0) return [];
  const gaps: [number, number, number][] = [];
  for (let i = 1; i < times.length; i++) gaps.push([times[i - 1]!, times[i]!, times[i]! - times[i - 1]!]);
  const nextDayToo = s.days.length === 7 || s.days.some((d) => s.days.includes(WEEKDAYS[(WEEKDAYS.indexOf(d) + 1) % 7]!));
  if (nextDayToo && times.length > 1) gaps.push([times.at(-1)!, times[0]!, 1440 - times.at(-1)! + times[0]!]);
  const tooClose = gaps.filter(([, , gap]) => gap < everyMinutes);
  const fmt = (m: number) => `${String(Math.floor(m / 60)).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}`;
  return tooClose.map(([a, b, gap]) => ({
    field: "recoveryPoints.times",
    rule: "sync-between-recovery-points",
    message: `Recovery points at ${fmt(a)} and ${fmt(b)} are ${gap} minutes apart, but synchronization runs every ${everyMinutes} minutes: at least one synchronization must fall between two recovery points. Move them apart or synchronize more often.`,
  }));
}

/** Every rule the policy breaks (empty when it is valid). */
export function checkShortTermPolicy(p: ShortTermPolicy, o: { hasDatabases: boolean }): PolicyIssue[] {
  const issues: PolicyIssue[] = [];
  if (!Number.isInteger(p.retentionDays) || p.retentionDays < 1 || p.retentionDays > MAX_RETENTION_DAYS) {
    issues.push({ field: "retentionDays", rule: "retention-range", message: `The retention range is a whole number of days from 1 to ${MAX_RETENTION_DAYS}.` });
  }
  const everyMinutes = "everyMinutes" in p.synchronization ? p.synchronization.everyMinutes : null;
  if (everyMinutes !== null && !(SYNC_INTERVALS as readonly number[]).includes(everyMinutes)) {
    issues.push({ field: "synchronization", rule: "sync-interval", message: "Synchronize every 15, 30 or 45 minutes, every 1, 2, 4, 6, 12 or 24 hours, or just before each recovery point." });
  }
  issues.push(...checkSchedule(p.recoveryPoints, "recoveryPoints", "recovery points"));
  if (everyMinutes !== null && (SYNC_INTERVALS as readonly number[]).includes(everyMinutes)) issues.push(...syncBetweenRecoveryPoints(everyMinutes, p.recoveryPoints));
  if (p.expressFull) {
    if (!o.hasDatabases) issues.push({ field: "expressFull", rule: "express-full-databases", message: "Express full backups apply to databases; this group has none." });
    issues.push(...checkSchedule(p.expressFull, "expressFull", "express full backups"));
  }
  const w = p.consistencyCheck.window;
  if (w) {
    if (w.days.length === 0) issues.push({ field: "consistencyCheck.window.days", rule: "cc-window", message: "Choose at least one day for the consistency-check window." });
    if (!TIME.test(w.start)) issues.push({ field: "consistencyCheck.window.start", rule: "cc-window", message: "The window starts at a time HH:MM." });
    if (!Number.isInteger(w.maxHours) || w.maxHours < 1 || w.maxHours > 24) {
      issues.push({ field: "consistencyCheck.window.maxHours", rule: "cc-window", message: "A consistency check runs for at most 1 to 24 hours." });
    }
  }
  if (!Number.isInteger(p.slaHours) || p.slaHours < 1) {
    issues.push({ field: "slaHours", rule: "sla-range", message: "The SLA is a whole number of hours, at least 1." });
  } else if (Number.isInteger(p.retentionDays) && p.retentionDays >= 1 && p.slaHours > p.retentionDays * 24) {
    issues.push({ field: "slaHours", rule: "sla-range", message: `An SLA of ${p.slaHours} hours is longer than the ${p.retentionDays}-day retention range: recovery points would expire before one is missed.` });
  }
  return issues;
}

/** A data source belongs to one group; it is moved by removing it and adding it elsewhere. */
export function checkAddMember(source: { path: string; groupName: string | null }, targetGroup: string): PolicyIssue[] {
  if (source.groupName === null) return [];
  if (source.groupName === targetGroup) return [{ field: "members", rule: "member-once", message: `${source.path} is already in ${targetGroup}.` }];
  return [
    {
      field: "members",
      rule: "member-one-group",
      message: `${source.path} is protected by the group ${source.groupName}. A data source belongs to one group: remove it from ${source.groupName} (keeping or deleting its data), then add it here.`,
    },
  ];
}
