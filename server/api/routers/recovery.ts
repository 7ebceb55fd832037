import { z } from "zod";
import { requireRole, router } from "../trpc";
import { listRecoverableSources } from "@/server/domain/recovery/list-recoverable-sources";
import { fileTimeline, listRecoveryPoints, searchFiles } from "@/server/domain/recovery/recovery-points";
import { browseRecoveryPoint } from "@/server/domain/recovery/browse";
import { requestRestore } from "@/server/domain/recovery/restore-request";
import { getRecoverySettings, setRecoverySettings } from "@/server/domain/recovery/recovery-settings";

const ZId = z.number().int().positive();
const READERS = ["admin", "manager", "helpdesk"] as const;

/** Finding what to restore (help desk, admins; managers read) and asking for a restore (help desk, admins). */
export const recoveryRouter = router({
  sources: requireRole(...READERS).query(({ ctx }) => listRecoverableSources(ctx.services.db)),
  recoveryPoints: requireRole(...READERS)
    .input(z.object({ dataSourceId: ZId, from: z.date().optional(), to: z.date().optional() }))
    .query(({ ctx, input }) => listRecoveryPoints(ctx.services.db, input)),
  browse: requireRole(...READERS)
    .input(z.object({ recoveryPointId: ZId, dir: z.string().max(4096).default("") }))
    .query(({ ctx, input }) => browseRecoveryPoint(ctx.services, input)),
  search: requireRole(...READERS)
    .input(z.object({ query: z.string().trim().min(1, "type part of a file name").max(200), dataSourceId: ZId.optional(), limit: z.number().int().min(1).max(500).default(100) }))
    .query(({ ctx, input }) => searchFiles(ctx.services.db, input)),
  fileVersions: requireRole(...READERS)
    .input(z.object({ fileId: ZId }))
    .query(({ ctx, input }) => fileTimeline(ctx.services.db, input.fileId)),
  settings: requireRole(...READERS).query(({ ctx }) => getRecoverySettings(ctx.services.db)),
  updateSettings: requireRole("admin")
    .input(z.object({ helpdeskMayRestoreToOriginal: z.boolean() }))
    .mutation(({ ctx, input }) => setRecoverySettings(ctx.services.db, input)),
  restore: requireRole("admin", "helpdesk")
    .input(
      z.object({
        dataSourceId: ZId,
        recoveryPointId: ZId,
        target: z.string().trim().min(1).max(4096).optional(),
        paths: z.array(z.string().max(4096)).min(1).max(1000).optional(),
        existing: z.enum(["overwrite", "skip", "copy"]).default("copy"),
      }),
    )
    .mutation(({ ctx, input }) => {
      const jobId = requestRestore(ctx.services.db, input, ctx.user, ctx.services.clock.now());
      ctx.services.jobs.pump();
      return { jobId };
    }),
});
