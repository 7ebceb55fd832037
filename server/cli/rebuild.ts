/**
 * `custodian rebuild`: the guided rebuild of a lost primary from its secondary (SPEC §4), in
 * the terminal, before the server runs: pre-checks, the catalog, the replicas, then what to do
 * next. The rules are in server/domain/servers/rebuild.ts.
 */
import path from "node:path";
import pino from "pino";
import { createServices } from "@/server/composition";
import { DomainError } from "@/server/domain/errors";
import { ProtocolError } from "@/server/agent/protocol";
import { reconcileRebuiltCatalog, restorePrimaryCatalog, type RebuildProgress } from "@/server/domain/servers/rebuild";

export interface RebuildOptions {
  data: string;
  secondary: string;
  token: string;
  url: string;
  json?: boolean;
}

export async function runRebuild(o: RebuildOptions): Promise<number> {
  const dataDir = path.resolve(o.data);
  const say = (p: RebuildProgress) => {
    if (!o.json) process.stdout.write(`  ${p.step.padEnd(9)} ${p.detail ?? ""}\n`);
  };
  for (const [flag, value] of [
    ["--secondary", o.secondary],
    ["--url", o.url],
  ] as const) {
    if (!URL.canParse(value) || !/^https?:$/.test(new URL(value).protocol)) {
      process.stderr.write(`custodian rebuild: ${flag} must be an http(s) address, e.g. http://backup2:3000 (got ${JSON.stringify(value)})\n`);
      return 2;
    }
  }
  try {
    if (!o.json) process.stdout.write(`Rebuilding a primary server in ${dataDir} from its secondary at ${o.secondary}\n`);
    const phase1 = await restorePrimaryCatalog({ dataDir, secondaryUrl: o.secondary, token: o.token, url: o.url, progress: say });
    const { answer } = phase1;
    const services = createServices({ dataDir, serverName: answer.primary.name, log: pino({ level: "silent" }) });
    let phase2;
    try {
      phase2 = await reconcileRebuiltCatalog(services, { secondary: phase1.secondary, progress: say });
    } finally {
      await services.protection.close();
      services.db.$client.close();
    }
    const report = {
      primary: answer.primary,
      secondary: answer.secondary,
      catalogTakenAt: answer.snapshot!.takenAt,
      recoveryPointsRestored: phase2.restored,
      recoveryPointsAdded: phase2.added,
      recoveryPointsLost: phase2.lost,
      sourcesToCheck: phase2.toCheck,
      agents: answer.agents,
      storedBytesCopied: phase1.storedBytesCopied + phase2.storedBytesCopied,
    };
    if (o.json) {
      process.stdout.write(JSON.stringify(report) + "\n");
      return 0;
    }
    const port = new URL(o.url).port || "80";
    process.stdout.write(
      [
        "",
        `${answer.primary.name} (${answer.primary.id}) is rebuilt from its catalog of ${report.catalogTakenAt}:`,
        `  ${report.recoveryPointsRestored} recovery point(s) restored, ${report.recoveryPointsAdded} made since the catalog copy added, ${report.recoveryPointsLost} lost (the secondary held no copy)`,
        `  ${report.storedBytesCopied} bytes copied from ${answer.secondary.name}; every chunk verified against its hash`,
        `  agents: ${answer.agents.handedOver} handed to this server, ${answer.agents.standby} protected by ${answer.secondary.name} (take ownership to switch back)${answer.agents.failed.length ? `, ${answer.agents.failed.length} unreachable: ${answer.agents.failed.map((f) => `${f.agent}: ${f.error}`).join("; ")}` : ""}`,
        `  ${report.sourcesToCheck} replica(s) will be consistency-checked when the server starts.`,
        "",
        "Next:",
        `  custodian serve --data ${o.data} --port ${port}`,
        `  then, for data sources still protected by ${answer.secondary.name}: Servers → the link → Take ownership.`,
        "",
      ].join("\n"),
    );
    return 0;
  } catch (err) {
    if (err instanceof DomainError || err instanceof ProtocolError) {
      process.stderr.write(`custodian rebuild: ${err.message}\n`);
      return err instanceof DomainError && err.code === "PRECONDITION" ? 2 : 1;
    }
    throw err;
  }
}
