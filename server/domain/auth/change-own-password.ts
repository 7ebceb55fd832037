import { eq } from "drizzle-orm";
import { users } from "@/db/schema";
import type { Services } from "@/server/services";
import { DomainError } from "../errors";
import { hashPassword, verifyPassword } from "./passwords";

export interface ChangeOwnPasswordOptions {
  userId: number;
  currentPassword: string;
  newPassword: string;
}

export async function changeOwnPassword(s: Pick<Services, "db" | "clock">, o: ChangeOwnPasswordOptions) {
  const row = s.db
    .select({ passwordHash: users.passwordHash, username: users.username })
    .from(users)
    .where(eq(users.id, o.userId))
    .get();
  if (!row) throw new DomainError("NOT_FOUND", "Your account no longer exists.");
  if (!(await verifyPassword(row.passwordHash, o.currentPassword))) {
    throw new DomainError("INVALID", "The current password is wrong.", row.username, {
      currentPassword: ["The current password is wrong."],
    });
  }
  if (o.newPassword === o.currentPassword) {
    throw new DomainError("INVALID", "Choose a password different from the current one.", row.username, {
      newPassword: ["Choose a password different from the current one."],
    });
  }
  const passwordHash = await hashPassword(o.newPassword);
  s.db
    .update(users)
    .set({ passwordHash, mustChangePassword: false, updatedAt: s.clock.now() })
    .where(eq(users.id, o.userId))
    .run();
  return { username: row.username };
}
