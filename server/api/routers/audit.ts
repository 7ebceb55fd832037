import { z } from "zod";
import { AUDIT_OUTCOMES } from "@/db/schema";
import { requireRole, router } from "../trpc";
import { listAuditEvents } from "@/server/domain/audit/list-audit-events";

export const ZListAuditInput = z.object({
  username: z.string().trim().max(64).optional(),
  action: z.string().trim().max(100).optional(),
  outcome: z.enum(AUDIT_OUTCOMES).optional(),
  from: z.date().optional(),
  to: z.date().optional(),
  cursor: z.number().int().positive().optional(),
  limit: z.number().int().min(1).max(500).default(100),
});

export const auditRouter = router({
  list: requireRole("admin", "manager")
    .input(ZListAuditInput)
    .query(({ ctx, input }) => listAuditEvents(ctx.services.db, input)),
});
