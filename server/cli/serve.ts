import fs from "node:fs";
import path from "node:path";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { ServeConfig } from "@/server/config";
import { createLogger } from "@/server/logger";
import { createServices } from "@/server/composition";
import { CatalogOpenError } from "@/db/client";
import { ensureSelfServer } from "@/server/domain/servers/ensure-self-server";
import { ensureDemoUsers } from "@/server/domain/demo/ensure-demo-users";
import { startScheduler } from "@/server/scheduler/scheduler";
import { createTick } from "@/server/scheduler/tick";
import { startHttpServer } from "@/server/http/server";
import { loadSessionSecret } from "@/server/http/session-secret";
import { countUsers } from "@/server/domain/users/manage-users";
import { AgentApi } from "@/server/agent/agent-api";
import { agentDirectory } from "@/server/domain/agents/agents";
import { PeerApi } from "@/server/peer/peer-api";
import { peerDirectory } from "@/server/domain/servers/peering";
import { startLocalAgent } from "@/server/domain/agents/local-agent";
import { recoverJobsAfterRestart } from "@/server/domain/jobs/job-queue";
import { rediscoverSources } from "@/server/jobs/protection-loop";
import { ensureDemoProtection, startDemoActivity } from "@/server/demo/demo-protection";
import { RebuildWizard } from "@/server/domain/servers/rebuild-wizard";
import { applyRebuildSwap, rebuildSwapPending } from "@/server/domain/servers/rebuild-swap";
import type { Services } from "@/server/services";

export const EXIT_CONFIG = 2;

/**
 * `custodian serve`: catalog (migrated), scheduler, API and UI in one process, until
 * SIGTERM or SIGINT. Resolves with the process exit code.
 */
export async function serve(initialConfig: ServeConfig, projectDir: string): Promise<number> {
  let config = initialConfig;
  const log = createLogger({ level: config.logLevel, name: config.name });
  // Signal handlers go in first: a supervisor may send SIGTERM the instant it reads the
  // "running" line, and a signal that arrives before a handler exists kills the process
  // without the clean shutdown. A signal during start-up stops the server once it is up.
  let stopRequested = false;
  let requestStop: (signal: string) => void = () => undefined;
  const stopSignal = new Promise<string>((resolve) => (requestStop = resolve));
  const onSignal = (signal: string) => {
    if (stopRequested) {
      log.warn({ signal }, "second signal: exiting at once");
      process.exit(1);
    }
    stopRequested = true;
    requestStop(signal);
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  fs.mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });

  if (!config.dev && !fs.existsSync(path.join(projectDir, process.env.CUSTODIAN_DIST_DIR || ".next", "BUILD_ID"))) {
    process.stderr.write("custodian: the web UI is not built. Run `npm run build` first (or `npm start`, which builds when needed).\n");
    return EXIT_CONFIG;
  }

  // A rebuild's swap that a crash interrupted is finished before anything opens the catalog.
  let swapped = finishRebuildSwap(config.dataDir, log);

  // Next.js renders the UI inside this process; the API above never goes through it. It is
  // prepared once: a restart on a rebuilt catalog keeps it.
  const { default: next } = await import("next");
  const ui = next({ dev: config.dev, dir: projectDir, hostname: config.host, port: config.port, customServer: true, quiet: !config.dev });
  await ui.prepare();
  const renderUi = ui.getRequestHandler();
  const closeUi = async () => {
    await ui.close().catch(() => undefined);
    process.off("SIGTERM", onSignal);
    process.off("SIGINT", onSignal);
  };

  for (;;) {
    let requestRestart!: () => void;
    const restartRequested = new Promise<"restart">((resolve) => (requestRestart = () => resolve("restart")));
    const running = await startServer({ config, log, renderUi: (req, res) => renderUi(req, res), afterRebuild: swapped, requestRestart: () => requestRestart() });
    if (typeof running === "number") {
      await closeUi();
      return running;
    }
    // A restart listens where this run did (--port 0 picked a free port): the wizard's page and the agents handed over are told this address.
    config = { ...config, port: running.port };
    const why = await Promise.race([stopSignal, restartRequested]);
    if (why !== "restart") {
      log.info({ signal: why }, "shutting down");
      await running.shutDown();
      break;
    }
    // The rebuild wizard rebuilt a lost primary into the staging folder: close everything,
    // swap the folders, and run the same process on the rebuilt catalog.
    log.warn("restarting on the rebuilt catalog");
    await running.shutDown();
    swapped = finishRebuildSwap(config.dataDir, log);
  }
  await closeUi();
  log.info("stopped cleanly");
  return 0;
}

function finishRebuildSwap(dataDir: string, log: ReturnType<typeof createLogger>): { aside: string } | null {
  if (!rebuildSwapPending(dataDir)) return null;
  const swapped = applyRebuildSwap(dataDir);
  log.warn({ aside: swapped?.aside }, "this data folder now holds the rebuilt server; the new server's own files were moved aside");
  return swapped;
}

/**
 * One run of the server on the data folder: catalog, scheduler, agent and peer APIs, HTTP.
 * Resolves with a handle to shut it down, or an exit code when it could not start.
 */
async function startServer(o: {
  config: ServeConfig;
  log: ReturnType<typeof createLogger>;
  renderUi: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  afterRebuild: { aside: string } | null;
  requestRestart: () => void;
}): Promise<number | { port: number; shutDown(): Promise<void> }> {
  const { config, log } = o;
  let services: Services;
  try {
    services = createServices({ dataDir: config.dataDir, serverName: config.name, log });
  } catch (err) {
    if (err instanceof CatalogOpenError) {
      log.fatal({ file: err.file, reason: err.reason }, err.message);
      process.stderr.write(`custodian: ${err.message}\n`);
      return EXIT_CONFIG;
    }
    throw err;
  }

  // --name renames this server; without it the catalog keeps its name (a rebuilt primary keeps its own).
  const self = ensureSelfServer(services.db, { name: config.name, rename: config.nameGiven && !o.afterRebuild, now: services.clock.now() });
  if ("renameRefused" in self && self.renameRefused) log.warn({ name: config.name }, self.renameRefused);
  services.serverName = self.name;
  log.info({ serverId: self.id, name: self.name, dataDir: config.dataDir, created: self.created }, "catalog ready");
  services.rebuildWizard = new RebuildWizard({
    dataDir: config.dataDir,
    openServices: (dataDir, serverName) => createServices({ dataDir, serverName, log: log.child({ component: "rebuild", dataDir }) }),
    requestRestart: o.requestRestart,
    aside: o.afterRebuild?.aside ?? null,
  });

  if (config.demo) {
    const demo = await ensureDemoUsers(services, config.dataDir);
    if (demo.kind !== "none") printDemoCredentials(demo.kind, demo.file, demo.credentials);
  }

  // Jobs the previous process left running are failed by the system and retried by policy.
  const recovered = recoverJobsAfterRestart(services.db, services.clock.now());
  if (recovered.failed.length) log.warn(recovered, "jobs interrupted by the last stop were failed and retried");

  const scheduler = startScheduler({ key: config.dataDir, clock: services.clock, log: log.child({ component: "scheduler" }), tick: createTick(services) });

  const agentApi = new AgentApi({ store: services.protection.pool(), serverId: self.id, directory: agentDirectory(services), log: log.child({ component: "agent-api" }) });

  let http;
  try {
    http = await startHttpServer({
      services,
      agentApi,
      peerApi: new PeerApi({ directory: peerDirectory(services), log: log.child({ component: "peer-api" }), identity: services.protection.identity() }),
      host: config.host,
      port: config.port,
      sessionSecret: loadSessionSecret(config.dataDir),
      secureCookies: config.secureCookies,
      renderUi: o.renderUi,
    });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    process.stderr.write(`custodian: cannot listen on ${config.host}:${config.port}: ${e.code ?? e.message}\n`);
    await scheduler.stop();
    agentApi.close();
    await services.protection.close();
    services.db.$client.close();
    return EXIT_CONFIG;
  }
  services.protection.publicUrl = http.url;
  let localAgent: Awaited<ReturnType<typeof startLocalAgent>> | null = null;
  let demoActivity: { stop(): void } | null = null;
  const shutDown = async () => {
    demoActivity?.stop();
    await scheduler.stop();
    await services.jobs.stop();
    await http.close();
    await localAgent?.close();
    agentApi.close();
    await services.protection.close();
    services.db.$client.close();
  };
  try {
    localAgent = await startLocalAgent(services, config.dataDir, log.child({ component: "local-agent" }));
    await rediscoverSources(services);
    if (config.demo) {
      await ensureDemoProtection(services, config.dataDir, localAgent.state);
      demoActivity = startDemoActivity(services, config.dataDir);
    }
    services.jobs.pump();
  } catch (err) {
    // A server half started must not linger with its port open: stop everything and say why.
    log.fatal({ err }, "start-up failed");
    process.stderr.write(`custodian: start-up failed: ${(err as Error).message}\n`);
    await shutDown();
    return 1;
  }
  const needsSetup = countUsers(services.db) === 0;
  log.info({ url: http.url, demo: config.demo, setupRequired: needsSetup }, "Custodian is listening");
  const what = o.afterRebuild ? `rebuilt server "${self.name}"` : `server "${self.name}"`;
  process.stdout.write(`\nCustodian ${what} is running at ${http.url}${needsSetup ? `  (open ${http.url}/setup to create the first admin, or to rebuild a lost server from its secondary)` : ""}\n\n`);
  return { port: Number(new URL(http.url).port), shutDown };
}

function printDemoCredentials(kind: "created" | "existing", file: string, credentials: { username: string; role: string; password: string }[]) {
  const lines = [
    "",
    kind === "created" ? "Demo users created (one per role):" : "Demo users (as created on first start; changed passwords are not shown):",
    ...credentials.map((c) => `  ${c.role.padEnd(9)} user: ${c.username.padEnd(9)} password: ${c.password}`),
    `Kept in ${file} (readable by you only).`,
    "",
  ];
  process.stdout.write(lines.join("\n") + "\n");
}
