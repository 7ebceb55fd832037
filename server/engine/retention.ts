/**
 * Which recovery points a retention policy keeps, and why: a pure function of the points, the
 * policy and the time, so a prune can be shown (dry run) exactly as it will happen.
 *
 * Rules, as restic's `forget` and DPM's retention range:
 *  - keepLast N: the N newest points.
 *  - keepHourly/Daily/Weekly/Monthly/Yearly N: the newest point of each of the N most recent
 *    hours/days/... that have points (empty buckets do not count, so a week without backups
 *    does not shorten what is kept). Buckets are UTC, weeks ISO 8601 (Monday to Sunday, week
 *    years): the answer must not depend on the server's time zone, nor shift with DST.
 *  - keepWithinDays N: every point at most N×24 hours before `now` (inclusive).
 * A point is kept when any rule keeps it; its reasons list all of them. Whatever the policy, the
 * newest point is kept (so a policy can never remove everything), and so is any point dated
 * after `now`: a clock was wrong, and deleting on a wrong clock is how backups get lost. Such
 * points do not count towards the rules, which apply to the points at or before `now`.
 * A policy without rules keeps everything.
 *
 * Order: newest first; points with the same time are ordered by id (the larger id counts as
 * newer), so the answer does not depend on the order of the input.
 */
import { RetentionPolicyError } from "./errors";

export interface RetentionPolicy {
  keepLast?: number;
  keepHourly?: number;
  keepDaily?: number;
  keepWeekly?: number;
  keepMonthly?: number;
  keepYearly?: number;
  keepWithinDays?: number;
}

export interface RetentionDecision {
  id: string;
  time: Date;
  keep: boolean;
  reasons: string[];
}

/** Largest value of each rule: keepWithinDays is DPM's short-term retention range (1-448 days). */
const LIMITS: Readonly<Record<keyof RetentionPolicy, number>> = {
  keepLast: 10_000,
  keepHourly: 10_000,
  keepDaily: 10_000,
  keepWeekly: 10_000,
  keepMonthly: 10_000,
  keepYearly: 10_000,
  keepWithinDays: 448,
};
const RULES = Object.keys(LIMITS) as (keyof RetentionPolicy)[];

export const NEWEST_REASON = "newest recovery point: never removed automatically";
export const NO_RULE_REASON = "no retention rule";

const DAY_MS = 24 * 60 * 60 * 1000;
const pad = (n: number, w = 2) => String(n).padStart(w, "0");

/** Bucket rules: the bucket's name for a time (UTC), what to call it, and the adjective in reasons. */
const BUCKETS = [
  { rule: "keepHourly", unit: "hour", adj: "hourly", key: (d: Date) => `${ymd(d)} ${pad(d.getUTCHours())}:00 UTC` },
  { rule: "keepDaily", unit: "day", adj: "daily", key: (d: Date) => ymd(d) },
  { rule: "keepWeekly", unit: "week", adj: "weekly", key: isoWeek },
  { rule: "keepMonthly", unit: "month", adj: "monthly", key: (d: Date) => `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}` },
  { rule: "keepYearly", unit: "year", adj: "yearly", key: (d: Date) => pad(d.getUTCFullYear(), 4) },
] as const;

function ymd(d: Date): string {
  return `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

/** ISO 8601 week, e.g. 2026-W47: weeks start on Monday; week 1 holds the year's first Thursday. */
export function isoWeek(d: Date): string {
  const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  t.setUTCDate(t.getUTCDate() + 4 - (t.getUTCDay() || 7)); // the Thursday of d's week decides its year
  const year = t.getUTCFullYear();
  const week = Math.floor((t.getTime() - Date.UTC(year, 0, 1)) / (7 * DAY_MS)) + 1;
  return `${pad(year, 4)}-W${pad(week)}`;
}

export function applyRetention(points: readonly { id: string; time: Date }[], policy: RetentionPolicy, now: Date): RetentionDecision[] {
  const p = validateRetentionPolicy(policy);
  if (!(now instanceof Date) || Number.isNaN(now.getTime())) throw new TypeError("applyRetention: now is not a valid date");
  const ids = new Set<string>();
  for (const pt of points) {
    // Deciding deletions on a point we cannot place in time would be a guess: refuse instead.
    if (!(pt.time instanceof Date) || Number.isNaN(pt.time.getTime())) throw new TypeError(`applyRetention: recovery point ${pt.id} has no valid time`);
    if (ids.has(pt.id)) throw new TypeError(`applyRetention: recovery point ${pt.id} appears twice`);
    ids.add(pt.id);
  }
  const out: RetentionDecision[] = points
    .map((pt) => ({ id: pt.id, time: new Date(pt.time.getTime()), keep: false, reasons: [] as string[] }))
    .sort((a, b) => b.time.getTime() - a.time.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
  if (out.length === 0) return out;

  out[0]!.reasons.push(NEWEST_REASON);
  const nowMs = now.getTime();
  for (const d of out) {
    if (d.time.getTime() > nowMs) d.reasons.push(`dated after now (${d.time.toISOString()}): kept, as clock skew makes its age unknown`);
  }
  const past = out.filter((d) => d.time.getTime() <= nowMs);

  if (Object.keys(p).length === 0) {
    for (const d of out) d.reasons.push(NO_RULE_REASON);
  } else {
    if (p.keepWithinDays !== undefined) {
      const from = nowMs - p.keepWithinDays * DAY_MS;
      const why = `within the last ${plural(p.keepWithinDays, "day")}`;
      for (const d of past) if (d.time.getTime() >= from) d.reasons.push(why);
    }
    if (p.keepLast !== undefined) {
      const why = p.keepLast === 1 ? "the last one" : `one of the last ${p.keepLast}`;
      for (const d of past.slice(0, p.keepLast)) d.reasons.push(why);
    }
    for (const b of BUCKETS) {
      const n = p[b.rule];
      if (n === undefined) continue;
      // Newest first, so a bucket's points are contiguous and its first point is its newest.
      let count = 0;
      let last: string | undefined;
      for (const d of past) {
        const key = b.key(d.time);
        if (key === last) continue;
        last = key;
        if (++count > n) break;
        d.reasons.push(`newest of ${b.unit} ${key} (${b.adj} ${count} of ${n})`);
      }
    }
  }

  const removal = `kept by no rule of the policy (${describeRetentionPolicy(p)})`;
  for (const d of out) {
    d.keep = d.reasons.length > 0;
    if (!d.keep) d.reasons.push(removal);
  }
  return out;
}

/** The policy in words, e.g. "last 3, daily 7, within 14 days". */
export function describeRetentionPolicy(p: RetentionPolicy): string {
  const parts: string[] = [];
  if (p.keepLast !== undefined) parts.push(`last ${p.keepLast}`);
  for (const b of BUCKETS) if (p[b.rule] !== undefined) parts.push(`${b.adj} ${p[b.rule]}`);
  if (p.keepWithinDays !== undefined) parts.push(`within ${plural(p.keepWithinDays, "day")}`);
  return parts.length ? parts.join(", ") : NO_RULE_REASON;
}

const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? "" : "s"}`;

/** Checks a policy from outside (JSON, CLI, API): a plain object of known rules with whole numbers in range. */
export function validateRetentionPolicy(p: unknown): RetentionPolicy {
  if (typeof p !== "object" || p === null || Array.isArray(p) || ![Object.prototype, null].includes(Object.getPrototypeOf(p))) {
    throw new RetentionPolicyError("policy", `must be a plain object of rules, got ${describeValue(p)}`);
  }
  const out: RetentionPolicy = {};
  for (const [k, v] of Object.entries(p)) {
    if (!Object.hasOwn(LIMITS, k)) throw new RetentionPolicyError(k, `is not a retention rule (the rules are ${RULES.join(", ")})`);
    if (v === undefined) continue; // an optional field left out
    const rule = k as keyof RetentionPolicy;
    const max = LIMITS[rule];
    if (typeof v !== "number" || !Number.isInteger(v) || v < 1 || v > max) {
      throw new RetentionPolicyError(rule, `must be a whole number from 1 to ${max}, got ${describeValue(v)}`);
    }
    out[rule] = v;
  }
  return out;
}

function describeValue(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "number" || typeof v === "boolean" || typeof v === "bigint" || v === null || v === undefined) return String(v);
  return Array.isArray(v) ? "an array" : `a${typeof v === "object" ? "n object" : ` ${typeof v}`}`;
}
