import { z } from "zod";
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from "@/server/domain/auth/passwords";
import { USERNAME_PATTERN, USERNAME_RULE } from "@/server/domain/users/user-rules";

export const ZUsername = z.string().trim().toLowerCase().regex(USERNAME_PATTERN, USERNAME_RULE);
export const ZNewPassword = z
  .string()
  .min(PASSWORD_MIN_LENGTH, `At least ${PASSWORD_MIN_LENGTH} characters.`)
  .max(PASSWORD_MAX_LENGTH, `At most ${PASSWORD_MAX_LENGTH} characters.`);
export const ZDisplayName = z.string().trim().max(100, "At most 100 characters.");

export const ZLoginInput = z.object({
  username: z.string().trim().toLowerCase().min(1, "Enter your user name.").max(64),
  password: z.string().min(1, "Enter your password.").max(PASSWORD_MAX_LENGTH),
});

export const ZSetupInput = z.object({
  username: ZUsername,
  displayName: ZDisplayName.optional(),
  password: ZNewPassword,
});

export const ZChangePasswordInput = z.object({
  currentPassword: z.string().min(1, "Enter your current password.").max(PASSWORD_MAX_LENGTH),
  newPassword: ZNewPassword,
});
