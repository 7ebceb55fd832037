import { requireRole, router } from "../trpc";
import { ZCreateUserInput, ZResetPasswordInput, ZUpdateUserInput } from "./users.schema";
import { createUser, listUsers, resetPassword, updateUser } from "@/server/domain/users/manage-users";

const admin = requireRole("admin");

export const usersRouter = router({
  list: requireRole("admin", "manager").query(({ ctx }) => listUsers(ctx.services.db)),
  create: admin.input(ZCreateUserInput).mutation(({ ctx, input }) => createUser(ctx.services, input)),
  update: admin
    .input(ZUpdateUserInput)
    .mutation(({ ctx, input }) => updateUser(ctx.services, { actorId: ctx.user.id, ...input })),
  resetPassword: admin.input(ZResetPasswordInput).mutation(({ ctx, input }) => resetPassword(ctx.services, input)),
});
