/**
 * Demo mode's protection: the built-in agent gets the sample folders and database as data
 * sources, two protection groups protect them with DPM-valid policies, and a demo operator
 * presses "Synchronize now" every 2 minutes and "Create recovery point now" every 4 (jobs
 * marked with the trigger "demo"), so a newcomer sees recovery points, jobs, alerts and
 * charts within minutes instead of waiting for 08:00. The sample workload keeps the data
 * changing. Everything is made by the real agent, engine and jobs.
 */
import { count } from "drizzle-orm";
import { protectionGroups } from "@/db/schema";
import type { Services } from "@/server/services";
import type { AgentState } from "@/server/agent/agent";
import { createGroup, listGroups, runNow } from "@/server/domain/protection/groups";
import { listComputersWithSources } from "@/server/domain/protection/data-sources";
import { WEEKDAYS, type ShortTermPolicy } from "@/server/domain/protection/short-term-policy";
import { rediscoverSources } from "@/server/jobs/protection-loop";
import { ensureSampleData, SampleWorkload } from "./sample-workload";

const EIGHT_A_DAY = ["00:00", "03:00", "06:00", "09:00", "12:00", "15:00", "18:00", "21:00"];

export const DEMO_SYNC_EVERY_MS = 2 * 60_000;
export const DEMO_RECOVERY_POINT_EVERY_MS = 4 * 60_000;
export const WORKLOAD_EVERY_MS = 20_000;

function filePolicy(): ShortTermPolicy {
  return {
    retentionDays: 2,
    synchronization: { everyMinutes: 15 },
    recoveryPoints: { days: [...WEEKDAYS], times: EIGHT_A_DAY },
    expressFull: null,
    consistencyCheck: { automaticWhenInconsistent: true, window: null },
    slaHours: 4,
  };
}

function databasePolicy(): ShortTermPolicy {
  return { ...filePolicy(), synchronization: { everyMinutes: 15 }, expressFull: { days: [...WEEKDAYS], times: ["20:00"] }, slaHours: 4 };
}

/** On a catalog without groups: sample data, the built-in agent's sources, and the two demo groups. */
export async function ensureDemoProtection(services: Services, dataDir: string, localAgent: AgentState): Promise<void> {
  const sample = ensureSampleData(dataDir);
  if (localAgent.sources.length === 0) {
    localAgent.setSources([
      { name: "finance-share", kind: "folder", path: sample.finance },
      { name: "projects", kind: "folder", path: sample.projects },
      { name: "scans", kind: "folder", path: sample.scans },
      { name: "crm-db", kind: "sqlite", path: sample.crm },
    ]);
  }
  await rediscoverSources(services);
  if ((services.db.select({ n: count() }).from(protectionGroups).get()?.n ?? 0) > 0) return;
  const own = listComputersWithSources(services.db).find((c) => c.agentId === localAgent.id);
  if (!own) return;
  const ids = (names: string[]) => own.sources.filter((s) => names.includes(s.name) && s.groupId === null).map((s) => s.id);
  const now = services.clock.now();
  const files = ids(["finance-share", "projects", "scans"]);
  const dbs = ids(["crm-db"]);
  if (files.length) createGroup(services.db, { name: "File shares", policy: filePolicy(), members: files, requestKey: "demo-file-shares" }, now, "demo");
  if (dbs.length) createGroup(services.db, { name: "Databases", policy: databasePolicy(), members: dbs, requestKey: "demo-databases" }, now, "demo");
  services.log.info({ groups: ["File shares", "Databases"] }, "demo protection groups created");
}

/** The workload and the demo operator, until stopped. */
export function startDemoActivity(services: Services, dataDir: string): { stop(): void } {
  const workload = new SampleWorkload(ensureSampleData(dataDir));
  const guard = (what: string, fn: () => void) => {
    try {
      fn();
    } catch (err) {
      services.log.warn({ err: (err as Error).message, what }, "demo activity step failed");
    }
  };
  const press = (type: "synchronization" | "recovery-point") => {
    for (const g of listGroups(services.db)) guard(type, () => runNow(services.db, { type, groupId: g.id, trigger: "demo" }, services.clock.now(), "demo"));
    services.jobs.pump();
  };
  const timers = [
    setInterval(() => guard("workload", () => workload.run()), WORKLOAD_EVERY_MS),
    setInterval(() => press("synchronization"), DEMO_SYNC_EVERY_MS),
    setInterval(() => press("recovery-point"), DEMO_RECOVERY_POINT_EVERY_MS),
  ];
  for (const t of timers) t.unref();
  guard("workload", () => workload.run());
  return {
    stop() {
      for (const t of timers) clearInterval(t);
      workload.close();
    },
  };
}
