/**
 * Job lifecycle and replica-state rules, as pure functions (DPM-REFERENCE §3.2, §3.3).
 *
 *   scheduled ─► queued ─► running ─► succeeded | failed
 *       └──────────┴──────────┴──────► cancelled
 *
 * Retry (DPM's rule): a job failed or cancelled by the system can be retried, as a new job
 * (the failed one stays in the history); a job cancelled by a user cannot. After a crash or
 * restart no job stays "running": each is marked failed by the system (and so may be retried
 * by policy).
 */
import type { JobState } from "@/db/schema";

export type EndedBy = "system" | "user";

const NEXT: Record<JobState, readonly JobState[]> = {
  scheduled: ["queued", "cancelled"],
  queued: ["running", "cancelled"],
  running: ["succeeded", "failed", "cancelled"],
  succeeded: [],
  failed: [],
  cancelled: [],
};

/** Why a job may not move from one state to another, or null when it may. */
export function transitionRefusal(from: JobState, to: JobState): string | null {
  if (NEXT[from].includes(to)) return null;
  if (NEXT[from].length === 0) return `the job has ended (${from}); it does not change any more`;
  return `a ${from} job can become ${NEXT[from].join(" or ")}, not ${to}`;
}

export interface EndedJob {
  state: JobState;
  endedBy: EndedBy | null;
}

/** Why a job may not be retried, or null when it may (as a new job). */
export function retryRefusal(job: EndedJob): string | null {
  if (job.state === "succeeded") return "the job succeeded";
  if (job.state !== "failed" && job.state !== "cancelled") return `the job is ${job.state}, not ended`;
  if (job.state === "cancelled" && job.endedBy === "user") return "a job cancelled by a user is not retried";
  return null;
}

/** What a restart does with the jobs the previous process left unfinished. */
export function recoverAfterRestart<J extends { id: number; state: JobState; type: string; attempt: number }>(
  jobs: readonly J[],
  o: { retriable: (type: string) => boolean; maxAttempts: number },
): { fail: J[]; retry: J[]; requeue: J[] } {
  const fail: J[] = [];
  const retry: J[] = [];
  const requeue: J[] = [];
  for (const j of jobs) {
    if (j.state === "running") {
      fail.push(j); // ended by the system: the process that ran it is gone
      if (o.retriable(j.type) && j.attempt < o.maxAttempts) retry.push(j);
    } else if (j.state === "queued") {
      requeue.push(j); // never started: it simply waits for a runner again
    }
  }
  return { fail, retry, requeue };
}

export const REPLICA_STATES = ["creation-pending", "ok", "inconsistent", "checking", "missing"] as const;
export type ReplicaState = (typeof REPLICA_STATES)[number];

/**
 * What a data source in this replica state allows. Inconsistent blocks new recovery points
 * and synchronizations (until a consistency check succeeds) but not restores from the
 * recovery points it already has.
 */
export function replicaAllows(state: ReplicaState, action: "synchronization" | "recovery-point" | "consistency-check" | "restore"): { ok: true } | { ok: false; reason: string } {
  switch (state) {
    case "ok":
      return { ok: true };
    case "creation-pending":
      return action === "consistency-check" || action === "synchronization" ? { ok: true } : { ok: false, reason: "the replica is not created yet: its first synchronization has not run" };
    case "inconsistent":
      if (action === "restore" || action === "consistency-check") return { ok: true };
      return { ok: false, reason: "the replica is inconsistent: a consistency check must succeed first (existing recovery points can still be restored)" };
    case "checking":
      if (action === "restore") return { ok: true };
      return { ok: false, reason: "a consistency check is in progress" };
    case "missing":
      return { ok: false, reason: "the replica is missing: its data is gone from the storage pool" };
  }
}

/** The replica state after a job of this kind ends. */
export function replicaAfter(state: ReplicaState, job: "synchronization" | "consistency-check", outcome: "succeeded" | "failed"): ReplicaState {
  if (state === "missing") return "missing";
  if (outcome === "succeeded") return "ok";
  // A failed or interrupted synchronization leaves the replica's state unknown: inconsistent.
  return "inconsistent";
}

/** Whether the automatic consistency check should start now for this replica. */
export function needsAutomaticCheck(state: ReplicaState, automaticWhenInconsistent: boolean): boolean {
  return state === "inconsistent" && automaticWhenInconsistent;
}
