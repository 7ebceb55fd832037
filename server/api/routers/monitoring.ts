import { z } from "zod";
import { ALERT_SEVERITIES, JOB_STATES } from "@/db/schema";
import { ALL_ROLES, requireRole, router } from "../trpc";
import { DomainError } from "@/server/domain/errors";
import { getJob, listJobs, retryJob } from "@/server/domain/jobs/job-queue";
import { acknowledgeAlert, countActiveAlerts, inactivateAlert, listAlerts } from "@/server/domain/monitoring/alerts";

const ZId = z.number().int().positive();

/** Jobs (everyone watches; admins cancel and retry, help desk cancels restores) and alerts. */
export const monitoringRouter = router({
  jobs: requireRole(...ALL_ROLES)
    .input(
      z.object({
        state: z.enum(JOB_STATES).optional(),
        states: z.array(z.enum(JOB_STATES)).max(6).optional(),
        type: z.string().max(50).optional(),
        dataSourceId: ZId.optional(),
        groupId: ZId.optional(),
        /** The jobs of a link between servers (catalog copies, replication, pulls back) with that peer. */
        peerServerId: z.uuid().optional(),
        since: z.date().optional(),
        before: ZId.optional(),
        limit: z.number().int().min(1).max(500).default(100),
      }),
    )
    .query(({ ctx, input }) => listJobs(ctx.services.db, input)),
  job: requireRole(...ALL_ROLES)
    .input(z.object({ id: ZId }))
    .query(({ ctx, input }) => getJob(ctx.services.db, input.id)),
  cancelJob: requireRole("admin", "helpdesk")
    .input(z.object({ id: ZId }))
    .mutation(({ ctx, input }) => {
      const job = getJob(ctx.services.db, input.id);
      if (ctx.user.role !== "admin" && job.type !== "restore") throw new DomainError("FORBIDDEN", "help desk may cancel restores only");
      return { outcome: ctx.services.jobs.cancel(input.id, ctx.user.username) };
    }),
  retryJob: requireRole("admin")
    .input(z.object({ id: ZId }))
    .mutation(({ ctx, input }) => {
      const id = retryJob(ctx.services.db, input.id, ctx.services.clock.now(), { trigger: "user", requestedBy: ctx.user.username });
      ctx.services.jobs.pump();
      return { id };
    }),
  alerts: requireRole("admin", "manager")
    .input(
      z.object({
        active: z.boolean().optional(),
        severity: z.enum(ALERT_SEVERITIES).optional(),
        type: z.string().max(50).optional(),
        dataSourceId: ZId.optional(),
        groupId: ZId.optional(),
        before: ZId.optional(),
        limit: z.number().int().min(1).max(500).default(100),
      }),
    )
    .query(({ ctx, input }) => listAlerts(ctx.services.db, input)),
  alertCounts: requireRole("admin", "manager").query(({ ctx }) => countActiveAlerts(ctx.services.db)),
  acknowledgeAlert: requireRole("admin")
    .input(z.object({ id: ZId }))
    .mutation(({ ctx, input }) => acknowledgeAlert(ctx.services.db, input.id, ctx.user.username, ctx.services.clock.now())),
  inactivateAlert: requireRole("admin")
    .input(z.object({ id: ZId }))
    .mutation(({ ctx, input }) => inactivateAlert(ctx.services.db, input.id, ctx.user.username, ctx.services.clock.now())),
});
