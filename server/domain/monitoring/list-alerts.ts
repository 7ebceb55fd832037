import { and, desc, eq, type SQL } from "drizzle-orm";
import type { CatalogDb } from "@/db/client";
import { alerts, type ALERT_SEVERITIES } from "@/db/schema";

export interface ListAlertsOptions {
  active?: boolean;
  severity?: (typeof ALERT_SEVERITIES)[number];
  limit: number;
}

export function listAlerts(db: CatalogDb, o: ListAlertsOptions) {
  const where: SQL[] = [];
  if (o.active !== undefined) where.push(eq(alerts.active, o.active));
  if (o.severity) where.push(eq(alerts.severity, o.severity));
  return db
    .select({
      id: alerts.id,
      severity: alerts.severity,
      active: alerts.active,
      type: alerts.type,
      title: alerts.title,
      target: alerts.target,
      raisedAt: alerts.raisedAt,
      resolvedAt: alerts.resolvedAt,
      acknowledgedBy: alerts.acknowledgedBy,
    })
    .from(alerts)
    .where(where.length ? and(...where) : undefined)
    .orderBy(desc(alerts.raisedAt), desc(alerts.id))
    .limit(o.limit)
    .all();
}
