import type { Logger } from "pino";
import type { Catalog } from "@/db/client";
import type { Clock } from "./domain/clock";
import type { LoginThrottle } from "./domain/auth/login-throttle";
import type { ProtectionRuntime } from "./protection-runtime";
import type { JobRunner } from "./jobs/runner";
import type { RebuildWizard } from "./domain/servers/rebuild-wizard";

/**
 * Everything a domain use case may need, built once by the composition root
 * (server/composition.ts) and passed explicitly: no module reads globals or process.env.
 */
export interface Services {
  db: Catalog;
  clock: Clock;
  log: Logger;
  loginThrottle: LoginThrottle;
  /** This server's name as shown in the UI and to peers. */
  serverName: string;
  /** Storage pool and protocol identity, opened on first use. */
  protection: ProtectionRuntime;
  /** Runs queued jobs; `pump()` after queuing one starts it as soon as the limits allow. */
  jobs: JobRunner;
  /** The browser's rebuild wizard, in a `custodian serve` process (it restarts the process's services). */
  rebuildWizard?: RebuildWizard;
}
