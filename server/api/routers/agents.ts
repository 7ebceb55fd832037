import { z } from "zod";
import { requireRole, router } from "../trpc";
import { DomainError } from "@/server/domain/errors";
import { addLocalSource } from "@/server/domain/agents/local-agent";
import { agentRecoveryPoints, backupNow, describeAgent, listAgents, pairComputer, restoreNow } from "@/server/domain/agents/agents";

const ZAgentId = z.uuid();
const ZSourceName = z.string().min(1).max(64);
const ZRecoveryPointId = z.string().regex(/^\d{8}T\d{9}Z-[0-9a-f]{8}$/, "not a recovery point id");

export const agentsRouter = router({
  list: requireRole("admin", "manager").query(({ ctx }) => listAgents(ctx.services)),
  pair: requireRole("admin")
    .input(
      z.object({
        url: z.url({ protocol: /^https?$/, error: "the agent's address, e.g. http://host:3200" }),
        token: z.string().trim().min(8, "the pairing token the agent printed").max(200),
      }),
    )
    .mutation(({ ctx, input }) => pairComputer(ctx.services, input)),
  /** A folder or database of this server's own computer, protected through the built-in agent. */
  addLocalSource: requireRole("admin")
    .input(z.object({ name: z.string().trim().min(1, "a name, e.g. documents").max(64), kind: z.enum(["folder", "sqlite"]), path: z.string().trim().min(1, "an absolute path on this server").max(4096) }))
    .mutation(({ ctx, input }) => addLocalSource(ctx.services, input)),
  describe: requireRole("admin").input(z.object({ agentId: ZAgentId })).query(({ ctx, input }) => describeAgent(ctx.services, input.agentId)),
  backupNow: requireRole("admin")
    .input(z.object({ agentId: ZAgentId, source: ZSourceName }))
    .mutation(({ ctx, input }) => backupNow(ctx.services, input)),
  recoveryPoints: requireRole("admin", "helpdesk")
    .input(z.object({ agentId: ZAgentId, source: ZSourceName }))
    .query(({ ctx, input }) => agentRecoveryPoints(ctx.services, input)),
  restoreNow: requireRole("admin", "helpdesk")
    .input(
      z.object({
        agentId: ZAgentId,
        source: ZSourceName,
        recoveryPoint: ZRecoveryPointId,
        target: z.string().max(4096).refine((p) => p.startsWith("/"), "an absolute path on the protected computer").optional(),
        existing: z.enum(["overwrite", "skip", "copy"]).default("copy"),
      }),
    )
    .mutation(({ ctx, input }) => {
      // Help desk restores to an alternate location; only an admin may overwrite the original.
      if (ctx.user.role !== "admin" && !input.target) throw new DomainError("FORBIDDEN", "help desk restores go to an alternate location: give a target folder", undefined, { target: ["required for help desk restores"] });
      return restoreNow(ctx.services, input);
    }),
});
