import { domainErrorOf } from "@/server/testing/test-services";
import { beforeEach, describe, expect, it } from "vitest";
import { asc, eq } from "drizzle-orm";
import { openCatalog, type Catalog } from "@/db/client";
import { agents, dataSources, jobLog, jobs, protectedComputers, protectionGroups, type JobState } from "@/db/schema";
import {
  cancelQueuedJob,
  enqueueJob,
  getJob,
  listJobs,
  markCancelled,
  markFailed,
  markRunning,
  markSucceeded,
  pendingJobFor,
  queuedJobs,
  recordProgress,
  recoverJobsAfterRestart,
  retryJob,
  type NewJob,
} from "./job-queue";

const T0 = new Date("2026-11-24T12:00:00Z");
const at = (s: number) => new Date(T0.getTime() + s * 1000);

let db: Catalog;
let docs: number;
let crm: number;
let loose: number;
let groupId: number;

beforeEach(() => {
  db = openCatalog(":memory:");
  const pc = db.insert(protectedComputers).values({ name: "fileserver", createdAt: T0 }).returning().get().id;
  const bare = db.insert(protectedComputers).values({ name: "no-agent", createdAt: T0 }).returning().get().id;
  db.insert(agents).values({ id: "agent-fs", computerId: pc, url: "http://127.0.0.1:1", publicKey: "k", keyId: "kid", pairedAt: T0 }).run();
  groupId = db.insert(protectionGroups).values({ name: "Files", createdAt: T0 }).returning().get().id;
  docs = db.insert(dataSources).values({ computerId: pc, kind: "folder", path: "/srv/docs", name: "docs", groupId, createdAt: T0 }).returning().get().id;
  crm = db.insert(dataSources).values({ computerId: pc, kind: "sqlite", path: "/srv/crm.db", name: "crm", groupId, createdAt: T0 }).returning().get().id;
  loose = db.insert(dataSources).values({ computerId: bare, kind: "folder", path: "/srv/x", name: "x", createdAt: T0 }).returning().get().id;
});

const row = (id: number) => db.select().from(jobs).where(eq(jobs.id, id)).get()!;
const logOf = (id: number) => db.select({ level: jobLog.level, message: jobLog.message }).from(jobLog).where(eq(jobLog.jobId, id)).orderBy(asc(jobLog.id)).all();

function job(over: Partial<NewJob> = {}, now = T0): number {
  return enqueueJob(db, { type: "synchronization", target: "docs", trigger: "schedule", dataSourceId: docs, groupId, ...over }, now);
}

/** A job put straight into a state, as the runner would have left it. */
function jobIn(state: JobState, over: Partial<typeof jobs.$inferInsert> = {}): number {
  const id = job();
  db.update(jobs).set({ state, ...over }).where(eq(jobs.id, id)).run();
  return id;
}

describe("enqueueJob", () => {
  it("queues with defaults, the data source's agent and the parameters as JSON", () => {
    const id = job({ params: { maxHours: 2 }, requestedBy: "alice", scheduledFor: at(-60) });
    expect(row(id)).toMatchObject({
      type: "synchronization",
      state: "queued",
      target: "docs",
      trigger: "schedule",
      dataSourceId: docs,
      groupId,
      agentId: "agent-fs",
      params: '{"maxHours":2}',
      requestedBy: "alice",
      scheduledFor: at(-60),
      attempt: 1,
      retryOf: null,
      createdAt: T0,
      startedAt: null,
      finishedAt: null,
      endedBy: null,
      filesDone: 0,
      bytesDone: 0,
    });
  });

  it("no agent for a source without one, or for a job without a source; an explicit agent wins", () => {
    expect(row(job({ dataSourceId: loose })).agentId).toBeNull();
    expect(row(enqueueJob(db, { type: "prune", target: "storage pool", trigger: "schedule" }, T0))).toMatchObject({ agentId: null, dataSourceId: null, groupId: null, params: "{}" });
    expect(row(job({ agentId: "explicit" })).agentId).toBe("explicit");
  });
});

describe("the state machine", () => {
  type Op = "running" | "succeeded" | "failed" | "cancelled";
  const apply: Record<Op, (id: number) => void> = {
    running: (id) => markRunning(db, id, at(1)),
    succeeded: (id) => markSucceeded(db, id, at(2), { ok: true }),
    failed: (id) => markFailed(db, id, at(2), "boom"),
    cancelled: (id) => markCancelled(db, id, at(2), "user", "cancelled by alice"),
  };
  const allowed: Record<JobState, Op[]> = {
    scheduled: ["cancelled"],
    queued: ["running", "cancelled"],
    running: ["succeeded", "failed", "cancelled"],
    succeeded: [],
    failed: [],
    cancelled: [],
  };
  const cases = (Object.keys(allowed) as JobState[]).flatMap((from) => (Object.keys(apply) as Op[]).map((op) => [from, op, allowed[from].includes(op)] as const));

  it.each(cases)("%s → %s allowed: %s", (from, op, ok) => {
    const id = jobIn(from);
    if (ok) {
      apply[op](id);
      expect(row(id).state).toBe(op);
    } else {
      const e = domainErrorOf(() => apply[op](id));
      expect(e.code).toBe("CONFLICT");
      expect(e.message).toMatch(new RegExp(`^job ${id}: `));
      expect(row(id).state).toBe(from);
    }
  });

  it("each step records its times, result, error and who ended it", () => {
    const a = job();
    markRunning(db, a, at(1));
    expect(row(a)).toMatchObject({ state: "running", startedAt: at(1), progressAt: at(1) });
    markSucceeded(db, a, at(5), { recoveryPointId: 3 });
    expect(row(a)).toMatchObject({ state: "succeeded", finishedAt: at(5), result: '{"recoveryPointId":3}', error: null });

    const b = job();
    markRunning(db, b, at(1));
    markSucceeded(db, b, at(2));
    expect(row(b).result).toBeNull();

    const c = job();
    markRunning(db, c, at(1));
    markFailed(db, c, at(3), "x".repeat(5000));
    expect(row(c)).toMatchObject({ state: "failed", finishedAt: at(3), endedBy: "system" });
    expect(row(c).error).toHaveLength(2000);

    const d = job();
    markRunning(db, d, at(1));
    markFailed(db, d, at(3), "agent refused", "user");
    expect(row(d).endedBy).toBe("user");

    const e = job();
    markCancelled(db, e, at(4), "user", "cancelled by alice");
    expect(row(e)).toMatchObject({ state: "cancelled", finishedAt: at(4), endedBy: "user", error: "cancelled by alice" });
  });

  it("an unknown job is NOT_FOUND", () => {
    expect(domainErrorOf(() => markRunning(db, 999, T0)).code).toBe("NOT_FOUND");
  });
});

describe("recordProgress", () => {
  it("updates a running job only", () => {
    const id = job();
    recordProgress(db, id, { files: 3, bytes: 100, bytesTotal: 1000, bytesPerSecond: 12.6 }, at(1));
    expect(row(id)).toMatchObject({ filesDone: 0, bytesDone: 0, bytesTotal: null });
    markRunning(db, id, at(1));
    recordProgress(db, id, { files: 3, bytes: 100, bytesTotal: 1000, bytesPerSecond: 12.6 }, at(2));
    expect(row(id)).toMatchObject({ filesDone: 3, bytesDone: 100, bytesTotal: 1000, bytesPerSecond: 13, progressAt: at(2) });
    markSucceeded(db, id, at(3));
    recordProgress(db, id, { files: 9, bytes: 900, bytesTotal: 1000, bytesPerSecond: 1 }, at(4));
    expect(row(id)).toMatchObject({ filesDone: 3, bytesDone: 100 });
  });
});

describe("cancelQueuedJob", () => {
  it("cancels a queued (or scheduled) job at once, by the user, with a log line", () => {
    const id = job();
    expect(cancelQueuedJob(db, id, at(9), "alice")).toBe("cancelled");
    expect(row(id)).toMatchObject({ state: "cancelled", endedBy: "user", error: "cancelled by alice", finishedAt: at(9) });
    expect(logOf(id)).toEqual([{ level: "warn", message: "cancelled by alice before it started" }]);
    const s = jobIn("scheduled");
    expect(cancelQueuedJob(db, s, at(9), "bob")).toBe("cancelled");
    expect(row(s).state).toBe("cancelled");
  });

  it("leaves a running job to the runner; refuses ended and unknown jobs", () => {
    const running = jobIn("running");
    expect(cancelQueuedJob(db, running, at(9), "alice")).toBe("running");
    expect(row(running).state).toBe("running");
    for (const state of ["succeeded", "failed", "cancelled"] as const) {
      const id = jobIn(state);
      const e = domainErrorOf(() => cancelQueuedJob(db, id, at(9), "alice"));
      expect(e.code).toBe("CONFLICT");
      expect(e.message).toBe(`job ${id} has ended (${state}); there is nothing to cancel`);
    }
    expect(domainErrorOf(() => cancelQueuedJob(db, 999, at(9), "alice")).code).toBe("NOT_FOUND");
  });
});

describe("retryJob", () => {
  it("a job failed by the system: a new job with the same work, attempt + 1 and retryOf", () => {
    const id = job({ type: "express-full", target: "crm", dataSourceId: crm, params: { full: true }, requestedBy: "alice" });
    markRunning(db, id, at(1));
    markFailed(db, id, at(2), "agent unreachable");
    const again = retryJob(db, id, at(10), { trigger: "user", requestedBy: "bob" });
    expect(again).not.toBe(id);
    expect(row(again)).toMatchObject({
      type: "express-full",
      state: "queued",
      target: "crm",
      dataSourceId: crm,
      groupId,
      agentId: "agent-fs",
      params: '{"full":true}',
      trigger: "user",
      requestedBy: "bob",
      attempt: 2,
      retryOf: id,
      createdAt: at(10),
    });
    expect(row(id).state).toBe("failed");
    expect(logOf(id)).toEqual([{ level: "info", message: `retried as job ${again}` }]);
    // A retry of the retry counts on.
    markRunning(db, again, at(11));
    markFailed(db, again, at(12), "again");
    expect(row(retryJob(db, again, at(13), { trigger: "retry" }))).toMatchObject({ attempt: 3, retryOf: again, trigger: "retry", requestedBy: null });
  });

  it("a job cancelled by the system may be retried", () => {
    const id = jobIn("cancelled", { endedBy: "system" });
    expect(row(retryJob(db, id, at(1), { trigger: "retry" })).retryOf).toBe(id);
  });

  it.each<[string, JobState, "system" | "user" | null, string]>([
    ["cancelled by a user", "cancelled", "user", "a job cancelled by a user is not retried"],
    ["succeeded", "succeeded", null, "the job succeeded"],
    ["still running", "running", null, "the job is running, not ended"],
    ["still queued", "queued", null, "the job is queued, not ended"],
  ])("%s: PRECONDITION", (_name, state, endedBy, why) => {
    const id = jobIn(state, { endedBy });
    const e = domainErrorOf(() => retryJob(db, id, at(1), { trigger: "user" }));
    expect(e.code).toBe("PRECONDITION");
    expect(e.message).toBe(`job ${id} cannot be retried: ${why}`);
    expect(db.select().from(jobs).all()).toHaveLength(1);
  });

  it("an unknown job is NOT_FOUND", () => {
    expect(domainErrorOf(() => retryJob(db, 999, at(1), { trigger: "user" })).code).toBe("NOT_FOUND");
  });
});

describe("recoverJobsAfterRestart", () => {
  it("fails what was running (by the system), retries it by policy while attempts are left, leaves queued ones queued", () => {
    const syncRunning = jobIn("running");
    const lastAttempt = jobIn("running", { attempt: 3 });
    const restoreRunning = jobIn("running", { type: "restore" });
    const pruneRunning = jobIn("running", { type: "prune", dataSourceId: null });
    const queued = jobIn("queued");
    const done = jobIn("succeeded");
    const { failed, retried } = recoverJobsAfterRestart(db, at(100));
    expect(failed.sort()).toEqual([syncRunning, lastAttempt, restoreRunning, pruneRunning].sort());
    for (const id of failed) {
      expect(row(id)).toMatchObject({ state: "failed", endedBy: "system", error: "the server stopped while the job was running", finishedAt: at(100) });
      expect(logOf(id)[0]).toEqual({ level: "error", message: "the server stopped while this job was running: failed by the system" });
    }
    expect(retried.map((id) => [row(id).retryOf, row(id).attempt, row(id).trigger, row(id).state])).toEqual([
      [syncRunning, 2, "retry", "queued"],
      [pruneRunning, 2, "retry", "queued"],
    ]);
    expect(row(queued).state).toBe("queued");
    expect(row(done).state).toBe("succeeded");
    // Nothing is left running; a second recovery finds nothing to do.
    expect(db.select().from(jobs).where(eq(jobs.state, "running")).all()).toEqual([]);
    expect(recoverJobsAfterRestart(db, at(200))).toEqual({ failed: [], retried: [] });
  });
});

describe("queries", () => {
  it("pendingJobFor finds a queued or running job of the given types on the source", () => {
    expect(pendingJobFor(db, docs, ["synchronization"])).toBeUndefined();
    const q = job({ type: "recovery-point" });
    expect(pendingJobFor(db, docs, ["synchronization"])).toBeUndefined();
    expect(pendingJobFor(db, docs, ["synchronization", "recovery-point"])).toEqual({ id: q, type: "recovery-point", state: "queued" });
    expect(pendingJobFor(db, crm, ["recovery-point"])).toBeUndefined();
    markRunning(db, q, at(1));
    expect(pendingJobFor(db, docs, ["recovery-point"])).toEqual({ id: q, type: "recovery-point", state: "running" });
    markSucceeded(db, q, at(2));
    expect(pendingJobFor(db, docs, ["recovery-point"])).toBeUndefined();
  });

  it("queuedJobs lists queued jobs oldest first", () => {
    const a = job();
    jobIn("running");
    const c = job({ dataSourceId: crm });
    expect(queuedJobs(db).map((j) => j.id)).toEqual([a, c]);
    expect(queuedJobs(db, { limit: 1 }).map((j) => j.id)).toEqual([a]);
  });

  it("listJobs filters and pages newest first, naming the computer and group", () => {
    const a = job({}, at(0));
    const b = job({ type: "recovery-point", dataSourceId: crm, target: "crm" }, at(10));
    const c = enqueueJob(db, { type: "prune", target: "storage pool", trigger: "schedule" }, at(20));
    const d = job({ type: "consistency-check", dataSourceId: loose, groupId: null, target: "x" }, at(30));
    markRunning(db, a, at(1));
    markFailed(db, a, at(2), "boom");
    markRunning(db, b, at(11));
    const ids = (f: Partial<Parameters<typeof listJobs>[1]>) => listJobs(db, { limit: 50, ...f }).map((j) => j.id);
    expect(ids({})).toEqual([d, c, b, a]);
    expect(ids({ state: "queued" })).toEqual([d, c]);
    expect(ids({ states: ["failed", "running"] })).toEqual([b, a]);
    expect(ids({ type: "prune" })).toEqual([c]);
    expect(ids({ dataSourceId: crm })).toEqual([b]);
    expect(ids({ groupId })).toEqual([b, a]);
    expect(ids({ since: at(10) })).toEqual([d, c, b]);
    expect(ids({ limit: 2 })).toEqual([d, c]);
    expect(ids({ limit: 2, before: c })).toEqual([b, a]);
    expect(ids({ limit: 2, before: a })).toEqual([]);
    const list = listJobs(db, { limit: 50 });
    expect(list.find((j) => j.id === b)).toMatchObject({ computer: "fileserver", group: "Files", state: "running" });
    expect(list.find((j) => j.id === c)).toMatchObject({ computer: null, group: null });
    expect(list.find((j) => j.id === d)).toMatchObject({ computer: "no-agent", group: null });
  });

  it.each<[string, JobState, number | null, number, number, number | null]>([
    ["running, rate known", "running", 1000, 400, 100, 6],
    ["rounds up", "running", 1000, 750, 100, 3],
    ["done more than the total", "running", 1000, 1200, 100, 0],
    ["no rate yet", "running", 1000, 400, 0, null],
    ["no total", "running", null, 400, 100, null],
    ["not running", "queued", 1000, 0, 100, null],
    ["ended", "succeeded", 1000, 400, 100, null],
  ])("etaSeconds: %s", (_name, state, bytesTotal, bytesDone, bytesPerSecond, eta) => {
    const id = jobIn(state, { bytesTotal, bytesDone, bytesPerSecond });
    expect(listJobs(db, { limit: 1 })[0]!.etaSeconds).toBe(eta);
    expect(getJob(db, id).etaSeconds).toBe(eta);
  });

  it.each<[JobState, "system" | "user" | null, boolean]>([
    ["failed", "system", true],
    ["cancelled", "system", true],
    ["cancelled", "user", false],
    ["succeeded", null, false],
    ["running", null, false],
    ["queued", null, false],
  ])("canRetry: %s ended by %s → %s", (state, endedBy, can) => {
    jobIn(state, { endedBy });
    expect(listJobs(db, { limit: 1 })[0]!.canRetry).toBe(can);
  });

  it("getJob returns the parameters, result and log in order; unknown is NOT_FOUND", () => {
    const id = job({ params: { maxHours: 3 } });
    markRunning(db, id, at(1));
    markSucceeded(db, id, at(2), { files: 4 });
    db.insert(jobLog).values([
      { jobId: id, at: at(1), level: "info", message: "first" },
      { jobId: id, at: at(2), level: "warn", message: "second" },
    ]).run();
    const j = getJob(db, id);
    expect(j).toMatchObject({ id, params: { maxHours: 3 }, result: { files: 4 }, scheduledFor: null, computer: "fileserver", group: "Files" });
    expect(j.log.map((l) => [l.level, l.message])).toEqual([
      ["info", "first"],
      ["warn", "second"],
    ]);
    expect(domainErrorOf(() => getJob(db, 999)).code).toBe("NOT_FOUND");
  });
});
