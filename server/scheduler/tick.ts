import type { Services } from "@/server/services";
import { purgeExpiredSessions } from "@/server/domain/auth/sessions";

/**
 * What the server does each minute. Protection jobs arrive with the protection issue; for
 * now the only housekeeping is dropping expired sessions.
 */
export function createTick(s: Services) {
  return (now: Date) => {
    const purged = purgeExpiredSessions(s.db, now);
    if (purged > 0) s.log.debug({ purged }, "expired sessions removed");
  };
}
