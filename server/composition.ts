import path from "node:path";
import { openCatalog } from "@/db/client";
import type { Logger } from "pino";
import type { Services } from "./services";
import { systemClock, type Clock } from "./domain/clock";
import { LoginThrottle, type LoginThrottleOptions } from "./domain/auth/login-throttle";
import { CATALOG_FILE, ProtectionRuntime } from "./protection-runtime";
import { JobRunner } from "./jobs/runner";
import { protectionJobHandlers } from "./jobs/protection-jobs";
import { linkJobHandlers } from "./jobs/link-jobs";
import { refreshSourceAlerts } from "./jobs/protection-loop";

export { CATALOG_FILE };

/** The composition root: builds the services a server process runs on, once. */
export function createServices(o: {
  dataDir: string;
  serverName: string;
  log: Logger;
  clock?: Clock;
  loginThrottle?: LoginThrottleOptions;
}): Services {
  const db = openCatalog(path.join(o.dataDir, CATALOG_FILE));
  const services = {
    db,
    clock: o.clock ?? systemClock,
    log: o.log,
    loginThrottle: new LoginThrottle(o.loginThrottle),
    serverName: o.serverName,
    protection: new ProtectionRuntime(o.dataDir),
  } as Omit<Services, "jobs"> as Services;
  services.jobs = createJobRunner(services);
  return services;
}

/** The runner with the protection job types; alerts follow each job's outcome at once. */
export function createJobRunner(services: Services): JobRunner {
  const runner = new JobRunner(services, { ...protectionJobHandlers(), ...linkJobHandlers() });
  runner.onJobEnded = (job) => {
    if (job.dataSourceId !== null) refreshSourceAlerts(services, job.dataSourceId, services.clock.now());
  };
  return runner;
}
