import { z } from "zod";
import { ROLES } from "@/db/schema";
import { ZDisplayName, ZNewPassword, ZUsername } from "./auth.schema";

export const ZRole = z.enum(ROLES, { message: `One of: ${ROLES.join(", ")}.` });
export const ZUserId = z.number().int().positive();

export const ZCreateUserInput = z.object({
  username: ZUsername,
  displayName: ZDisplayName.optional(),
  role: ZRole,
  password: ZNewPassword,
  mustChangePassword: z.boolean().default(true),
});

export const ZUpdateUserInput = z
  .object({ id: ZUserId, role: ZRole.optional(), disabled: z.boolean().optional(), displayName: ZDisplayName.optional() })
  .refine((v) => v.role !== undefined || v.disabled !== undefined || v.displayName !== undefined, {
    message: "Nothing to change.",
  });

export const ZResetPasswordInput = z.object({ id: ZUserId });
