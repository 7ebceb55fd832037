import type { PolicyIssue, ShortTermPolicy, SyncInterval, Weekday } from "./types";

/**
 * The wizard's editable copy of a short-term policy. Numbers stay as typed (strings) so a
 * half-typed value is kept as the admin sees it; the server's checkPolicy judges them.
 */
export interface PolicyDraft {
  retentionDays: string;
  /** Minutes as a string, or "before-recovery-point". */
  sync: string;
  recoveryPoints: { days: Weekday[]; times: string[] };
  expressFull: { days: Weekday[]; times: string[] };
  ccAutomatic: boolean;
  ccWindow: boolean;
  ccWindowDays: Weekday[];
  ccWindowStart: string;
  ccWindowMaxHours: string;
  slaHours: string;
}

export const JUST_BEFORE_RP = "before-recovery-point";
const ALL_DAYS: Weekday[] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

export function draftOf(p: ShortTermPolicy, fallbackExpressFull: { days: Weekday[]; times: string[] } | null): PolicyDraft {
  const ef = p.expressFull ?? fallbackExpressFull ?? { days: [...ALL_DAYS], times: ["20:00"] };
  return {
    retentionDays: String(p.retentionDays),
    sync: "everyMinutes" in p.synchronization ? String(p.synchronization.everyMinutes) : JUST_BEFORE_RP,
    recoveryPoints: { days: [...p.recoveryPoints.days], times: [...p.recoveryPoints.times] },
    expressFull: { days: [...ef.days], times: [...ef.times] },
    ccAutomatic: p.consistencyCheck.automaticWhenInconsistent,
    ccWindow: p.consistencyCheck.window !== null,
    ccWindowDays: p.consistencyCheck.window ? [...p.consistencyCheck.window.days] : [...ALL_DAYS],
    ccWindowStart: p.consistencyCheck.window?.start ?? "22:00",
    ccWindowMaxHours: String(p.consistencyCheck.window?.maxHours ?? 4),
    slaHours: String(p.slaHours),
  };
}

/** A typed whole number, or 0 (which every range refuses, so the server's message names the range). */
function whole(s: string): number {
  const t = s.trim();
  return /^-?\d{1,9}$/.test(t) ? Number(t) : 0;
}

/** The policy the draft describes; express full only when the group has a database. */
export function policyOf(d: PolicyDraft, hasDatabases: boolean): ShortTermPolicy {
  return {
    retentionDays: whole(d.retentionDays),
    synchronization: d.sync === JUST_BEFORE_RP ? { justBeforeRecoveryPoint: true } : { everyMinutes: Number(d.sync) as SyncInterval },
    recoveryPoints: { days: sortDays(d.recoveryPoints.days), times: d.recoveryPoints.times.filter((t) => t !== "") },
    expressFull: hasDatabases ? { days: sortDays(d.expressFull.days), times: d.expressFull.times.filter((t) => t !== "") } : null,
    consistencyCheck: {
      automaticWhenInconsistent: d.ccAutomatic,
      window: d.ccWindow ? { days: sortDays(d.ccWindowDays), start: d.ccWindowStart, maxHours: whole(d.ccWindowMaxHours) } : null,
    },
    slaHours: whole(d.slaHours),
  };
}

export function sortDays(days: readonly Weekday[]): Weekday[] {
  return ALL_DAYS.filter((d) => days.includes(d));
}

/** The wizard's pages, in DPM's order (DPM-REFERENCE §2.2). */
export const STEPS = [
  { id: "members", label: "Members" },
  { id: "name", label: "Name" },
  { id: "short-term", label: "Short-term goals" },
  { id: "consistency", label: "Consistency check" },
  { id: "summary", label: "Summary" },
] as const;
export type StepId = (typeof STEPS)[number]["id"];

/** Which page shows the field an issue is about. */
export function stepOfField(field: string): StepId {
  if (field === "members" || field.startsWith("members.")) return "members";
  if (field === "name") return "name";
  if (field.startsWith("consistencyCheck")) return "consistency";
  if (["retentionDays", "synchronization", "slaHours", "policy"].includes(field) || field.startsWith("recoveryPoints") || field.startsWith("expressFull")) return "short-term";
  return "summary";
}

/** Issues grouped by field, from the live check and from a refused submit (both per field). */
export function issuesByField(...lists: (PolicyIssue[] | Record<string, string[] | undefined> | undefined)[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  const add = (field: string, message: string) => {
    const list = (out[field] ??= []);
    if (!list.includes(message)) list.push(message);
  };
  for (const l of lists) {
    if (!l) continue;
    if (Array.isArray(l)) for (const i of l) add(i.field, i.message);
    else for (const [field, messages] of Object.entries(l)) for (const m of messages ?? []) add(field, m);
  }
  return out;
}
