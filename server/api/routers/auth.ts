import { authedProcedure, publicProcedure, router } from "../trpc";
import { ZChangePasswordInput, ZLoginInput, ZSetupInput } from "./auth.schema";
import { logIn } from "@/server/domain/auth/log-in";
import { deleteSession } from "@/server/domain/auth/sessions";
import { setUpFirstAdmin } from "@/server/domain/auth/set-up-first-admin";
import { changeOwnPassword } from "@/server/domain/auth/change-own-password";
import { countUsers } from "@/server/domain/users/manage-users";
import { DomainError } from "@/server/domain/errors";

export const authRouter = router({
  /** What the sign-in page needs before anyone signs in. */
  status: publicProcedure.query(({ ctx }) => ({
    serverName: ctx.services.serverName,
    setupRequired: countUsers(ctx.services.db) === 0,
  })),

  me: publicProcedure.query(({ ctx }) => ctx.user),

  login: publicProcedure
    .meta({ access: "public", audit: false }) // logIn records every attempt itself
    .input(ZLoginInput)
    .mutation(async ({ ctx, input }) => {
      const { token, user } = await logIn(ctx.services, {
        ...input,
        clientAddress: ctx.clientAddress,
        userAgent: ctx.userAgent,
      });
      await ctx.session.set(token);
      return user;
    }),

  logout: authedProcedure.meta({ access: "authenticated", passwordChangeExempt: true }).mutation(({ ctx }) => {
    if (ctx.session.token) deleteSession(ctx.services.db, ctx.session.token);
    ctx.session.clear();
    return { ok: true as const };
  }),

  setup: publicProcedure.input(ZSetupInput).mutation(({ ctx, input }) => {
    // The rebuild replaces this catalog: an admin created meanwhile would vanish with it.
    if (ctx.services.rebuildWizard?.busy) throw new DomainError("CONFLICT", "a rebuild of a lost server is running here: when it is done, sign in with that server's accounts");
    return setUpFirstAdmin(ctx.services, input);
  }),

  changePassword: authedProcedure
    .meta({ access: "authenticated", passwordChangeExempt: true })
    .input(ZChangePasswordInput)
    .mutation(({ ctx, input }) => changeOwnPassword(ctx.services, { userId: ctx.user.id, ...input })),
});
