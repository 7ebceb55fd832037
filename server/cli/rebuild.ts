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
import { isHttpAddress, rebuildPrimary, type RebuildProgress } from "@/server/domain/servers/rebuild";

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
    if (!o.json && p.detail) process.stdout.write(`  ${p.step.padEnd(9)} ${p.done !== undefined ? `[${p.done}/${p.total}] ` : ""}${p.detail}\n`);
  };
  for (const [flag, value] of [
    ["--secondary", o.secondary],
    ["--url", o.url],
  ] as const) {
    if (!isHttpAddress(value)) {
      process.stderr.write(`custodian rebuild: ${flag} must be an http(s) address, e.g. http://backup2:3000 (got ${JSON.stringify(value)})\n`);
      return 2;
    }
  }
  try {
    if (!o.json) process.stdout.write(`Rebuilding a primary server in ${dataDir} from its secondary at ${o.secondary}\n`);
    const report = await rebuildPrimary({
      dataDir,
      secondaryUrl: o.secondary,
      token: o.token,
      url: o.url,
      progress: say,
      openServices: (dir, serverName) => createServices({ dataDir: dir, serverName, log: pino({ level: "silent" }) }),
    });
    if (o.json) {
      process.stdout.write(JSON.stringify(report) + "\n");
      return 0;
    }
    const port = new URL(o.url).port || "80";
    process.stdout.write(
      [
        "",
        `${report.primary.name} (${report.primary.id}) is rebuilt from its catalog of ${report.catalogTakenAt}:`,
        `  ${report.recoveryPointsRestored} recovery point(s) restored, ${report.recoveryPointsAdded} made since the catalog copy added, ${report.recoveryPointsLost} lost (the secondary held no copy)`,
        `  ${report.storedBytesCopied} bytes copied from ${report.secondary.name}; every chunk verified against its hash`,
        `  agents: ${report.agents.handedOver} handed to this server, ${report.agents.standby} protected by ${report.secondary.name} (take ownership to switch back)${report.agents.failed.length ? `, ${report.agents.failed.length} unreachable: ${report.agents.failed.map((f) => `${f.agent}: ${f.error}`).join("; ")}` : ""}`,
        `  ${report.sourcesToCheck} replica(s) will be consistency-checked when the server starts.`,
        ...(report.peerCopiesToRecopy ? [`  ${report.peerCopiesToRecopy} recovery point(s) it held as another server's secondary went with the lost pool: they are copied again when the server starts.`] : []),
        "",
        "Next:",
        `  custodian serve --data ${o.data} --port ${port}`,
        `  then, for data sources still protected by ${report.secondary.name}: Servers → the link → Take ownership.`,
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
