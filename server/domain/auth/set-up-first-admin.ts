import type { Services } from "@/server/services";
import { DomainError } from "../errors";
import { hashPassword } from "./passwords";
import { countUsers, insertUser } from "../users/manage-users";

export interface SetUpFirstAdminOptions {
  username: string;
  displayName?: string;
  password: string;
}

/**
 * First start with an empty catalog: whoever reaches the setup page first creates the
 * first admin (as Jenkins and Grafana do). The count and the insert share one transaction,
 * so two concurrent set-ups cannot both succeed.
 */
export async function setUpFirstAdmin(s: Pick<Services, "db" | "clock">, o: SetUpFirstAdminOptions) {
  if (countUsers(s.db) > 0) throw alreadyDone();
  const passwordHash = await hashPassword(o.password);
  return s.db.transaction((tx) => {
    if (countUsers(tx) > 0) throw alreadyDone();
    return insertUser(tx, s.clock.now(), { username: o.username, displayName: o.displayName, role: "admin", passwordHash });
  });
}

function alreadyDone() {
  return new DomainError("PRECONDITION", "Custodian is already set up: sign in instead.");
}
