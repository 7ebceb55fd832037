import { z } from "zod";
import { requireRole, router } from "../trpc";
import { ZShortTermPolicy } from "@/server/domain/protection/policy-schema";
import { checkGroupName, checkShortTermPolicy, defaultShortTermPolicy, MAX_RECOVERY_POINTS_PER_DAY, MAX_RETENTION_DAYS, SYNC_INTERVALS, WEEKDAYS, type ShortTermPolicy } from "@/server/domain/protection/short-term-policy";
import { addMembers, createGroup, getGroup, listGroups, removeMembers, runNow, stopProtection, updateGroupPolicy } from "@/server/domain/protection/groups";
import { listComputersWithSources, listUnprotectedSources } from "@/server/domain/protection/data-sources";
import { rediscoverSources } from "@/server/jobs/protection-loop";

const ZId = z.number().int().positive();
const ZJobKind = z.enum(["synchronization", "recovery-point", "express-full", "consistency-check"]);

/** Protection groups and their members (admins change, managers read). */
export const protectionRouter = router({
  groups: requireRole("admin", "manager").query(({ ctx }) => listGroups(ctx.services.db)),
  group: requireRole("admin", "manager")
    .input(z.object({ id: ZId }))
    .query(({ ctx, input }) => getGroup(ctx.services.db, input.id)),
  computers: requireRole("admin", "manager").query(({ ctx }) => listComputersWithSources(ctx.services.db)),
  unprotected: requireRole("admin", "manager").query(({ ctx }) => listUnprotectedSources(ctx.services.db)),
  /** DPM's defaults and ranges, for the wizard. */
  defaults: requireRole("admin", "manager")
    .input(z.object({ hasDatabases: z.boolean().default(false) }))
    .query(({ input }) => ({ policy: defaultShortTermPolicy(input), syncIntervals: SYNC_INTERVALS, weekdays: WEEKDAYS, maxRetentionDays: MAX_RETENTION_DAYS, maxRecoveryPointsPerDay: MAX_RECOVERY_POINTS_PER_DAY })),
  /** The wizard's inline validation: every broken rule, per field, without saving anything. */
  checkPolicy: requireRole("admin")
    .input(z.object({ name: z.string().max(200), policy: ZShortTermPolicy, hasDatabases: z.boolean() }))
    .query(({ input }) => [...checkGroupName(input.name), ...checkShortTermPolicy(input.policy as ShortTermPolicy, { hasDatabases: input.hasDatabases })]),
  refreshSources: requireRole("admin").mutation(async ({ ctx }) => {
    await rediscoverSources(ctx.services);
    return listComputersWithSources(ctx.services.db);
  }),
  createGroup: requireRole("admin")
    .input(z.object({ name: z.string().max(200), policy: ZShortTermPolicy, members: z.array(ZId).max(1000), requestKey: z.string().min(8).max(100).optional() }))
    .mutation(({ ctx, input }) => {
      const result = createGroup(ctx.services.db, { ...input, policy: input.policy as ShortTermPolicy }, ctx.services.clock.now(), ctx.user.username);
      ctx.services.jobs.pump();
      return result;
    }),
  updateGroup: requireRole("admin")
    .input(z.object({ id: ZId, name: z.string().max(200).optional(), policy: ZShortTermPolicy }))
    .mutation(({ ctx, input }) => updateGroupPolicy(ctx.services.db, input.id, { name: input.name, policy: input.policy as ShortTermPolicy }, ctx.services.clock.now())),
  addMembers: requireRole("admin")
    .input(z.object({ id: ZId, members: z.array(ZId).min(1).max(1000) }))
    .mutation(({ ctx, input }) => {
      addMembers(ctx.services.db, input.id, input.members, ctx.services.clock.now(), ctx.user.username);
      ctx.services.jobs.pump();
    }),
  removeMembers: requireRole("admin")
    .input(z.object({ members: z.array(ZId).min(1).max(1000), keepData: z.boolean() }))
    .mutation(({ ctx, input }) => removeMembers(ctx.services, input.members, { keepData: input.keepData })),
  stopProtection: requireRole("admin")
    .input(z.object({ id: ZId, keepData: z.boolean() }))
    .mutation(({ ctx, input }) => stopProtection(ctx.services, input.id, { keepData: input.keepData })),
  runNow: requireRole("admin")
    .input(z.object({ type: ZJobKind, groupId: ZId.optional(), dataSourceId: ZId.optional() }).refine((v) => (v.groupId === undefined) !== (v.dataSourceId === undefined), "name either a group or a data source"))
    .mutation(({ ctx, input }) => {
      const result = runNow(ctx.services.db, input, ctx.services.clock.now(), ctx.user.username);
      ctx.services.jobs.pump();
      return result;
    }),
});
