import { and, desc, eq, gte, lt, lte, sql, type SQL } from "drizzle-orm";
import type { CatalogDb } from "@/db/client";
import { auditEvents, type AuditOutcome } from "@/db/schema";

export interface ListAuditEventsOptions {
  username?: string;
  action?: string;
  outcome?: AuditOutcome;
  from?: Date;
  to?: Date;
  /** Return events with an id below this one (keyset pagination, newest first). */
  cursor?: number;
  limit: number;
}

export function listAuditEvents(db: CatalogDb, o: ListAuditEventsOptions) {
  const where: SQL[] = [];
  if (o.username) where.push(eq(auditEvents.username, o.username));
  if (o.action) {
    const pattern = `%${o.action.replace(/[%_\\]/g, "\\$&")}%`;
    where.push(sql`${auditEvents.action} LIKE ${pattern} ESCAPE '\\'`);
  }
  if (o.outcome) where.push(eq(auditEvents.outcome, o.outcome));
  if (o.from) where.push(gte(auditEvents.at, o.from));
  if (o.to) where.push(lte(auditEvents.at, o.to));
  if (o.cursor) where.push(lt(auditEvents.id, o.cursor));
  const rows = db
    .select({
      id: auditEvents.id,
      at: auditEvents.at,
      username: auditEvents.username,
      action: auditEvents.action,
      target: auditEvents.target,
      outcome: auditEvents.outcome,
      detail: auditEvents.detail,
      clientAddress: auditEvents.clientAddress,
    })
    .from(auditEvents)
    .where(where.length ? and(...where) : undefined)
    .orderBy(desc(auditEvents.id))
    .limit(o.limit + 1)
    .all();
  const hasMore = rows.length > o.limit;
  const events = hasMore ? rows.slice(0, o.limit) : rows;
  return { events, nextCursor: hasMore ? events[events.length - 1]!.id : null };
}
