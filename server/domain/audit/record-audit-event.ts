import type { CatalogDb } from "@/db/client";
import { auditEvents, type AuditOutcome } from "@/db/schema";

export interface AuditEventInput {
  at: Date;
  userId?: number | null;
  username?: string;
  action: string;
  target?: string;
  outcome: AuditOutcome;
  detail?: string;
  clientAddress?: string;
}

const MAX_FIELD = 1000;
const clip = (s: string | undefined) => (s ?? "").slice(0, MAX_FIELD);

export function recordAuditEvent(db: CatalogDb, e: AuditEventInput): void {
  db.insert(auditEvents)
    .values({
      at: e.at,
      userId: e.userId ?? null,
      username: clip(e.username),
      action: clip(e.action),
      target: clip(e.target),
      outcome: e.outcome,
      detail: clip(e.detail),
      clientAddress: clip(e.clientAddress),
    })
    .run();
}
