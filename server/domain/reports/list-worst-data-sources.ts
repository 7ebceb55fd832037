import { sql } from "drizzle-orm";
import type { CatalogDb } from "@/db/client";
import { listGroupSlas, slaMsJson, type GroupSla } from "./group-slas";
import { HOUR_MS } from "./report-range";

export interface WorstDataSource {
  id: number;
  name: string;
  kind: string;
  path: string;
  computer: string;
  /** null: not protected (listed for its active alerts). */
  group: string | null;
  replicaState: string;
  latestRecoveryPointAt: Date | null;
  activeCriticalAlerts: number;
  activeWarningAlerts: number;
  /**
   * Hours past the SLA: since the latest recovery point (or, without one, since protection
   * began) minus the group's SLA; 0 when within it or unprotected.
   */
  hoursBeyondSla: number;
}

export const WORST_LIMIT = 10;

/**
 * The data sources that most need attention: most active critical alerts first, then most
 * active warnings, then longest past their SLA. Sources with none of the three are not
 * listed, so a healthy estate shows an empty list rather than ten healthy names.
 */
export function listWorstDataSources(db: CatalogDb, o: { now: Date; limit?: number; groups?: GroupSla[] }): WorstDataSource[] {
  const now = o.now.getTime();
  const groups = o.groups ?? listGroupSlas(db);
  const rows = db.all<{
    id: number;
    name: string;
    kind: string;
    path: string;
    computer: string;
    grp: string | null;
    replica_state: string;
    latest: number | null;
    crit: number;
    warn: number;
    overdue_ms: number;
  }>(sql`
    WITH sla(group_id, ms) AS MATERIALIZED (SELECT CAST(key AS INTEGER), value FROM json_each(${slaMsJson(groups)})),
    active AS (
      SELECT data_source_id AS ds, sum(severity = 'critical') AS crit, sum(severity = 'warning') AS warn
      FROM alerts WHERE active = 1 AND data_source_id IS NOT NULL GROUP BY data_source_id
    ),
    ranked AS (
      SELECT s.id, s.name, s.kind, s.path, s.replica_state, s.group_id, s.protected_since, s.computer_id, sla.ms AS sla_ms,
        (SELECT max(r.created_at) FROM recovery_points r WHERE r.data_source_id = s.id) AS latest,
        coalesce(a.crit, 0) AS crit, coalesce(a.warn, 0) AS warn
      FROM data_sources s
      LEFT JOIN active a ON a.ds = s.id
      LEFT JOIN sla ON sla.group_id = s.group_id
    ),
    scored AS (
      SELECT *, CASE WHEN group_id IS NULL OR sla_ms IS NULL THEN 0
        ELSE max(0, ${now} - coalesce(latest, protected_since, ${now}) - sla_ms) END AS overdue_ms
      FROM ranked
    )
    SELECT scored.id, scored.name, scored.kind, scored.path, c.name AS computer, g.name AS grp, scored.replica_state,
      scored.latest, scored.crit, scored.warn, scored.overdue_ms
    FROM scored
    JOIN protected_computers c ON c.id = scored.computer_id
    LEFT JOIN protection_groups g ON g.id = scored.group_id
    WHERE scored.crit > 0 OR scored.warn > 0 OR scored.overdue_ms > 0
    ORDER BY scored.crit DESC, scored.warn DESC, scored.overdue_ms DESC, scored.id
    LIMIT ${o.limit ?? WORST_LIMIT}`);
  return rows.map((r) => ({
    id: Number(r.id),
    name: r.name || r.path,
    kind: r.kind,
    path: r.path,
    computer: r.computer,
    group: r.grp,
    replicaState: r.replica_state,
    latestRecoveryPointAt: r.latest === null ? null : new Date(Number(r.latest)),
    activeCriticalAlerts: Number(r.crit),
    activeWarningAlerts: Number(r.warn),
    hoursBeyondSla: Math.floor(Number(r.overdue_ms) / HOUR_MS),
  }));
}
