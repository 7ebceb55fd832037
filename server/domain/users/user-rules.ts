import type { Role } from "@/db/schema";

/**
 * Pure rules about changing users, each returning a reason when the change is refused.
 * The invariant they protect: the server always keeps at least one enabled admin, so
 * nobody can lock the organisation out of its own backup server.
 */
export interface UserSnapshot {
  id: number;
  role: Role;
  disabled: boolean;
}

export function refuseUserChange(
  actorId: number,
  target: UserSnapshot,
  change: { role?: Role; disabled?: boolean },
  enabledAdminCount: number,
): string | null {
  const losesAdmin =
    target.role === "admin" &&
    !target.disabled &&
    ((change.role !== undefined && change.role !== "admin") || change.disabled === true);
  if (losesAdmin && enabledAdminCount <= 1) {
    return "This is the last enabled administrator; create or enable another admin first.";
  }
  if (actorId === target.id && change.disabled === true) return "You cannot disable your own account.";
  if (actorId === target.id && change.role !== undefined && change.role !== target.role) {
    return "You cannot change your own role; ask another administrator.";
  }
  return null;
}

export const USERNAME_PATTERN = /^[a-z0-9][a-z0-9._-]{1,31}$/;
export const USERNAME_RULE =
  "2–32 characters: lower-case letters, digits, dot, dash or underscore, starting with a letter or digit.";
