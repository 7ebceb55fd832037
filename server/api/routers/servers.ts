import { z } from "zod";
import { requireRole, router } from "../trpc";
import { createEnrolmentToken, linkPrimary, listServersWithPeers, serverTopology } from "@/server/domain/servers/peering";
import { heartbeatPrimaries } from "@/server/domain/servers/heartbeats";

export const serversRouter = router({
  /** The servers this one knows: itself first, then its primaries and secondaries. */
  list: requireRole("admin", "manager").query(({ ctx }) => listServersWithPeers(ctx.services.db)),
  /** A one-time token a secondary presents to link to this server (shown once). */
  createEnrolmentToken: requireRole("admin").mutation(({ ctx }) => createEnrolmentToken(ctx.services, { by: ctx.user.username })),
  /** Makes this server the secondary of the primary at `url`, with the primary's enrolment token. */
  linkPrimary: requireRole("admin")
    .input(
      z.object({
        url: z.url({ protocol: /^https?$/, error: "the primary server's address, e.g. http://host:3000" }),
        token: z.string().trim().min(16, "the enrolment token the primary's admin created").max(200),
      }),
    )
    .mutation(({ ctx, input }) => linkPrimary(ctx.services, input)),
  /** This server's part of the topology: itself, its primaries, its secondary and the chain it knows. */
  topology: requireRole("admin", "manager").query(({ ctx }) => serverTopology(ctx.services.db)),
  /** Sends the heartbeat round now (it runs every minute by itself). */
  heartbeatNow: requireRole("admin").mutation(({ ctx }) => heartbeatPrimaries(ctx.services)),
});
