import type { Services } from "@/server/services";
import { purgeExpiredSessions } from "@/server/domain/auth/sessions";
import { heartbeatPrimaries, watchSecondaries } from "@/server/domain/servers/heartbeats";
import { heartbeatRoundAt } from "@/server/domain/servers/link-health";
import { scheduleLinkJobs } from "@/server/domain/servers/secondary-protection";
import { autoSwitchStep } from "@/server/domain/servers/switch-protection";
import { queueAutomaticChecks, queueDailyMaintenance, rediscoverSources, refreshAlerts, scheduleDueJobs } from "@/server/jobs/protection-loop";

/** Every fifth minute the agents are asked for their data sources (and so for signs of life). */
const DISCOVERY_EVERY_MINUTES = 5;

/**
 * What the server does each minute: queue scheduled and automatic jobs, start what the
 * runner can take, bring the alerts in line, and housekeeping. Each step is guarded: one
 * failing step does not skip the others.
 */
export function createTick(s: Services) {
  const step = <T,>(name: string, fn: () => T): T | undefined => {
    try {
      return fn();
    } catch (err) {
      s.log.error({ err, step: name }, "scheduler step failed");
      return undefined;
    }
  };
  return async (now: Date) => {
    step("sessions", () => {
      const purged = purgeExpiredSessions(s.db, now);
      if (purged > 0) s.log.debug({ purged }, "expired sessions removed");
    });
    const due = step("schedule", () => scheduleDueJobs(s, now));
    if (due && (due.queued || due.missed)) s.log.info(due, "scheduled jobs queued");
    step("links", () => scheduleLinkJobs(s, now));
    step("automatic checks", () => queueAutomaticChecks(s, now));
    step("maintenance", () => queueDailyMaintenance(s, now));
    step("runner", () => s.jobs.pump());
    if (Math.floor(now.getTime() / 60_000) % DISCOVERY_EVERY_MINUTES === 0) {
      await rediscoverSources(s).catch((err: unknown) => s.log.error({ err }, "source discovery failed"));
    }
    // The heartbeat round and the automatic switch go by the minute this tick is for (see heartbeatRoundAt).
    const round = heartbeatRoundAt(now);
    await heartbeatPrimaries(s, round).catch((err: unknown) => s.log.error({ err }, "heartbeats failed"));
    step("secondaries", () => watchSecondaries(s, now));
    await autoSwitchStep(s, round).catch((err: unknown) => s.log.error({ err }, "automatic switch failed"));
    step("alerts", () => refreshAlerts(s, now));
  };
}
