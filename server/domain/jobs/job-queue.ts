/**
 * The job queue in the catalog: every unit of work is a row that moves
 * scheduled → queued → running → succeeded | failed | cancelled (job-rules.ts), with its
 * progress, its log and, when it failed or was cancelled, who ended it. The runner
 * (server/jobs/runner.ts) executes them; this module only records.
 */
import { and, asc, desc, eq, gt, inArray, lt, sql, type SQL } from "drizzle-orm";
import type { CatalogDb } from "@/db/client";
import { agents, dataSources, jobLog, jobs, protectedComputers, protectionGroups, type JobState } from "@/db/schema";
import { DomainError } from "../errors";
import { recoverAfterRestart, retryRefusal, transitionRefusal, type EndedBy } from "../scheduling/job-rules";

export const JOB_TYPES = ["synchronization", "recovery-point", "express-full", "consistency-check", "restore", "verify", "prune", "catalog-copy", "replication", "pull-recovery-points"] as const;
export type JobType = (typeof JOB_TYPES)[number];

export const JOB_TRIGGERS = ["schedule", "user", "system", "retry", "demo"] as const;
export type JobTrigger = (typeof JOB_TRIGGERS)[number];

/** Jobs the system retries by itself after it ended them (a crash, an unreachable agent). */
const RETRIED_BY_POLICY: ReadonlySet<string> = new Set(["synchronization", "recovery-point", "express-full", "consistency-check", "verify", "prune", "catalog-copy", "replication", "pull-recovery-points"]);
export const MAX_ATTEMPTS = 3;

export interface NewJob {
  type: JobType;
  target: string;
  trigger: JobTrigger;
  dataSourceId?: number | null;
  groupId?: number | null;
  agentId?: string | null;
  params?: Record<string, unknown>;
  requestedBy?: string | null;
  scheduledFor?: Date | null;
  attempt?: number;
  retryOf?: number | null;
  /** The peer server a link's job works with. */
  peerServerId?: string | null;
}

export function enqueueJob(db: CatalogDb, job: NewJob, now: Date): number {
  // The runner bounds jobs per agent: a data source's job names its computer's agent.
  const agentId =
    job.agentId ??
    (job.dataSourceId
      ? (db.select({ id: agents.id }).from(agents).innerJoin(dataSources, eq(dataSources.computerId, agents.computerId)).where(eq(dataSources.id, job.dataSourceId)).get()?.id ?? null)
      : null);
  return db
    .insert(jobs)
    .values({
      type: job.type,
      state: "queued",
      target: job.target,
      trigger: job.trigger,
      dataSourceId: job.dataSourceId ?? null,
      groupId: job.groupId ?? null,
      agentId,
      params: JSON.stringify(job.params ?? {}),
      requestedBy: job.requestedBy ?? null,
      scheduledFor: job.scheduledFor ?? null,
      attempt: job.attempt ?? 1,
      retryOf: job.retryOf ?? null,
      peerServerId: job.peerServerId ?? null,
      createdAt: now,
    })
    .returning({ id: jobs.id })
    .get().id;
}

/** A job of this type for this source that has not ended yet, if any (to avoid piling up duplicates). */
export function pendingJobFor(db: CatalogDb, dataSourceId: number, types: readonly JobType[]) {
  return db
    .select({ id: jobs.id, type: jobs.type, state: jobs.state })
    .from(jobs)
    .where(and(eq(jobs.dataSourceId, dataSourceId), inArray(jobs.type, [...types]), inArray(jobs.state, ["queued", "running"])))
    .get();
}

function move(db: CatalogDb, id: number, to: JobState, set: Partial<typeof jobs.$inferInsert>): void {
  const row = db.select({ state: jobs.state }).from(jobs).where(eq(jobs.id, id)).get();
  if (!row) throw new DomainError("NOT_FOUND", `no job ${id}`, String(id));
  const refusal = transitionRefusal(row.state, to);
  if (refusal) throw new DomainError("CONFLICT", `job ${id}: ${refusal}`, String(id));
  db.update(jobs).set({ ...set, state: to }).where(eq(jobs.id, id)).run();
}

export function markRunning(db: CatalogDb, id: number, now: Date): void {
  move(db, id, "running", { startedAt: now, progressAt: now });
}

export function markSucceeded(db: CatalogDb, id: number, now: Date, result?: unknown): void {
  move(db, id, "succeeded", { finishedAt: now, result: result === undefined ? null : JSON.stringify(result), error: null });
}

export function markFailed(db: CatalogDb, id: number, now: Date, error: string, endedBy: EndedBy = "system", result?: unknown): void {
  move(db, id, "failed", { finishedAt: now, error: error.slice(0, 2000), endedBy, ...(result === undefined ? {} : { result: JSON.stringify(result) }) });
}

export function markCancelled(db: CatalogDb, id: number, now: Date, endedBy: EndedBy, why: string): void {
  move(db, id, "cancelled", { finishedAt: now, error: why.slice(0, 2000), endedBy });
}

export interface JobProgress {
  files: number;
  bytes: number;
  bytesTotal: number | null;
  bytesPerSecond: number;
}

export function recordProgress(db: CatalogDb, id: number, p: JobProgress, now: Date): void {
  db.update(jobs)
    .set({ filesDone: p.files, bytesDone: p.bytes, bytesTotal: p.bytesTotal, bytesPerSecond: Math.round(p.bytesPerSecond), progressAt: now })
    .where(and(eq(jobs.id, id), eq(jobs.state, "running")))
    .run();
}

export function appendJobLog(db: CatalogDb, jobId: number, level: "info" | "warn" | "error", message: string, now: Date): void {
  db.insert(jobLog).values({ jobId, level, message: message.slice(0, 4000), at: now }).run();
}

/**
 * A cancel request: a queued job ends at once; a running one is marked by the runner when
 * its work stops (the caller aborts it). Returns what happened.
 */
export function cancelQueuedJob(db: CatalogDb, id: number, now: Date, by: string): "cancelled" | "running" {
  return db.transaction((tx) => {
    const row = tx.select({ state: jobs.state }).from(jobs).where(eq(jobs.id, id)).get();
    if (!row) throw new DomainError("NOT_FOUND", `no job ${id}`, String(id));
    if (row.state === "running") return "running";
    if (row.state !== "queued" && row.state !== "scheduled") throw new DomainError("CONFLICT", `job ${id} has ended (${row.state}); there is nothing to cancel`, String(id));
    move(tx, id, "cancelled", { finishedAt: now, endedBy: "user", error: `cancelled by ${by}` });
    appendJobLog(tx, id, "warn", `cancelled by ${by} before it started`, now);
    return "cancelled";
  });
}

/** DPM's retry: a new job with the same work; the ended one stays in the history. */
export function retryJob(db: CatalogDb, id: number, now: Date, o: { trigger: JobTrigger; requestedBy?: string | null }): number {
  return db.transaction((tx) => {
    const row = tx.select().from(jobs).where(eq(jobs.id, id)).get();
    if (!row) throw new DomainError("NOT_FOUND", `no job ${id}`, String(id));
    const refusal = retryRefusal({ state: row.state, endedBy: row.endedBy ?? null });
    if (refusal) throw new DomainError("PRECONDITION", `job ${id} cannot be retried: ${refusal}`, String(id));
    const retried = tx.select({ id: jobs.id }).from(jobs).where(eq(jobs.retryOf, id)).get();
    if (retried) throw new DomainError("CONFLICT", `job ${id} was already retried as job ${retried.id}`, String(id));
    const newId = enqueueJob(
      tx,
      {
        type: row.type as JobType,
        target: row.target,
        trigger: o.trigger,
        dataSourceId: row.dataSourceId,
        groupId: row.groupId,
        agentId: row.agentId,
        params: JSON.parse(row.params) as Record<string, unknown>,
        requestedBy: o.requestedBy ?? null,
        attempt: row.attempt + 1,
        retryOf: row.id,
        peerServerId: row.peerServerId,
      },
      now,
    );
    appendJobLog(tx, id, "info", `retried as job ${newId}`, now);
    return newId;
  });
}

/**
 * At start-up, before the runner starts: whatever the previous process left running is
 * failed by the system (its process is gone) and retried by policy; queued jobs wait again.
 */
export function recoverJobsAfterRestart(db: CatalogDb, now: Date): { failed: number[]; retried: number[] } {
  return db.transaction((tx) => {
    const open = tx.select({ id: jobs.id, state: jobs.state, type: jobs.type, attempt: jobs.attempt }).from(jobs).where(inArray(jobs.state, ["running", "queued"])).all();
    const plan = recoverAfterRestart(open, { retriable: (t) => RETRIED_BY_POLICY.has(t), maxAttempts: MAX_ATTEMPTS });
    const retried: number[] = [];
    for (const j of plan.fail) {
      markFailed(tx, j.id, now, "the server stopped while the job was running", "system");
      appendJobLog(tx, j.id, "error", "the server stopped while this job was running: failed by the system", now);
    }
    for (const j of plan.retry) retried.push(retryJob(tx, j.id, now, { trigger: "retry" }));
    return { failed: plan.fail.map((j) => j.id), retried };
  });
}

export function queuedJobs(db: CatalogDb, o: { after?: number; limit?: number } = {}) {
  return db
    .select()
    .from(jobs)
    .where(and(eq(jobs.state, "queued"), gt(jobs.id, o.after ?? 0)))
    .orderBy(asc(jobs.id))
    .limit(o.limit ?? 200)
    .all();
}

export type JobRow = typeof jobs.$inferSelect;

export interface ListJobsFilter {
  state?: JobState;
  states?: JobState[];
  type?: string;
  dataSourceId?: number;
  groupId?: number;
  /** A link's jobs: those working with this peer server. */
  peerServerId?: string;
  since?: Date;
  /** Keyset paging: jobs with a smaller id. */
  before?: number;
  limit: number;
}

const jobColumns = {
  id: jobs.id,
  type: jobs.type,
  state: jobs.state,
  target: jobs.target,
  trigger: jobs.trigger,
  createdAt: jobs.createdAt,
  startedAt: jobs.startedAt,
  finishedAt: jobs.finishedAt,
  error: jobs.error,
  dataSourceId: jobs.dataSourceId,
  groupId: jobs.groupId,
  peerServerId: jobs.peerServerId,
  attempt: jobs.attempt,
  retryOf: jobs.retryOf,
  endedBy: jobs.endedBy,
  filesDone: jobs.filesDone,
  bytesDone: jobs.bytesDone,
  bytesTotal: jobs.bytesTotal,
  bytesPerSecond: jobs.bytesPerSecond,
  requestedBy: jobs.requestedBy,
  /** The job that retried this one, if any (a job is retried once; retry the retry after that). */
  retriedAs: sql<number | null>`(select r.id from jobs r where r.retry_of = ${jobs.id} limit 1)`,
  /** The first synchronization of a newly protected data source (DPM's initial replica). */
  initialReplica: sql<number>`coalesce(json_extract(${jobs.params}, '$.initialReplica') = 1, 0)`.mapWith((v) => Number(v) === 1),
  computer: protectedComputers.name,
  group: protectionGroups.name,
};

/** ETA from the rate and what is left, when both are known. */
function withEta<T extends { state: string; bytesDone: number; bytesTotal: number | null; bytesPerSecond: number }>(j: T) {
  const left = j.bytesTotal !== null ? Math.max(0, j.bytesTotal - j.bytesDone) : null;
  const etaSeconds = j.state === "running" && left !== null && j.bytesPerSecond > 0 ? Math.ceil(left / j.bytesPerSecond) : null;
  const retriedAs = (j as unknown as { retriedAs: number | null }).retriedAs;
  return { ...j, etaSeconds, canRetry: retriedAs === null && retryRefusal({ state: j.state as JobState, endedBy: (j as unknown as { endedBy: EndedBy | null }).endedBy }) === null };
}

export function listJobs(db: CatalogDb, f: ListJobsFilter) {
  const where: SQL[] = [];
  if (f.state) where.push(eq(jobs.state, f.state));
  if (f.states?.length) where.push(inArray(jobs.state, f.states));
  if (f.type) where.push(eq(jobs.type, f.type));
  if (f.dataSourceId !== undefined) where.push(eq(jobs.dataSourceId, f.dataSourceId));
  if (f.groupId !== undefined) where.push(eq(jobs.groupId, f.groupId));
  if (f.peerServerId !== undefined) where.push(eq(jobs.peerServerId, f.peerServerId));
  if (f.since) where.push(sql`${jobs.createdAt} >= ${f.since.getTime()}`);
  if (f.before !== undefined) where.push(lt(jobs.id, f.before));
  return db
    .select(jobColumns)
    .from(jobs)
    .leftJoin(dataSources, eq(dataSources.id, jobs.dataSourceId))
    .leftJoin(protectedComputers, eq(protectedComputers.id, dataSources.computerId))
    .leftJoin(protectionGroups, eq(protectionGroups.id, jobs.groupId))
    .where(where.length ? and(...where) : undefined)
    .orderBy(desc(jobs.id))
    .limit(f.limit)
    .all()
    .map(withEta);
}

export function getJob(db: CatalogDb, id: number) {
  const row = db
    .select({ ...jobColumns, params: jobs.params, result: jobs.result, scheduledFor: jobs.scheduledFor })
    .from(jobs)
    .leftJoin(dataSources, eq(dataSources.id, jobs.dataSourceId))
    .leftJoin(protectedComputers, eq(protectedComputers.id, dataSources.computerId))
    .leftJoin(protectionGroups, eq(protectionGroups.id, jobs.groupId))
    .where(eq(jobs.id, id))
    .get();
  if (!row) throw new DomainError("NOT_FOUND", `no job ${id}`, String(id));
  const log = db.select({ at: jobLog.at, level: jobLog.level, message: jobLog.message }).from(jobLog).where(eq(jobLog.jobId, id)).orderBy(asc(jobLog.id)).limit(2000).all();
  return { ...withEta(row), params: JSON.parse(row.params) as Record<string, unknown>, result: row.result ? (JSON.parse(row.result) as unknown) : null, log };
}
