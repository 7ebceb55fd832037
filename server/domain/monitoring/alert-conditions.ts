/**
 * Which alerts should be active, as a pure function of what the catalog says about each
 * protected data source and the pool (DPM-REFERENCE §3.2, §3.4, §4). The tick reconciles the
 * active alerts of these types with this list: an alert whose condition cleared is resolved
 * by the system.
 */
import type { AlertCondition } from "./alerts";
import type { ReplicaState } from "../scheduling/job-rules";

/** The condition types this module owns (others, such as restore outcomes, are events). */
export const CONDITION_TYPES = ["replica-inconsistent", "replica-missing", "replica-checking", "replica-pending", "sync-failed", "source-missing", "recovery-point-missed", "storage-nearly-full"] as const;

export interface SourceSnapshot {
  id: number;
  label: string;
  computerId: number;
  groupId: number;
  groupName: string;
  replicaState: ReplicaState;
  present: boolean;
  protectedSince: Date | null;
  latestRecoveryPointAt: Date | null;
  slaHours: number;
  /** The latest synchronization-like job that ended (sync, recovery point, express full, check). */
  lastDataJob: { id: number; state: "succeeded" | "failed" | "cancelled"; error: string | null; finishedAt: Date } | null;
}

export interface PoolSnapshot {
  totalBytes: number;
  freeBytes: number;
}

export const STORAGE_WARNING = 0.85;
export const STORAGE_CRITICAL = 0.95;

const hours = (ms: number) => ms / 3600_000;

export function desiredAlerts(sources: readonly SourceSnapshot[], pool: PoolSnapshot | null, now: Date): AlertCondition[] {
  const out: AlertCondition[] = [];
  for (const s of sources) {
    const about = { dataSourceId: s.id, groupId: s.groupId, computerId: s.computerId, target: s.label };
    if (!s.present) {
      out.push({ ...about, key: `source-missing:${s.id}`, type: "source-missing", severity: "critical", title: `Data source missing: ${s.label}`, detail: "The protection agent no longer reports this data source (it was removed from the agent or its folder/file is gone).", recommendedAction: "Restore the folder or the agent's source configuration, or stop protection of this data source." });
    }
    if (s.replicaState === "inconsistent") {
      out.push({ ...about, key: `replica-inconsistent:${s.id}`, type: "replica-inconsistent", severity: "critical", title: `Replica is inconsistent: ${s.label}`, detail: "New recovery points are blocked until a consistency check succeeds; existing recovery points can still be restored.", recommendedAction: "Run a consistency check (Protection → the data source → Check now)." });
    } else if (s.replicaState === "missing") {
      out.push({ ...about, key: `replica-missing:${s.id}`, type: "replica-missing", severity: "critical", title: `Replica missing: ${s.label}`, detail: "The replica's data is gone from the storage pool.", recommendedAction: "Run a consistency check to create the replica again from the data source." });
    } else if (s.replicaState === "checking") {
      out.push({ ...about, key: `replica-checking:${s.id}`, type: "replica-checking", severity: "warning", title: `Consistency check in progress: ${s.label}`, detail: "The replica is being verified against the data source; this alert resolves itself when the check ends." });
    } else if (s.replicaState === "creation-pending") {
      out.push({ ...about, key: `replica-pending:${s.id}`, type: "replica-pending", severity: "info", title: `Replica creation pending: ${s.label}`, detail: "The first synchronization has not completed yet." });
    }
    if (s.lastDataJob?.state === "failed") {
      out.push({ ...about, key: `sync-failed:${s.id}`, type: "sync-failed", severity: "critical", title: `Synchronization failed: ${s.label}`, detail: s.lastDataJob.error ?? "", recommendedAction: `See job ${s.lastDataJob.id}; it is retried at the next scheduled synchronization.` });
    }
    // SLA: at least one recovery point in every window of slaHours (DPM's "recovery point missed").
    const since = s.latestRecoveryPointAt ?? s.protectedSince;
    if (since && hours(now.getTime() - since.getTime()) > s.slaHours) {
      const what = s.latestRecoveryPointAt ? `the latest is from ${s.latestRecoveryPointAt.toISOString()}` : "there is none yet";
      out.push({ ...about, key: `recovery-point-missed:${s.id}`, type: "recovery-point-missed", severity: "critical", title: `Recovery point missed: ${s.label}`, detail: `The group ${s.groupName} asks for a recovery point at least every ${s.slaHours} h; ${what}.`, recommendedAction: "Check the data source's failed jobs, then create a recovery point now." });
    }
  }
  if (pool && pool.totalBytes > 0) {
    const used = 1 - pool.freeBytes / pool.totalBytes;
    if (used >= STORAGE_WARNING) {
      out.push({ key: "storage-nearly-full:pool", type: "storage-nearly-full", severity: used >= STORAGE_CRITICAL ? "critical" : "warning", title: `Storage pool ${Math.round(used * 100)}% full`, detail: `${Math.round(pool.freeBytes / 2 ** 30)} GiB free.`, recommendedAction: "Shorten retention ranges, stop protection of data sources you no longer need (deleting their data), or add disk space." });
    }
  }
  return out;
}
