/**
 * The job runner: takes queued jobs from the catalog in order and runs them, at most
 * `perServer` at once, `perAgent` per protection agent and one per data source. A job that
 * frees the pool's space (prune with garbage collection) runs alone: it waits for the
 * running ones and holds back those queued after it.
 *
 * Every job ends in the catalog: succeeded with its result, failed by the system with the
 * error, or cancelled by the user who asked. Stopping the server fails the running jobs
 * (ended by the system) and queues their retries, so none stays "running".
 */
import type { Services } from "@/server/services";
import {
  appendJobLog,
  cancelQueuedJob,
  markCancelled,
  markFailed,
  markRunning,
  markSucceeded,
  queuedJobs,
  recordProgress,
  retryJob,
  MAX_ATTEMPTS,
  type JobProgress,
  type JobRow,
} from "@/server/domain/jobs/job-queue";

export interface JobContext {
  job: JobRow;
  params: Record<string, unknown>;
  signal: AbortSignal;
  services: Services;
  progress(p: JobProgress): void;
  log(level: "info" | "warn" | "error", message: string): void;
}

/** A failure that still has a result worth keeping (a restore's counts when some entries failed). */
export class JobFailure extends Error {
  constructor(
    message: string,
    readonly result: unknown,
  ) {
    super(message);
    this.name = "JobFailure";
  }
}

/** Runs one job; returns its result (stored as JSON) or throws why it failed. */
export type JobHandler = (ctx: JobContext) => Promise<unknown>;

export interface RunnerLimits {
  perServer: number;
  perAgent: number;
}

/** Types that need the pool to themselves. */
const EXCLUSIVE = new Set(["prune"]);

interface Running {
  job: JobRow;
  controller: AbortController;
  /** Who cancelled it, when a user did. */
  cancelledBy: string | null;
  done: Promise<void>;
}

const PROGRESS_EVERY_MS = 1000;

export class JobRunner {
  private readonly running = new Map<number, Running>();
  private stopping = false;
  private pumping = false;
  private pumpAgain = false;
  /** Called after each job ends (alerts follow the outcome). */
  onJobEnded: (job: JobRow, outcome: "succeeded" | "failed" | "cancelled") => void = () => undefined;

  constructor(
    private readonly services: Services,
    private readonly handlers: Record<string, JobHandler>,
    private readonly limits: RunnerLimits = { perServer: 4, perAgent: 2 },
  ) {}

  get runningIds(): number[] {
    return [...this.running.keys()];
  }

  /** Starts what the limits allow. Safe to call at any time, from anywhere. */
  pump(): void {
    if (this.stopping) return;
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.pumpAgain = false;
        this.startWhatFits();
      } while (this.pumpAgain);
    } catch (err) {
      this.services.log.error({ err }, "job runner: could not start jobs");
    } finally {
      this.pumping = false;
    }
  }

  private startWhatFits(): void {
    const running = [...this.running.values()].map((r) => r.job);
    if (running.some((j) => EXCLUSIVE.has(j.type))) return;
    // A source's recovery-point history is kept in time order (the file index relies on it): its
    // jobs queued after a pull of what the secondary made meanwhile wait until the pull is done.
    const pulling = new Set(running.flatMap(pulledSources));
    for (const job of this.queued()) {
      if (running.length >= this.limits.perServer) return;
      if (EXCLUSIVE.has(job.type)) {
        if (running.length === 0) this.start(job);
        return; // nothing queued after it starts before it
      }
      if (job.dataSourceId !== null && pulling.has(job.dataSourceId)) continue;
      for (const id of pulledSources(job)) pulling.add(id);
      if (job.dataSourceId !== null && running.some((r) => r.dataSourceId === job.dataSourceId)) continue;
      if (job.agentId && running.filter((r) => r.agentId === job.agentId).length >= this.limits.perAgent) continue;
      this.start(job);
      running.push(job);
    }
  }

  /** Queued jobs in order, a page at a time: a long queue held back by one busy agent does not hide the jobs behind it. */
  private *queued(): Generator<JobRow> {
    let after = 0;
    for (;;) {
      const page = queuedJobs(this.services.db, { after, limit: 200 });
      yield* page;
      if (page.length < 200) return;
      after = page.at(-1)!.id;
    }
  }

  private start(job: JobRow): void {
    const db = this.services.db;
    const now = () => this.services.clock.now();
    const handler = this.handlers[job.type];
    markRunning(db, job.id, now());
    const controller = new AbortController();
    let lastProgress = 0;
    let latest: JobProgress | null = null;
    const ctx: JobContext = {
      job,
      params: JSON.parse(job.params) as Record<string, unknown>,
      signal: controller.signal,
      services: this.services,
      progress: (p) => {
        latest = p;
        const t = Date.now();
        if (t - lastProgress < PROGRESS_EVERY_MS) return;
        lastProgress = t;
        recordProgress(db, job.id, p, now());
      },
      log: (level, message) => appendJobLog(db, job.id, level, message, now()),
    };
    const entry: Running = { job, controller, cancelledBy: null, done: Promise.resolve() };
    this.running.set(job.id, entry);
    ctx.log("info", `started (${job.trigger}${job.attempt > 1 ? `, attempt ${job.attempt}` : ""})`);
    entry.done = (async () => {
      let outcome: "succeeded" | "failed" | "cancelled";
      try {
        if (!handler) throw new Error(`no handler for jobs of type ${job.type}`);
        const result = await handler(ctx);
        if (latest) recordProgress(db, job.id, latest, now()); // the final figures, which the throttle may have held back
        markSucceeded(db, job.id, now(), result);
        ctx.log("info", "succeeded");
        outcome = "succeeded";
      } catch (err) {
        const message = (err as Error)?.message ?? String(err);
        if (entry.cancelledBy) {
          markCancelled(db, job.id, now(), "user", `cancelled by ${entry.cancelledBy}`);
          ctx.log("warn", `cancelled by ${entry.cancelledBy}`);
          outcome = "cancelled";
        } else {
          if (latest) recordProgress(db, job.id, latest, now());
          markFailed(db, job.id, now(), this.stopping ? `the server stopped while the job was running (${message})` : message, "system", err instanceof JobFailure ? err.result : undefined);
          ctx.log("error", message);
          outcome = "failed";
          if (this.stopping && job.attempt < MAX_ATTEMPTS) retryJob(db, job.id, now(), { trigger: "retry" });
        }
      } finally {
        this.running.delete(job.id);
      }
      try {
        this.onJobEnded(job, outcome);
      } catch (err) {
        this.services.log.error({ err, job: job.id }, "after-job hook failed");
      }
      this.services.log.info({ job: job.id, type: job.type, target: job.target, outcome }, "job ended");
      queueMicrotask(() => this.pump());
    })();
  }

  /** Cancels a queued job at once, or aborts a running one (it ends as cancelled by `by`). */
  cancel(id: number, by: string): "cancelled" | "cancelling" {
    const r = this.running.get(id);
    if (r) {
      r.cancelledBy = by;
      r.controller.abort(new Error(`cancelled by ${by}`));
      return "cancelling";
    }
    return cancelQueuedJob(this.services.db, id, this.services.clock.now(), by) === "cancelled" ? "cancelled" : "cancelling";
  }

  /** Resolves when job `id` is not running (at once when it is not): after a cancel, when its work has stopped. */
  async ended(id: number): Promise<void> {
    await this.running.get(id)?.done;
  }

  /** Resolves when nothing is running (tests; shutdown). */
  async idle(): Promise<void> {
    while (this.running.size) await Promise.all([...this.running.values()].map((r) => r.done));
  }

  /** Stops starting jobs and aborts the running ones: they end failed by the system, with a retry queued. */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const r of this.running.values()) r.controller.abort(new Error("the server is stopping"));
    await this.idle();
  }
}

/** The data sources a pull-recovery-points job copies back to (its params), none for other jobs. */
function pulledSources(job: JobRow): number[] {
  if (job.type !== "pull-recovery-points") return [];
  try {
    const ids = (JSON.parse(job.params) as { dataSourceIds?: unknown }).dataSourceIds;
    return Array.isArray(ids) ? ids.filter((x): x is number => typeof x === "number") : [];
  } catch {
    return [];
  }
}
