import { sql } from "drizzle-orm";
import type { CatalogDb } from "@/db/client";
import { getRecoveryPointHealth, type RecoveryPointHealth } from "./get-recovery-point-health";
import { listGroupSlas, slaMsJson, type GroupSla } from "./group-slas";
import type { ReportWindow } from "./report-range";

export interface GroupSlaCompliance extends GroupSla {
  /** Data sources in the group now. */
  sources: number;
  /**
   * Sources within their SLA now: the latest recovery point is newer than now − slaHours, or
   * the source has been protected for less than slaHours (its first one is not due yet).
   */
  withinSlaNow: number;
  /** withinSlaNow / sources, 0..1; null for a group without sources. */
  shareNow: number | null;
  /** Source-days of the range that were OK, and all counted source-days (see get-recovery-point-health.ts). */
  okSourceDays: number;
  sourceDays: number;
  /** okSourceDays / sourceDays, 0..1; null when the range counted none. */
  shareInRange: number | null;
}

/** Per protection group: RPO compliance now and over the range. */
export function getSlaCompliance(db: CatalogDb, w: ReportWindow & { health?: RecoveryPointHealth; groups?: GroupSla[] }): GroupSlaCompliance[] {
  const groups = w.groups ?? listGroupSlas(db);
  const health = w.health ?? getRecoveryPointHealth(db, { ...w, groups });
  const now = readSlaNow(db, groups, w.now);
  const inRange = new Map(health.groups.map((g) => [g.id, g.totals]));
  return groups.map((g) => {
    const n = now.get(g.id) ?? { sources: 0, within: 0 };
    const t = inRange.get(g.id) ?? { ok: 0, warning: 0, critical: 0 };
    const sourceDays = t.ok + t.warning + t.critical;
    return {
      ...g,
      sources: n.sources,
      withinSlaNow: n.within,
      shareNow: n.sources ? n.within / n.sources : null,
      okSourceDays: t.ok,
      sourceDays,
      shareInRange: sourceDays ? t.ok / sourceDays : null,
    };
  });
}

/** Per group: sources, and those within their SLA now (one index seek per source for its latest recovery point). */
function readSlaNow(db: CatalogDb, groups: GroupSla[], nowDate: Date): Map<number, { sources: number; within: number }> {
  const now = nowDate.getTime();
  const rows = db.all<{ g: number; sources: number; within: number }>(sql`
    WITH sla(group_id, ms) AS MATERIALIZED (SELECT CAST(key AS INTEGER), value FROM json_each(${slaMsJson(groups)}))
    SELECT s.group_id AS g, count(*) AS sources,
      sum(coalesce((SELECT max(r.created_at) FROM recovery_points r WHERE r.data_source_id = s.id), -1) > ${now} - sla.ms
          OR coalesce(s.protected_since, 0) > ${now} - sla.ms) AS within
    FROM data_sources s JOIN sla ON sla.group_id = s.group_id
    GROUP BY 1`);
  return new Map(rows.map((r) => [Number(r.g), { sources: Number(r.sources), within: Number(r.within) }]));
}
