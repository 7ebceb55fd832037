import { asc } from "drizzle-orm";
import type { CatalogDb } from "@/db/client";
import { protectionGroups } from "@/db/schema";

/** DPM's default: one recovery point a day. */
export const DEFAULT_SLA_HOURS = 24;

export interface GroupSla {
  id: number;
  name: string;
  slaHours: number;
}

/**
 * The SLA of a stored policy. Reports only read it, so a policy that is missing, unparsable
 * or holds a nonsensical SLA falls back to the default rather than failing the whole page.
 */
export function slaHoursOf(policyJson: string): number {
  try {
    const v = (JSON.parse(policyJson) as { slaHours?: unknown } | null)?.slaHours;
    return typeof v === "number" && Number.isInteger(v) && v >= 1 ? v : DEFAULT_SLA_HOURS;
  } catch {
    return DEFAULT_SLA_HOURS;
  }
}

/** Every protection group with its SLA, by name. */
export function listGroupSlas(db: CatalogDb): GroupSla[] {
  return db
    .select({ id: protectionGroups.id, name: protectionGroups.name, policy: protectionGroups.policy })
    .from(protectionGroups)
    .orderBy(asc(protectionGroups.name), asc(protectionGroups.id))
    .all()
    .map((g) => ({ id: g.id, name: g.name, slaHours: slaHoursOf(g.policy) }));
}

/** The groups' SLAs in milliseconds as a JSON object for SQLite's json_each: {"<group id>": ms}. */
export function slaMsJson(groups: GroupSla[]): string {
  return JSON.stringify(Object.fromEntries(groups.map((g) => [String(g.id), g.slaHours * 3_600_000])));
}
