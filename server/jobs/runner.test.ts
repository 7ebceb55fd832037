import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { asc, eq } from "drizzle-orm";
import { agents, dataSources, jobLog, jobs, protectedComputers } from "@/db/schema";
import { createTestServices } from "@/server/testing/test-services";
import { enqueueJob, type JobRow, type JobType, type NewJob } from "@/server/domain/jobs/job-queue";
import type { Services } from "@/server/services";
import { JobRunner, type JobContext, type JobHandler, type RunnerLimits } from "./runner";

const T0 = new Date("2026-11-24T12:00:00Z");

let services: Services;
let clock: ReturnType<typeof createTestServices>["clock"];
/** Data sources: a1, a2 on agent A's computer; b1 on agent B's; c1, c2 on a computer without an agent. */
let src: Record<"a1" | "a2" | "b1" | "c1" | "c2", number>;

beforeEach(() => {
  ({ services, clock } = createTestServices({ now: T0.toISOString() }));
  const db = services.db;
  const computer = (name: string) => db.insert(protectedComputers).values({ name, createdAt: T0 }).returning().get().id;
  const pcA = computer("pc-a");
  const pcB = computer("pc-b");
  const pcC = computer("pc-c");
  db.insert(agents).values({ id: "A", computerId: pcA, url: "http://127.0.0.1:1", publicKey: "k", keyId: "ka", pairedAt: T0 }).run();
  db.insert(agents).values({ id: "B", computerId: pcB, url: "http://127.0.0.1:2", publicKey: "k", keyId: "kb", pairedAt: T0 }).run();
  const ds = (computerId: number, name: string) => db.insert(dataSources).values({ computerId, kind: "folder", path: `/srv/${name}`, name, createdAt: T0 }).returning().get().id;
  src = { a1: ds(pcA, "a1"), a2: ds(pcA, "a2"), b1: ds(pcB, "b1"), c1: ds(pcC, "c1"), c2: ds(pcC, "c2") };
});

afterEach(() => {
  vi.restoreAllMocks();
});

/** Lets the runner's promise chains and queued pumps run. */
const settle = async () => {
  for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
};

const row = (id: number) => services.db.select().from(jobs).where(eq(jobs.id, id)).get()!;
const logOf = (id: number) => services.db.select({ level: jobLog.level, message: jobLog.message }).from(jobLog).where(eq(jobLog.jobId, id)).orderBy(asc(jobLog.id)).all();

function enqueue(type: JobType, source: keyof typeof src | null, over: Partial<NewJob> = {}): number {
  return enqueueJob(services.db, { type, target: source ?? "storage pool", trigger: "schedule", dataSourceId: source ? src[source] : null, ...over }, clock.now());
}

/**
 * Handlers that run until the test ends them (or their signal aborts), checking the runner's
 * limits each time one starts.
 */
function gatedRunner(limits: RunnerLimits = { perServer: 2, perAgent: 1 }) {
  const live = new Map<number, JobRow>();
  const contexts = new Map<number, JobContext>();
  const gates = new Map<number, { finish(result?: unknown): void; fail(err: Error): void }>();
  const violations: string[] = [];
  const starts: number[] = [];
  let peak = 0;
  const handler: JobHandler = (ctx) =>
    new Promise((resolve, reject) => {
      const id = ctx.job.id;
      starts.push(id);
      contexts.set(id, ctx);
      live.set(id, ctx.job);
      peak = Math.max(peak, live.size);
      const all = [...live.values()];
      if (all.length > limits.perServer) violations.push(`${all.length} running at once`);
      if (ctx.job.dataSourceId !== null && all.filter((j) => j.dataSourceId === ctx.job.dataSourceId).length > 1) violations.push(`two on data source ${ctx.job.dataSourceId}`);
      if (ctx.job.agentId && all.filter((j) => j.agentId === ctx.job.agentId).length > limits.perAgent) violations.push(`too many on agent ${ctx.job.agentId}`);
      if (all.some((j) => j.type === "prune") && all.length > 1) violations.push("prune did not run alone");
      const end = (fn: () => void) => {
        if (!gates.has(id)) return;
        gates.delete(id);
        live.delete(id);
        fn();
      };
      gates.set(id, { finish: (r) => end(() => resolve(r)), fail: (e) => end(() => reject(e)) });
      ctx.signal.addEventListener("abort", () => end(() => reject(ctx.signal.reason as Error)));
    });
  const handlers: Record<string, JobHandler> = Object.fromEntries(["synchronization", "recovery-point", "express-full", "consistency-check", "restore", "verify", "prune", "pull-recovery-points"].map((t) => [t, handler]));
  const runner = new JobRunner(services, handlers, limits);
  const ended: [number, string][] = [];
  runner.onJobEnded = (job, outcome) => ended.push([job.id, outcome]);
  return {
    runner,
    contexts,
    violations,
    starts,
    ended,
    get peak() {
      return peak;
    },
    running: () => [...runner.runningIds].sort((a, b) => a - b),
    async finish(id: number, result?: unknown) {
      const g = gates.get(id);
      if (!g) throw new Error(`job ${id} is not running`);
      g.finish(result);
      await settle();
    },
    async fail(id: number, message: string) {
      gates.get(id)!.fail(new Error(message));
      await settle();
    },
  };
}

describe("JobRunner limits", () => {
  it("never more than perServer at once; starts in queue order as room frees", async () => {
    const h = gatedRunner();
    const ids = [1, 2, 3, 4, 5].map(() => enqueue("verify", null));
    h.runner.pump();
    expect(h.running()).toEqual([ids[0], ids[1]]);
    expect(row(ids[0]!)).toMatchObject({ state: "running", startedAt: T0 });
    expect(row(ids[2]!).state).toBe("queued");
    await h.finish(ids[1]!);
    expect(h.running()).toEqual([ids[0], ids[2]]);
    await h.finish(ids[0]!);
    await h.finish(ids[2]!);
    await h.finish(ids[3]!);
    await h.finish(ids[4]!);
    expect(h.starts).toEqual(ids);
    expect(ids.map((id) => row(id).state)).toEqual(["succeeded", "succeeded", "succeeded", "succeeded", "succeeded"]);
    expect(h.peak).toBe(2);
    expect(h.violations).toEqual([]);
  });

  it("never two jobs on one data source: a later job on a free source goes first", async () => {
    const h = gatedRunner();
    const sync = enqueue("synchronization", "c1");
    const rp = enqueue("recovery-point", "c1");
    const other = enqueue("synchronization", "c2");
    h.runner.pump();
    expect(h.running()).toEqual([sync, other]);
    await h.finish(sync);
    expect(h.running()).toEqual([rp, other]);
    expect(h.violations).toEqual([]);
  });

  it("perAgent: jobs name their computer's agent, and an agent runs at most perAgent even with room on the server", async () => {
    const h = gatedRunner({ perServer: 3, perAgent: 1 });
    const a1 = enqueue("synchronization", "a1");
    const a2 = enqueue("synchronization", "a2");
    const b1 = enqueue("synchronization", "b1");
    const c1 = enqueue("synchronization", "c1");
    expect([a1, a2, b1, c1].map((id) => row(id).agentId)).toEqual(["A", "A", "B", null]);
    h.runner.pump();
    expect(h.running()).toEqual([a1, b1, c1]);
    await h.finish(b1);
    expect(h.running()).toEqual([a1, c1]);
    await h.finish(a1);
    expect(h.running()).toEqual([a2, c1]);
    expect(h.violations).toEqual([]);
  });

  it("{perServer: 2, perAgent: 1} over a mixed queue: every limit holds until everything has run", async () => {
    const h = gatedRunner();
    const ids = [
      enqueue("synchronization", "a1"),
      enqueue("recovery-point", "a1"),
      enqueue("synchronization", "a2"),
      enqueue("synchronization", "b1"),
      enqueue("verify", null),
      enqueue("synchronization", "c1"),
      enqueue("recovery-point", "c1"),
      enqueue("synchronization", "c2"),
      enqueue("prune", null),
      enqueue("synchronization", "b1"),
      enqueue("restore", "a2"),
    ];
    h.runner.pump();
    for (let guard = 0; guard < 50 && h.running().length; guard++) await h.finish(h.running().at(-1)!);
    expect(ids.map((id) => row(id).state)).toEqual(ids.map(() => "succeeded"));
    expect(h.peak).toBe(2);
    expect(h.violations).toEqual([]);
    // Prune started only after everything queued before it, and before everything after it.
    const prune = ids[8]!;
    const pos = h.starts.indexOf(prune);
    expect(h.starts.slice(0, pos).sort((a, b) => a - b)).toEqual(ids.slice(0, 8));
  });

  it("prune waits for the running jobs, runs alone, and holds back the jobs queued after it", async () => {
    const h = gatedRunner();
    const verify = enqueue("verify", null);
    const prune = enqueue("prune", null);
    const later = enqueue("synchronization", "c1");
    h.runner.pump();
    expect(h.running()).toEqual([verify]);
    expect(row(later).state).toBe("queued");
    await h.finish(verify);
    expect(h.running()).toEqual([prune]);
    h.runner.pump();
    expect(h.running()).toEqual([prune]);
    await h.finish(prune);
    expect(h.running()).toEqual([later]);
    expect(h.violations).toEqual([]);
  });

  it("prune at the head of the queue starts at once, alone", async () => {
    const h = gatedRunner();
    const prune = enqueue("prune", null);
    const a = enqueue("synchronization", "c1");
    const b = enqueue("synchronization", "c2");
    h.runner.pump();
    expect(h.running()).toEqual([prune]);
    await h.finish(prune);
    expect(h.running()).toEqual([a, b]);
  });

  // Was a bug (fixed): the runner looks only at the first 200 queued jobs (queuedJobs' default limit). When
  // those are all held back (here: 200 jobs on agent A's sources with perAgent 1), a job further
  // down that every limit allows (agent B's) does not start until A's backlog drains.
  it("a source's jobs queued after a pull of its recovery points wait for the pull (history stays in time order); earlier ones and other sources do not", async () => {
    const h = gatedRunner({ perServer: 4, perAgent: 2 });
    const before = enqueue("consistency-check", "a2");
    const pull = enqueue("pull-recovery-points", null, { params: { dataSourceIds: [src.a1, src.a2] } });
    const rp = enqueue("recovery-point", "a1");
    const other = enqueue("recovery-point", "b1");
    h.runner.pump();
    expect(h.running()).toEqual([before, pull, other]);
    await h.finish(before);
    expect(h.running(), "a1 waits while the pull runs").toEqual([pull, other]);
    await h.finish(pull);
    expect(h.running()).toEqual([rp, other]);
    expect(h.violations).toEqual([]);
  });

  it("a job every limit allows starts even behind more than 200 held-back jobs", async () => {
    const h = gatedRunner({ perServer: 4, perAgent: 1 });
    const pcA = services.db.select({ id: agents.computerId }).from(agents).where(eq(agents.id, "A")).get()!.id;
    for (let i = 0; i < 201; i++) {
      const ds = services.db.insert(dataSources).values({ computerId: pcA, kind: "folder", path: `/srv/many-${i}`, name: `many-${i}`, createdAt: T0 }).returning().get().id;
      enqueueJob(services.db, { type: "synchronization", target: `many-${i}`, trigger: "schedule", dataSourceId: ds }, T0);
    }
    const b1 = enqueue("synchronization", "b1");
    h.runner.pump();
    expect(h.running()).toContain(b1);
  });
});

describe("JobRunner outcomes", () => {
  it("a handler's result is stored and the job succeeds, with its log", async () => {
    const h = gatedRunner();
    const id = enqueue("synchronization", "c1", { attempt: 2, trigger: "retry" });
    h.runner.pump();
    clock.advance(5000);
    await h.finish(id, { files: 3 });
    expect(row(id)).toMatchObject({ state: "succeeded", result: '{"files":3}', startedAt: T0, finishedAt: new Date(T0.getTime() + 5000), endedBy: null });
    expect(logOf(id)).toEqual([
      { level: "info", message: "started (retry, attempt 2)" },
      { level: "info", message: "succeeded" },
    ]);
    expect(h.ended).toEqual([[id, "succeeded"]]);
  });

  it("a throwing handler: failed, ended by the system, with the error", async () => {
    const h = gatedRunner();
    const id = enqueue("synchronization", "c1");
    h.runner.pump();
    await h.fail(id, "the agent is unreachable");
    expect(row(id)).toMatchObject({ state: "failed", endedBy: "system", error: "the agent is unreachable" });
    expect(logOf(id)).toEqual([
      { level: "info", message: "started (schedule)" },
      { level: "error", message: "the agent is unreachable" },
    ]);
    expect(h.ended).toEqual([[id, "failed"]]);
    // No retry is queued for an ordinary failure: the schedule or a user retries.
    expect(services.db.select().from(jobs).all()).toHaveLength(1);
  });

  it("a synchronous throw and a job type without a handler fail the same way", async () => {
    const runner = new JobRunner(
      services,
      {
        synchronization: () => {
          throw new Error("sync blew up");
        },
      },
      { perServer: 2, perAgent: 1 },
    );
    const a = enqueue("synchronization", "c1");
    const b = enqueue("verify", null);
    runner.pump();
    await runner.idle();
    await settle();
    expect(row(a)).toMatchObject({ state: "failed", endedBy: "system", error: "sync blew up" });
    expect(row(b)).toMatchObject({ state: "failed", endedBy: "system", error: "no handler for jobs of type verify" });
  });

  it("the next job starts when one ends, without another pump", async () => {
    const h = gatedRunner({ perServer: 1, perAgent: 1 });
    const a = enqueue("verify", null);
    const b = enqueue("verify", null);
    h.runner.pump();
    await h.fail(a, "boom");
    expect(h.running()).toEqual([b]);
  });

  it("an onJobEnded hook that throws does not stop the runner", async () => {
    const h = gatedRunner({ perServer: 1, perAgent: 1 });
    h.runner.onJobEnded = () => {
      throw new Error("hook");
    };
    const a = enqueue("verify", null);
    const b = enqueue("verify", null);
    h.runner.pump();
    await h.finish(a);
    expect(row(a).state).toBe("succeeded");
    expect(h.running()).toEqual([b]);
  });
});

describe("JobRunner cancel", () => {
  it("a running job: aborted, then cancelled by the user who asked", async () => {
    const h = gatedRunner();
    const id = enqueue("synchronization", "c1");
    h.runner.pump();
    expect(h.runner.cancel(id, "alice")).toBe("cancelling");
    expect(h.contexts.get(id)!.signal.aborted).toBe(true);
    await settle();
    expect(row(id)).toMatchObject({ state: "cancelled", endedBy: "user", error: "cancelled by alice" });
    expect(logOf(id).at(-1)).toEqual({ level: "warn", message: "cancelled by alice" });
    expect(h.ended).toEqual([[id, "cancelled"]]);
    expect(h.runner.runningIds).toEqual([]);
  });

  it("a queued job: cancelled at once; an ended one is a conflict", async () => {
    const h = gatedRunner({ perServer: 1, perAgent: 1 });
    const first = enqueue("verify", null);
    const second = enqueue("verify", null);
    h.runner.pump();
    expect(h.runner.cancel(second, "bob")).toBe("cancelled");
    expect(row(second)).toMatchObject({ state: "cancelled", endedBy: "user", error: "cancelled by bob" });
    await h.finish(first);
    expect(h.running()).toEqual([]);
    expect(() => h.runner.cancel(first, "bob")).toThrow(/has ended \(succeeded\)/);
  });
});

describe("JobRunner stop", () => {
  it("fails the running jobs by the system and queues a retry while attempts are left; starts nothing more", async () => {
    const h = gatedRunner();
    const first = enqueue("synchronization", "c1");
    const last = enqueue("synchronization", "c2", { attempt: 3 });
    const waiting = enqueue("verify", null);
    h.runner.pump();
    expect(h.running()).toEqual([first, last]);
    await h.runner.stop();
    for (const id of [first, last]) {
      expect(row(id)).toMatchObject({ state: "failed", endedBy: "system", error: "the server stopped while the job was running (the server is stopping)" });
    }
    const retries = services.db.select().from(jobs).where(eq(jobs.trigger, "retry")).all();
    expect(retries.map((r) => ({ retryOf: r.retryOf, attempt: r.attempt, state: r.state, type: r.type, dataSourceId: r.dataSourceId }))).toEqual([{ retryOf: first, attempt: 2, state: "queued", type: "synchronization", dataSourceId: src.c1 }]);
    h.runner.pump();
    await settle();
    expect(h.runner.runningIds).toEqual([]);
    expect(row(waiting).state).toBe("queued");
    expect(services.db.select().from(jobs).where(eq(jobs.state, "running")).all()).toEqual([]);
  });
});

describe("JobRunner progress", () => {
  it("is written at most about once a second", async () => {
    const h = gatedRunner();
    const id = enqueue("synchronization", "c1");
    h.runner.pump();
    const ctx = h.contexts.get(id)!;
    let t = 1_000_000;
    vi.spyOn(Date, "now").mockImplementation(() => t);
    const p = (files: number) => ctx.progress({ files, bytes: files * 100, bytesTotal: 1000, bytesPerSecond: 50 });
    clock.advance(1000);
    p(1);
    expect(row(id)).toMatchObject({ filesDone: 1, bytesDone: 100, bytesTotal: 1000, bytesPerSecond: 50, progressAt: new Date(T0.getTime() + 1000) });
    t += 500;
    p(2);
    t += 499;
    p(3);
    expect(row(id).filesDone).toBe(1);
    t += 1;
    clock.advance(1000);
    p(4);
    expect(row(id)).toMatchObject({ filesDone: 4, bytesDone: 400, progressAt: new Date(T0.getTime() + 2000) });
    t += 10_000;
    p(5);
    expect(row(id).filesDone).toBe(5);
    ctx.log("warn", "slow disk");
    expect(logOf(id).at(-1)).toEqual({ level: "warn", message: "slow disk" });
  });
});
