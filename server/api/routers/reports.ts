import { z } from "zod";
import { requireRole, router } from "../trpc";
import { getRecoveryPointHistory } from "@/server/domain/reports/get-recovery-point-history";

/** The manager's read-only health charts and exports. */
export const reportsRouter = router({
  history: requireRole("admin", "manager")
    .input(z.object({ days: z.number().int().min(1).max(366).default(30) }))
    .query(({ ctx, input }) => getRecoveryPointHistory(ctx.services.db, { now: ctx.services.clock.now(), days: input.days })),
});
