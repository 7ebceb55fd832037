import path from "node:path";
import { openCatalog } from "@/db/client";
import type { Logger } from "pino";
import type { Services } from "./services";
import { systemClock, type Clock } from "./domain/clock";
import { LoginThrottle, type LoginThrottleOptions } from "./domain/auth/login-throttle";
import { ProtectionRuntime } from "./protection-runtime";

export const CATALOG_FILE = "catalog.db";

/** The composition root: builds the services a server process runs on, once. */
export function createServices(o: {
  dataDir: string;
  serverName: string;
  log: Logger;
  clock?: Clock;
  loginThrottle?: LoginThrottleOptions;
}): Services {
  const db = openCatalog(path.join(o.dataDir, CATALOG_FILE));
  return {
    db,
    clock: o.clock ?? systemClock,
    log: o.log,
    loginThrottle: new LoginThrottle(o.loginThrottle),
    serverName: o.serverName,
    protection: new ProtectionRuntime(o.dataDir),
  };
}
