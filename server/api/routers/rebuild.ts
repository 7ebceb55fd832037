import { z } from "zod";
import { publicProcedure, router } from "../trpc";
import { DomainError } from "@/server/domain/errors";
import type { Services } from "@/server/services";

const address = (what: string) => z.string().trim().min(1, `${what}, e.g. http://backup2:3100`).max(2000);
const ZRebuildInput = z.object({
  secondaryUrl: address("the secondary's address"),
  token: z.string().trim().min(16, "the rebuild token from the secondary (Servers → the link → Rebuild token)").max(200),
  url: address("this server's address as agents reach it"),
});

function wizardOf(services: Services) {
  if (!services.rebuildWizard) throw new DomainError("PRECONDITION", "this server process does not offer the rebuild wizard (run `custodian serve`)");
  return services.rebuildWizard;
}

/**
 * The rebuild wizard on a new server (server/domain/servers/rebuild-wizard.ts). Public like the
 * first-start set-up, and like it usable only while the server has no users; its progress is
 * read with the ticket the start returned. Not audited here: this catalog is replaced by the
 * rebuilt one; the server log records each step.
 */
export const rebuildRouter = router({
  /** Whether this server can take a rebuild (it is new), and its free space. */
  fresh: publicProcedure.query(({ ctx }) => wizardOf(ctx.services).freshServer(ctx.services)),
  /** The pre-checks against the secondary; the token is not redeemed. */
  check: publicProcedure
    .meta({ access: "public", audit: false })
    .input(ZRebuildInput)
    .mutation(({ ctx, input }) => wizardOf(ctx.services).check(ctx.services, input)),
  /** Starts the rebuild; returns the ticket that reads its progress. */
  start: publicProcedure
    .meta({ access: "public", audit: false })
    .input(ZRebuildInput)
    .mutation(({ ctx, input }) => wizardOf(ctx.services).start(ctx.services, input)),
  /** Progress, then (after the restart) the report, for the ticket's holder only. */
  status: publicProcedure
    .input(z.object({ ticket: z.string().min(16).max(100) }))
    .query(({ ctx, input }) => wizardOf(ctx.services).status(input.ticket)),
});
