import { z } from "zod";
import { ALERT_SEVERITIES, JOB_STATES } from "@/db/schema";
import { ALL_ROLES, requireRole, router } from "../trpc";
import { listJobs } from "@/server/domain/monitoring/list-jobs";
import { listAlerts } from "@/server/domain/monitoring/list-alerts";
import { listProtectionOverview } from "@/server/domain/protection/list-protection-overview";
import { listRecoverableSources } from "@/server/domain/recovery/list-recoverable-sources";
import { listServers } from "@/server/domain/servers/list-servers";
import { getTapeInventory } from "@/server/domain/tape/get-tape-inventory";

// Read models behind the navigation's pages. Each area moves to its own router as it grows.

export const monitoringRouter = router({
  jobs: requireRole(...ALL_ROLES)
    .input(z.object({ state: z.enum(JOB_STATES).optional(), type: z.string().max(50).optional(), limit: z.number().int().min(1).max(500).default(100) }))
    .query(({ ctx, input }) => listJobs(ctx.services.db, input)),
  alerts: requireRole("admin", "manager")
    .input(z.object({ active: z.boolean().optional(), severity: z.enum(ALERT_SEVERITIES).optional(), limit: z.number().int().min(1).max(500).default(100) }))
    .query(({ ctx, input }) => listAlerts(ctx.services.db, input)),
});

export const protectionRouter = router({
  overview: requireRole("admin", "manager").query(({ ctx }) => listProtectionOverview(ctx.services.db)),
});

export const recoveryRouter = router({
  sources: requireRole("admin", "manager", "helpdesk").query(({ ctx }) => listRecoverableSources(ctx.services.db)),
});

export const serversRouter = router({
  list: requireRole("admin", "manager").query(({ ctx }) => listServers(ctx.services.db)),
});

export const tapeRouter = router({
  inventory: requireRole("admin", "manager", "tape").query(({ ctx }) => getTapeInventory(ctx.services.db)),
});
