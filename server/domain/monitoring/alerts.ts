/**
 * Alerts (DPM-REFERENCE §4): critical / warning / informational, active / inactive, raised
 * and resolved by the system as conditions change, acknowledged or inactivated by hand, and
 * kept as history. One active alert per condition key (`type:subject`): raising it again
 * refreshes it (its severity and text may change), resolving it makes it inactive.
 */
import { and, desc, eq, inArray, lt, sql, type SQL } from "drizzle-orm";
import type { CatalogDb } from "@/db/client";
import { alerts, dataSources, protectedComputers, protectionGroups, type ALERT_SEVERITIES } from "@/db/schema";
import { DomainError } from "../errors";

export type Severity = (typeof ALERT_SEVERITIES)[number];

export interface AlertCondition {
  /** `type:subject`, e.g. `sync-failed:12`. */
  key: string;
  type: string;
  severity: Severity;
  title: string;
  detail?: string;
  recommendedAction?: string;
  target?: string;
  dataSourceId?: number | null;
  groupId?: number | null;
  computerId?: number | null;
}

/**
 * `active = 1` as a literal: SQLite uses the partial index on active keys only when the query
 * says so in the same words (a bound parameter would make every lookup scan all alerts).
 */
const ACTIVE = sql`${alerts.active} = 1`;

/** Raises the alert, or refreshes the active one with the same key. Returns its id. */
export function raiseAlert(db: CatalogDb, c: AlertCondition, now: Date): number {
  const fields = {
    severity: c.severity,
    type: c.type,
    title: c.title,
    detail: c.detail ?? "",
    recommendedAction: c.recommendedAction ?? "",
    target: c.target ?? "",
    dataSourceId: c.dataSourceId ?? null,
    groupId: c.groupId ?? null,
    computerId: c.computerId ?? null,
    lastSeenAt: now,
  };
  const active = db.select({ id: alerts.id }).from(alerts).where(and(eq(alerts.key, c.key), ACTIVE)).get();
  if (active) {
    db.update(alerts).set(fields).where(eq(alerts.id, active.id)).run();
    return active.id;
  }
  return db
    .insert(alerts)
    .values({ ...fields, key: c.key, active: true, raisedAt: now })
    .returning({ id: alerts.id })
    .get().id;
}

/** The condition cleared: the active alert with this key (if any) becomes inactive. */
export function resolveAlert(db: CatalogDb, key: string, now: Date, by = "system"): boolean {
  return db.update(alerts).set({ active: false, resolvedAt: now, resolvedBy: by }).where(and(eq(alerts.key, key), ACTIVE)).run().changes > 0;
}

export function acknowledgeAlert(db: CatalogDb, id: number, user: string, now: Date): void {
  const row = db.select({ active: alerts.active }).from(alerts).where(eq(alerts.id, id)).get();
  if (!row) throw new DomainError("NOT_FOUND", `no alert ${id}`, String(id));
  if (!row.active) throw new DomainError("CONFLICT", `alert ${id} is no longer active`, String(id));
  db.update(alerts).set({ acknowledgedBy: user, acknowledgedAt: now }).where(eq(alerts.id, id)).run();
}

/** An admin marks an alert inactive by hand; the system raises it again if the condition persists. */
export function inactivateAlert(db: CatalogDb, id: number, user: string, now: Date): void {
  const row = db.select({ active: alerts.active }).from(alerts).where(eq(alerts.id, id)).get();
  if (!row) throw new DomainError("NOT_FOUND", `no alert ${id}`, String(id));
  if (!row.active) throw new DomainError("CONFLICT", `alert ${id} is already inactive`, String(id));
  db.update(alerts).set({ active: false, resolvedAt: now, resolvedBy: user }).where(eq(alerts.id, id)).run();
}

/** Active alert keys of these types (optionally about one data source only), for reconciliation. */
export function activeAlertKeys(db: CatalogDb, types: readonly string[], scope?: { dataSourceId: number }): Set<string> {
  if (types.length === 0) return new Set();
  const where = [ACTIVE, inArray(alerts.type, [...types])];
  if (scope) where.push(eq(alerts.dataSourceId, scope.dataSourceId));
  return new Set(db.select({ key: alerts.key }).from(alerts).where(and(...where)).all().map((r) => r.key));
}

/**
 * Makes the active alerts of the given condition types exactly `desired`: raises what is
 * new or still true (refreshing it), resolves what no longer holds.
 */
export function reconcileAlerts(db: CatalogDb, types: readonly string[], desired: readonly AlertCondition[], now: Date, scope?: { dataSourceId: number }): { raised: number; resolved: number } {
  return db.transaction((tx) => {
    const before = activeAlertKeys(tx, types, scope);
    const want = new Set(desired.map((d) => d.key));
    let raised = 0;
    let resolved = 0;
    for (const d of desired) {
      if (!before.has(d.key)) raised++;
      raiseAlert(tx, d, now);
    }
    for (const key of before) if (!want.has(key) && resolveAlert(tx, key, now)) resolved++;
    return { raised, resolved };
  });
}

/** Informational event alerts that resolve themselves after a while (DPM: "recovery succeeded" after 3 days). */
export const EXPIRING_INFO_TYPES = ["restore-succeeded"] as const;

export function expireInformationalAlerts(db: CatalogDb, now: Date, olderThanMs = 3 * 24 * 3600_000): number {
  return db
    .update(alerts)
    .set({ active: false, resolvedAt: now, resolvedBy: "system" })
    .where(and(eq(alerts.active, true), eq(alerts.severity, "info"), inArray(alerts.type, [...EXPIRING_INFO_TYPES]), lt(alerts.raisedAt, new Date(now.getTime() - olderThanMs))))
    .run().changes;
}

export interface ListAlertsFilter {
  active?: boolean;
  severity?: Severity;
  type?: string;
  dataSourceId?: number;
  groupId?: number;
  before?: number;
  limit: number;
}

export function listAlerts(db: CatalogDb, f: ListAlertsFilter) {
  const where: SQL[] = [];
  if (f.active !== undefined) where.push(eq(alerts.active, f.active));
  if (f.severity) where.push(eq(alerts.severity, f.severity));
  if (f.type) where.push(eq(alerts.type, f.type));
  if (f.dataSourceId !== undefined) where.push(eq(alerts.dataSourceId, f.dataSourceId));
  if (f.groupId !== undefined) where.push(eq(alerts.groupId, f.groupId));
  if (f.before !== undefined) where.push(lt(alerts.id, f.before));
  return db
    .select({
      id: alerts.id,
      severity: alerts.severity,
      active: alerts.active,
      type: alerts.type,
      title: alerts.title,
      detail: alerts.detail,
      recommendedAction: alerts.recommendedAction,
      target: alerts.target,
      raisedAt: alerts.raisedAt,
      lastSeenAt: alerts.lastSeenAt,
      resolvedAt: alerts.resolvedAt,
      resolvedBy: alerts.resolvedBy,
      acknowledgedBy: alerts.acknowledgedBy,
      acknowledgedAt: alerts.acknowledgedAt,
      dataSourceId: alerts.dataSourceId,
      groupId: alerts.groupId,
      group: protectionGroups.name,
      computer: protectedComputers.name,
    })
    .from(alerts)
    .leftJoin(protectionGroups, eq(protectionGroups.id, alerts.groupId))
    .leftJoin(dataSources, eq(dataSources.id, alerts.dataSourceId))
    .leftJoin(protectedComputers, eq(protectedComputers.id, sql`coalesce(${alerts.computerId}, ${dataSources.computerId})`))
    .where(where.length ? and(...where) : undefined)
    .orderBy(desc(alerts.id))
    .limit(f.limit)
    .all();
}

/** Active alerts per severity, counted in the catalog (the Alerts page's counters). */
export function countActiveAlerts(db: CatalogDb): Record<Severity, number> {
  const rows = db.select({ severity: alerts.severity, n: sql<number>`count(*)` }).from(alerts).where(eq(alerts.active, true)).groupBy(alerts.severity).all();
  const out: Record<Severity, number> = { critical: 0, warning: 0, info: 0 };
  for (const r of rows) out[r.severity] = Number(r.n);
  return out;
}

export type Health = "ok" | "warning" | "critical";

/** Each data source's health is its worst active alert (info counts as OK). */
export function healthOfSources(db: CatalogDb, ids?: readonly number[]): Map<number, Health> {
  const rows = db
    .select({ id: alerts.dataSourceId, worst: sql<number>`min(case ${alerts.severity} when 'critical' then 0 when 'warning' then 1 else 2 end)` })
    .from(alerts)
    .where(and(eq(alerts.active, true), ids ? inArray(alerts.dataSourceId, [...ids]) : sql`${alerts.dataSourceId} is not null`))
    .groupBy(alerts.dataSourceId)
    .all();
  const out = new Map<number, Health>();
  for (const r of rows) if (r.id !== null) out.set(r.id, r.worst === 0 ? "critical" : r.worst === 1 ? "warning" : "ok");
  return out;
}
