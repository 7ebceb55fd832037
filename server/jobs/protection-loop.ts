/**
 * The protection side of the scheduler's minute tick: queue what the groups' schedules say
 * fell due since the last tick (with a dead-man's switch for what could not run on time),
 * start automatic consistency checks, re-read the agents' data sources, and bring the
 * active alerts in line with the catalog.
 */
import fs from "node:fs";
import { and, desc, eq, inArray, isNotNull, sql } from "drizzle-orm";
import { agents, dataSources, jobs, protectedComputers, protectionGroups, recoveryPoints, schedulerState } from "@/db/schema";
import type { Services } from "@/server/services";
import { coalesce, dueJobs, MAX_WINDOW_MS, type DueJob } from "@/server/domain/scheduling/due-jobs";
import { needsAutomaticCheck } from "@/server/domain/scheduling/job-rules";
import { parseStoredPolicy } from "@/server/domain/protection/policy-schema";
import { enqueueJob, pendingJobFor, type JobType } from "@/server/domain/jobs/job-queue";
import { CONDITION_TYPES, desiredAlerts, type SourceSnapshot } from "@/server/domain/monitoring/alert-conditions";
import { expireInformationalAlerts, raiseAlert, reconcileAlerts, type AlertCondition } from "@/server/domain/monitoring/alerts";
import { recordDiscoveredSources } from "@/server/domain/protection/data-sources";
import { describeAgent } from "@/server/domain/agents/agents";

const LAST_TICK = "lastTickAt";
const LAST_PRUNE = "lastPruneAt";
/** A tick later than this after the previous one means the loop (or the server) was not running. */
export const LATE_AFTER_MS = 3 * 60_000;

function readState(services: Services, key: string): string | null {
  return services.db.select({ v: schedulerState.value }).from(schedulerState).where(eq(schedulerState.key, key)).get()?.v ?? null;
}

function writeState(services: Services, key: string, value: string): void {
  services.db.insert(schedulerState).values({ key, value }).onConflictDoUpdate({ target: schedulerState.key, set: { value } }).run();
}

export function serverTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}

/** Queues one due job on each member of its group that can take it. */
function queueDue(services: Services, due: DueJob, now: Date): number {
  let queued = 0;
  const members = services.db
    .select({ id: dataSources.id, name: dataSources.name, kind: dataSources.kind, replicaState: dataSources.replicaState })
    .from(dataSources)
    // A primary's source mirrored on its secondary is protected by the primary until switched.
    .where(and(eq(dataSources.groupId, due.groupId), eq(dataSources.protectedHere, true)))
    .all();
  for (const m of members) {
    if (due.type === "express-full" && m.kind !== "sqlite") continue;
    // A scheduled check (the window) runs only on a replica that needs one.
    if (due.type === "consistency-check" && m.replicaState !== "inconsistent") continue;
    // DPM: an inconsistent (or missing, or being checked) replica takes no synchronization or recovery point until a check
    // succeeds; its own critical alert says so, so the schedule does not pile up failing jobs.
    if (due.type !== "consistency-check" && (m.replicaState === "inconsistent" || m.replicaState === "missing" || m.replicaState === "checking")) continue;
    const same: JobType[] = due.type === "synchronization" ? ["synchronization", "recovery-point", "express-full"] : [due.type];
    if (pendingJobFor(services.db, m.id, same)) continue; // one waiting is enough
    enqueueJob(services.db, { type: due.type, target: m.name, trigger: "schedule", dataSourceId: m.id, groupId: due.groupId, scheduledFor: due.scheduledFor, params: due.maxHours ? { maxHours: due.maxHours } : {} }, now);
    queued++;
  }
  return queued;
}

/**
 * Queues what fell due in (last tick, now]. When the previous tick is older than a few
 * minutes (the server was down or its loop stalled), each group's missed runs collapse into
 * one run now, and a warning says how many did not run on time.
 */
export function scheduleDueJobs(services: Services, now: Date, timeZone = serverTimeZone()): { queued: number; missed: number } {
  const lastRaw = readState(services, LAST_TICK);
  const last = lastRaw ? new Date(lastRaw) : new Date(now.getTime() - 60_000);
  writeState(services, LAST_TICK, now.toISOString());
  if (last.getTime() >= now.getTime()) return { queued: 0, missed: 0 };
  const from = new Date(Math.max(last.getTime(), now.getTime() - MAX_WINDOW_MS));
  const groups = services.db
    .select({ id: protectionGroups.id, name: protectionGroups.name, policy: protectionGroups.policy })
    .from(protectionGroups)
    .all()
    .map((g) => ({ groupId: g.id, name: g.name, policy: parseStoredPolicy(g.policy) }));
  const due = dueJobs(groups, from, now, timeZone);
  const late = now.getTime() - last.getTime() > LATE_AFTER_MS;
  let queued = 0;
  let missed = 0;
  for (const { job, missed: extra } of coalesce(due)) {
    // A recovery point at the same instant synchronizes anyway: no separate synchronization.
    if (job.type === "synchronization" && due.some((d) => d.groupId === job.groupId && d.type === "recovery-point" && d.scheduledFor.getTime() === job.scheduledFor.getTime())) continue;
    queued += queueDue(services, job, now);
    const lateOnes = extra + (late && now.getTime() - job.scheduledFor.getTime() > 60_000 ? 1 : 0);
    if (late && lateOnes > 0) {
      missed += lateOnes;
      const g = groups.find((x) => x.groupId === job.groupId)!;
      raiseAlert(
        services.db,
        {
          key: `schedule-missed:${job.groupId}:${job.type}`,
          type: "schedule-missed",
          severity: "warning",
          groupId: job.groupId,
          target: g.name,
          title: `Scheduled ${job.type.replace("-", " ")} did not run: ${g.name}`,
          detail: `${lateOnes} scheduled run(s) between ${from.toISOString()} and ${now.toISOString()} did not start on time (the server was not running or its scheduler stalled)${from.getTime() > last.getTime() ? `; the server was down since ${last.toISOString()}, and only the last 7 days are counted` : ""}. One catch-up run was queued at ${now.toISOString()}.`,
          recommendedAction: "Check why the server was down; the catch-up run's jobs show whether protection is current again. Mark this alert inactive once reviewed.",
        },
        now,
      );
    }
  }
  return { queued, missed };
}

/** DPM's automatic consistency check: for inconsistent replicas of groups that enable it, at most one every 30 minutes. */
export function queueAutomaticChecks(services: Services, now: Date): number {
  const rows = services.db
    .select({ id: dataSources.id, name: dataSources.name, groupId: dataSources.groupId, state: dataSources.replicaState, policy: protectionGroups.policy })
    .from(dataSources)
    .innerJoin(protectionGroups, eq(protectionGroups.id, dataSources.groupId))
    .where(and(eq(dataSources.replicaState, "inconsistent"), eq(dataSources.protectedHere, true)))
    .all();
  let queued = 0;
  for (const r of rows) {
    if (!needsAutomaticCheck(r.state, parseStoredPolicy(r.policy).consistencyCheck.automaticWhenInconsistent)) continue;
    if (pendingJobFor(services.db, r.id, ["consistency-check"])) continue;
    const lastCheck = services.db.select({ at: jobs.finishedAt }).from(jobs).where(and(eq(jobs.dataSourceId, r.id), eq(jobs.type, "consistency-check"))).orderBy(desc(jobs.id)).limit(1).get();
    if (lastCheck?.at && now.getTime() - lastCheck.at.getTime() < 30 * 60_000) continue;
    enqueueJob(services.db, { type: "consistency-check", target: r.name, trigger: "system", dataSourceId: r.id, groupId: r.groupId }, now);
    queued++;
  }
  return queued;
}

/** Once a day: retention and garbage collection, then a verify of a tenth of the pool's packs (all of it over time, by chance). */
export function queueDailyMaintenance(services: Services, now: Date): boolean {
  const last = readState(services, LAST_PRUNE);
  // The first maintenance comes a day after the first start, not in the middle of the initial replicas.
  if (!last) writeState(services, LAST_PRUNE, now.toISOString());
  if (!last || now.getTime() - Date.parse(last) < 24 * 3600_000) return false;
  const pending = services.db.select({ id: jobs.id }).from(jobs).where(and(inArray(jobs.type, ["prune", "verify"]), inArray(jobs.state, ["queued", "running"]))).get();
  if (pending) return false; // tried again next tick
  writeState(services, LAST_PRUNE, now.toISOString());
  enqueueJob(services.db, { type: "prune", target: "storage pool", trigger: "schedule" }, now);
  enqueueJob(services.db, { type: "verify", target: "storage pool (10% sample)", trigger: "schedule", params: { samplePercent: 10 } }, now);
  return true;
}

/** Re-reads each agent's data sources (new ones appear, removed ones are marked missing). */
export async function rediscoverSources(services: Services): Promise<void> {
  // Only agents this server owns: a primary's agent mirrored here answers its owner only (this server is a standby) until protection is switched.
  const list = services.db
    .select({ id: agents.id, computerId: agents.computerId, name: protectedComputers.name })
    .from(agents)
    .innerJoin(protectedComputers, eq(protectedComputers.id, agents.computerId))
    .where(sql`not exists (select 1 from ${dataSources} where ${dataSources.computerId} = ${agents.computerId} and ${dataSources.protectedHere} = 0)`)
    .all();
  for (const a of list) {
    try {
      const desc = await describeAgent(services, a.id);
      recordDiscoveredSources(services.db, a.computerId, desc.sources, services.clock.now());
    } catch (err) {
      services.log.warn({ agent: a.id, computer: a.name, err: (err as Error).message }, "could not read the agent's data sources");
    }
  }
}

/** What the alert conditions look at, for every protected data source (or one). */
export function sourceSnapshots(services: Services, only?: number): SourceSnapshot[] {
  const rows = services.db
    .select({
      id: dataSources.id,
      name: dataSources.name,
      computer: protectedComputers.name,
      computerId: dataSources.computerId,
      groupId: dataSources.groupId,
      groupName: protectionGroups.name,
      policy: protectionGroups.policy,
      replicaState: dataSources.replicaState,
      present: dataSources.present,
      protectedSince: dataSources.protectedSince,
      latest: sql<number | null>`(select max(${recoveryPoints.createdAt}) from ${recoveryPoints} where ${recoveryPoints.dataSourceId} = ${dataSources.id})`,
      // Newest first along the (data source, created) index, stopping at the first ended data job.
      lastJobId: sql<number | null>`(select id from ${jobs} where ${jobs.dataSourceId} = ${dataSources.id} and ${jobs.type} in ('synchronization','recovery-point','express-full','consistency-check') and ${jobs.state} in ('succeeded','failed') order by ${jobs.createdAt} desc, id desc limit 1)`,
    })
    .from(dataSources)
    .innerJoin(protectionGroups, eq(protectionGroups.id, dataSources.groupId))
    .innerJoin(protectedComputers, eq(protectedComputers.id, dataSources.computerId))
    .where(and(isNotNull(dataSources.groupId), eq(dataSources.protectedHere, true), only === undefined ? undefined : eq(dataSources.id, only)))
    .all();
  const jobIds = rows.map((r) => r.lastJobId).filter((x): x is number => x !== null);
  const lastJobs = new Map(
    (jobIds.length ? services.db.select({ id: jobs.id, state: jobs.state, error: jobs.error, finishedAt: jobs.finishedAt }).from(jobs).where(inArray(jobs.id, jobIds)).all() : []).map((j) => [j.id, j]),
  );
  return rows.map((r) => {
    const j = r.lastJobId !== null ? lastJobs.get(r.lastJobId) : undefined;
    return {
      id: r.id,
      label: `${r.computer}: ${r.name}`,
      computerId: r.computerId,
      groupId: r.groupId!,
      groupName: r.groupName,
      replicaState: r.replicaState,
      present: r.present,
      protectedSince: r.protectedSince,
      latestRecoveryPointAt: r.latest === null ? null : new Date(Number(r.latest)),
      slaHours: parseStoredPolicy(r.policy).slaHours,
      lastDataJob: j ? { id: j.id, state: j.state as "succeeded" | "failed", error: j.error, finishedAt: j.finishedAt ?? new Date(0) } : null,
    };
  });
}

export function poolCapacity(services: Services): { totalBytes: number; freeBytes: number } | null {
  try {
    const s = fs.statfsSync(services.protection.pool().dir);
    return { totalBytes: s.blocks * s.bsize, freeBytes: s.bavail * s.bsize };
  } catch {
    return null;
  }
}

/** Queued for longer than this, a job counts as one that did not run (the dead-man's switch for the runner). */
export const STALLED_AFTER_MS = 60 * 60_000;

function stalledJobs(services: Services, now: Date): AlertCondition[] {
  const row = services.db
    .select({ n: sql<number>`count(*)`, oldest: sql<number | null>`min(${jobs.createdAt})` })
    .from(jobs)
    .where(and(eq(jobs.state, "queued"), sql`${jobs.createdAt} < ${now.getTime() - STALLED_AFTER_MS}`))
    .get();
  if (!row || Number(row.n) === 0) return [];
  return [
    {
      key: "jobs-stalled:server",
      type: "jobs-stalled",
      severity: "warning",
      title: `${row.n} job(s) waiting for more than an hour`,
      detail: `The oldest was queued at ${new Date(Number(row.oldest)).toISOString()}. Jobs wait when their agent or data source is busy, or when a prune holds the pool.`,
      recommendedAction: "Look at the running jobs (Monitoring → Jobs) and cancel one that is stuck.",
    },
  ];
}

/**
 * After a job: only its data source's conditions are looked at again (the whole catalog is,
 * every minute). With thousands of data sources a full pass is not free.
 */
export function refreshSourceAlerts(services: Services, dataSourceId: number, now: Date): { raised: number; resolved: number } {
  const types = CONDITION_TYPES.filter((t) => t !== "storage-nearly-full");
  return reconcileAlerts(services.db, types, desiredAlerts(sourceSnapshots(services, dataSourceId), null, now), now, { dataSourceId });
}

/** Raises what is wrong now and resolves what is no longer wrong. */
export function refreshAlerts(services: Services, now: Date): { raised: number; resolved: number } {
  const desired = [...desiredAlerts(sourceSnapshots(services), poolCapacity(services), now), ...stalledJobs(services, now)];
  const result = reconcileAlerts(services.db, [...CONDITION_TYPES, "jobs-stalled"], desired, now);
  expireInformationalAlerts(services.db, now);
  return result;
}
