import { z } from "zod";
import { requireRole, router } from "../trpc";
import { createEnrolmentToken, linkPrimary, listServersWithPeers, serverTopology } from "@/server/domain/servers/peering";
import { heartbeatPrimaries } from "@/server/domain/servers/heartbeats";
import { LINK_MAX_MINUTES, LINK_MIN_MINUTES, configureSecondaryProtection, linkDetail, listPrimarySources, replicateNow } from "@/server/domain/servers/secondary-protection";
import { switchProtection, takeOwnership } from "@/server/domain/servers/switch-protection";
import { createRebuildToken } from "@/server/domain/servers/rebuild";
import { removeLink } from "@/server/domain/servers/remove-link";

const serverId = z.uuid({ error: "a server id" });
const minutes = (what: string) =>
  z
    .number({ error: `${what}: a number of minutes` })
    .int()
    .min(LINK_MIN_MINUTES, `${what}: at least ${LINK_MIN_MINUTES} minutes`)
    .max(LINK_MAX_MINUTES, `${what}: at most 24 hours (DPM recommends daily)`);

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
  /** This server's part of the topology: itself, its primaries, its secondary and the chain it knows, with each link's health and lag. */
  topology: requireRole("admin", "manager").query(({ ctx }) => serverTopology(ctx.services)),
  /** One link: settings, health, catalog copies and the protected sources with their switch state. */
  link: requireRole("admin", "manager")
    .input(z.object({ primaryId: serverId, secondaryId: serverId }))
    .query(({ ctx, input }) => linkDetail(ctx.services, input.primaryId, input.secondaryId)),
  /** The primary's protected data sources (asked of the primary now), with what this server protects. */
  primarySources: requireRole("admin")
    .input(z.object({ primaryId: serverId }))
    .query(({ ctx, input }) => listPrimarySources(ctx.services, input.primaryId)),
  /** What this server protects of its primary, and how often. */
  configureSecondaryProtection: requireRole("admin")
    .input(
      z.object({
        primaryId: serverId,
        sourceIds: z.array(z.number().int().positive()).max(10_000),
        catalogEveryMinutes: minutes("Catalog copy"),
        replicaEveryMinutes: minutes("Replication"),
        catalogRetentionDays: z.number().int().min(1, "keep catalog copies at least a day").max(365, "at most 365 days"),
        autoSwitch: z.boolean(),
        graceMinutes: z.number().int().min(3, "at least 3 minutes (three heartbeats)").max(7 * 24 * 60, "at most 7 days"),
      }),
    )
    .mutation(({ ctx, input }) => configureSecondaryProtection(ctx.services, input, ctx.user.username)),
  /** Copies the primary's catalog and new recovery points now. */
  replicateNow: requireRole("admin")
    .input(z.object({ primaryId: serverId }))
    .mutation(({ ctx, input }) => replicateNow(ctx.services, input.primaryId, ctx.user.username)),
  /** Switch protection: this server (the secondary) protects the primary's sources, a group's or the ones named. */
  switchProtection: requireRole("admin")
    .input(
      z
        .object({ primaryId: serverId, groupId: z.number().int().positive().optional(), dataSourceIds: z.array(z.number().int().positive()).max(10_000).optional() })
        .refine((o) => (o.groupId === undefined) !== (o.dataSourceIds === undefined), "name a protection group or data sources"),
    )
    .mutation(({ ctx, input }) => switchProtection(ctx.services, input, ctx.user.username)),
  /** Switch back: this server (the primary) takes ownership of its switched data sources again. */
  takeOwnership: requireRole("admin")
    .input(z.object({ dataSourceIds: z.array(z.number().int().positive()).min(1).max(10_000) }))
    .mutation(({ ctx, input }) => takeOwnership(ctx.services, input, ctx.user.username)),
  /** On the secondary: a one-time token with which a new server takes a lost primary's identity (`custodian rebuild`). */
  createRebuildToken: requireRole("admin")
    .input(z.object({ primaryId: serverId }))
    .mutation(({ ctx, input }) => createRebuildToken(ctx.services, { primaryId: input.primaryId, by: ctx.user.username })),
  /** Removes the link between a primary and its secondary, from either end; on the secondary, keeping or deleting its copies. */
  removeLink: requireRole("admin")
    .input(z.object({ primaryId: serverId, secondaryId: serverId, copies: z.enum(["keep", "delete"], { error: "keep or delete the copies" }).optional() }))
    .mutation(({ ctx, input }) => removeLink(ctx.services, input, ctx.user.username)),
  /** Sends the heartbeat round now (it runs every minute by itself). */
  heartbeatNow: requireRole("admin").mutation(({ ctx }) => heartbeatPrimaries(ctx.services)),
});
