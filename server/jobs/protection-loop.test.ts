import { beforeEach, describe, expect, it, vi } from "vitest";
import { and, asc, eq } from "drizzle-orm";
import { alerts, dataSources, jobs, protectedComputers, protectionGroups, recoveryPoints, schedulerState, type REPLICA_STATES } from "@/db/schema";
import { createTestServices } from "@/server/testing/test-services";
import type { Services } from "@/server/services";
import { defaultShortTermPolicy, WEEKDAYS, type ShortTermPolicy } from "@/server/domain/protection/short-term-policy";
import { enqueueJob, markFailed, markRunning, markSucceeded, type JobType } from "@/server/domain/jobs/job-queue";
import { queueAutomaticChecks, queueDailyMaintenance, refreshAlerts, scheduleDueJobs, sourceSnapshots } from "./protection-loop";

const TZ = "UTC";
const T0 = new Date("2026-11-24T10:00:00Z"); // a Tuesday
const MIN = 60_000;
const HOUR = 60 * MIN;
const at = (ms: number) => new Date(T0.getTime() + ms);
const hhmm = (d: Date) => d.toISOString().slice(11, 16);

let services: Services;
let clock: ReturnType<typeof createTestServices>["clock"];
let computerId: number;

beforeEach(() => {
  ({ services, clock } = createTestServices({ now: T0.toISOString() }));
  // No pool in these tests: the storage condition is covered by desiredAlerts' own tests.
  vi.spyOn(services.protection, "pool").mockImplementation(() => {
    throw new Error("no pool in this test");
  });
  computerId = services.db.insert(protectedComputers).values({ name: "fileserver", createdAt: T0 }).returning().get().id;
});

/** Sync every 15 minutes; recovery points at 08:00 only (outside the hours the tests tick through) unless told. */
function policy(over: Partial<ShortTermPolicy> = {}): ShortTermPolicy {
  return { ...defaultShortTermPolicy({ hasDatabases: true }), recoveryPoints: { days: [...WEEKDAYS], times: ["08:00"] }, expressFull: null, ...over };
}

type ReplicaState = (typeof REPLICA_STATES)[number];

function group(name: string, p: ShortTermPolicy, members: { name: string; kind?: "folder" | "sqlite"; replicaState?: ReplicaState; protectedSince?: Date }[]) {
  const db = services.db;
  const id = db.insert(protectionGroups).values({ name, policy: JSON.stringify(p), createdAt: T0 }).returning().get().id;
  const ids = members.map(
    (m) =>
      db
        .insert(dataSources)
        .values({ computerId, name: m.name, kind: m.kind ?? "folder", path: `/srv/${m.name}`, groupId: id, replicaState: m.replicaState ?? "ok", protectedSince: m.protectedSince ?? at(-HOUR), createdAt: T0 })
        .returning()
        .get().id,
  );
  return { id, ids };
}

const jobRows = () => services.db.select().from(jobs).orderBy(asc(jobs.id)).all();
/** Per data source name: "type@HH:MM" of each job, in order. */
function jobsByMember(): Record<string, string[]> {
  const names = new Map(services.db.select({ id: dataSources.id, name: dataSources.name }).from(dataSources).all().map((r) => [r.id, r.name]));
  const out: Record<string, string[]> = {};
  for (const j of jobRows()) {
    const key = j.dataSourceId === null ? "pool" : names.get(j.dataSourceId)!;
    (out[key] ??= []).push(`${j.type}@${j.scheduledFor ? hhmm(j.scheduledFor) : "-"}`);
  }
  return out;
}

/** What the runner would do: every queued job runs and succeeds. */
function runQueued(): void {
  for (const j of services.db.select({ id: jobs.id }).from(jobs).where(eq(jobs.state, "queued")).all()) {
    markRunning(services.db, j.id, clock.now());
    markSucceeded(services.db, j.id, clock.now());
  }
}

/** Ticks once a minute from `from` (inclusive) for `minutes` ticks. */
function tickEveryMinute(from: Date, minutes: number, o: { run: boolean }) {
  let queued = 0;
  let missed = 0;
  for (let i = 0; i < minutes; i++) {
    clock.set(new Date(from.getTime() + i * MIN));
    const r = scheduleDueJobs(services, clock.now(), TZ);
    queued += r.queued;
    missed += r.missed;
    if (o.run) runQueued();
  }
  return { queued, missed };
}

const activeAlerts = (type?: string) =>
  services.db
    .select()
    .from(alerts)
    .where(type ? and(eq(alerts.active, true), eq(alerts.type, type)) : eq(alerts.active, true))
    .orderBy(asc(alerts.id))
    .all();

describe("scheduleDueJobs", () => {
  it("sync every 15 minutes, ticking minute by minute for an hour: 4 synchronizations per member", () => {
    group("Files", policy(), [{ name: "docs" }, { name: "crm", kind: "sqlite" }]);
    expect(tickEveryMinute(T0, 60, { run: true })).toEqual({ queued: 8, missed: 0 });
    const sync = ["synchronization@10:00", "synchronization@10:15", "synchronization@10:30", "synchronization@10:45"];
    expect(jobsByMember()).toEqual({ docs: sync, crm: sync });
    expect(jobRows()[0]).toMatchObject({ trigger: "schedule", target: "docs", params: "{}", createdAt: T0, scheduledFor: T0 });
    expect(activeAlerts()).toEqual([]);
  });

  it("while a synchronization still waits, no second one is queued", () => {
    group("Files", policy(), [{ name: "docs" }]);
    expect(tickEveryMinute(T0, 60, { run: false })).toEqual({ queued: 1, missed: 0 });
    expect(jobsByMember()).toEqual({ docs: ["synchronization@10:00"] });
    // Once it ran, the next due time queues one again.
    runQueued();
    tickEveryMinute(at(60 * MIN), 1, { run: false });
    expect(jobsByMember()).toEqual({ docs: ["synchronization@10:00", "synchronization@11:00"] });
  });

  it("a recovery point at 10:30 queues a recovery point and no separate synchronization that minute", () => {
    group("Files", policy({ recoveryPoints: { days: [...WEEKDAYS], times: ["10:30"] } }), [{ name: "docs" }, { name: "crm", kind: "sqlite" }]);
    tickEveryMinute(T0, 60, { run: true });
    const expected = ["synchronization@10:00", "synchronization@10:15", "recovery-point@10:30", "synchronization@10:45"];
    expect(jobsByMember()).toEqual({ docs: expected, crm: expected });
  });

  it("a recovery point is queued behind a waiting synchronization, and a synchronization is not queued behind a waiting recovery point", () => {
    group("Files", policy({ recoveryPoints: { days: [...WEEKDAYS], times: ["10:30"] } }), [{ name: "docs" }]);
    tickEveryMinute(T0, 60, { run: false });
    expect(jobsByMember()).toEqual({ docs: ["synchronization@10:00", "recovery-point@10:30"] });
  });

  it("recovery points only on their days", () => {
    // T0 is a Tuesday.
    group("Files", policy({ synchronization: { justBeforeRecoveryPoint: true }, recoveryPoints: { days: ["mon", "wed"], times: ["10:30"] } }), [{ name: "docs" }]);
    tickEveryMinute(T0, 60, { run: true });
    expect(jobsByMember()).toEqual({});
  });

  it("after a 2-hour gap: one catch-up synchronization per member and a warning naming how many did not run", () => {
    const g = group("Files", policy(), [{ name: "docs" }, { name: "crm", kind: "sqlite" }]);
    tickEveryMinute(T0, 1, { run: true });
    clock.set(at(2 * HOUR));
    expect(scheduleDueJobs(services, clock.now(), TZ)).toEqual({ queued: 2, missed: 7 });
    expect(jobsByMember()).toEqual({ docs: ["synchronization@10:00", "synchronization@12:00"], crm: ["synchronization@10:00", "synchronization@12:00"] });
    const [missed] = activeAlerts("schedule-missed");
    expect(missed).toMatchObject({ key: `schedule-missed:${g.id}:synchronization`, severity: "warning", groupId: g.id, target: "Files", title: "Scheduled synchronization did not run: Files" });
    expect(missed!.detail).toMatch(/^7 scheduled run\(s\) between 2026-11-24T10:00:00\.000Z and 2026-11-24T12:00:00\.000Z did not start on time/);
    // The next tick is on time: nothing more is missed, the warning stays until someone reviews it.
    runQueued();
    clock.set(at(2 * HOUR + MIN));
    expect(scheduleDueJobs(services, clock.now(), TZ)).toEqual({ queued: 0, missed: 0 });
    expect(activeAlerts("schedule-missed")).toHaveLength(1);
  });

  it("after a 2-hour gap with a recovery point and an express full in it: one run of each type, each counted", () => {
    const g = group("Files", policy({ recoveryPoints: { days: [...WEEKDAYS], times: ["11:00"] }, expressFull: { days: [...WEEKDAYS], times: ["11:30"] } }), [{ name: "docs" }, { name: "crm", kind: "sqlite" }]);
    tickEveryMinute(T0, 1, { run: true });
    clock.set(at(2 * HOUR));
    expect(scheduleDueJobs(services, clock.now(), TZ)).toEqual({ queued: 3, missed: 9 });
    // The catch-up recovery point synchronizes: the catch-up synchronization does not queue behind it.
    expect(jobsByMember()).toEqual({
      docs: ["synchronization@10:00", "recovery-point@11:00"],
      crm: ["synchronization@10:00", "recovery-point@11:00", "express-full@11:30"],
    });
    expect(activeAlerts("schedule-missed").map((a) => [a.key, a.detail.slice(0, 20)])).toEqual([
      [`schedule-missed:${g.id}:recovery-point`, "1 scheduled run(s) b"],
      [`schedule-missed:${g.id}:express-full`, "1 scheduled run(s) b"],
      [`schedule-missed:${g.id}:synchronization`, "7 scheduled run(s) b"],
    ]);
  });

  it("a tick two minutes late is not a gap", () => {
    group("Files", policy(), [{ name: "docs" }]);
    tickEveryMinute(at(12 * MIN), 1, { run: true });
    clock.set(at(15 * MIN));
    expect(scheduleDueJobs(services, clock.now(), TZ)).toEqual({ queued: 1, missed: 0 });
    expect(activeAlerts()).toEqual([]);
  });

  it("after more than a week down: looks at most a week back, and still runs once per type", () => {
    group("Files", policy({ synchronization: { everyMinutes: 60 }, recoveryPoints: { days: [...WEEKDAYS], times: ["08:00"] } }), [{ name: "docs" }]);
    tickEveryMinute(T0, 1, { run: true });
    clock.set(at(10 * 24 * HOUR));
    // The last week: 7 × 24 hourly synchronizations (the last is this tick's own) and 7 recovery points at 08:00.
    expect(scheduleDueJobs(services, clock.now(), TZ)).toEqual({ queued: 1, missed: 7 * 24 - 1 + 7 });
    expect(jobsByMember()).toEqual({ docs: ["synchronization@10:00", "recovery-point@08:00"] });
  });

  // Only the last week is looked at (due-jobs.ts's window): the alert says so and when the server went down.
  it("after more than a week down, the alert counts the last 7 days and says since when the server was down", () => {
    const g = group("Files", policy({ synchronization: { everyMinutes: 60 } }), [{ name: "docs" }]);
    tickEveryMinute(T0, 1, { run: true });
    clock.set(at(10 * 24 * HOUR));
    scheduleDueJobs(services, clock.now(), TZ);
    const sync = activeAlerts("schedule-missed").find((a) => a.key === `schedule-missed:${g.id}:synchronization`)!;
    expect(sync.detail).toMatch(/^167 scheduled run\(s\) between .* the server was down since 2026-11-24T10:00:00\.000Z, and only the last 7 days are counted/);
  });

  it("a clock that went back queues nothing and remembers the new time", () => {
    group("Files", policy(), [{ name: "docs" }]);
    tickEveryMinute(at(15 * MIN), 1, { run: true });
    expect(scheduleDueJobs(services, at(14 * MIN), TZ)).toEqual({ queued: 0, missed: 0 });
    expect(services.db.select().from(schedulerState).where(eq(schedulerState.key, "lastTickAt")).get()!.value).toBe(at(14 * MIN).toISOString());
  });

  it("express full backups go to the database members only", () => {
    group("Mixed", policy({ expressFull: { days: [...WEEKDAYS], times: ["10:05"] } }), [{ name: "docs" }, { name: "crm", kind: "sqlite" }]);
    tickEveryMinute(at(4 * MIN), 2, { run: false });
    expect(jobsByMember()).toEqual({ crm: ["express-full@10:05"] });
  });

  it("the consistency-check window checks inconsistent members only, for at most its hours", () => {
    group("Files", policy({ consistencyCheck: { automaticWhenInconsistent: false, window: { days: [...WEEKDAYS], start: "10:10", maxHours: 3 } } }), [{ name: "docs", replicaState: "inconsistent" }, { name: "scans" }]);
    tickEveryMinute(at(9 * MIN), 2, { run: false });
    expect(jobsByMember()).toEqual({ docs: ["consistency-check@10:10"] });
    expect(JSON.parse(jobRows()[0]!.params)).toEqual({ maxHours: 3 });
  });

  it("each group on its own schedule", () => {
    group("Every 15", policy(), [{ name: "docs" }]);
    group("Every 30", policy({ synchronization: { everyMinutes: 30 } }), [{ name: "scans" }]);
    tickEveryMinute(T0, 60, { run: true });
    expect(jobsByMember()).toEqual({
      docs: ["synchronization@10:00", "synchronization@10:15", "synchronization@10:30", "synchronization@10:45"],
      scans: ["synchronization@10:00", "synchronization@10:30"],
    });
  });
});

describe("queueAutomaticChecks", () => {
  it("one check for an inconsistent replica of a group that enables it; not again while one waits or within 30 minutes of the last", () => {
    const g = group("Auto", policy(), [{ name: "docs", replicaState: "inconsistent" }, { name: "fine" }]);
    group("Manual", policy({ consistencyCheck: { automaticWhenInconsistent: false, window: null } }), [{ name: "manual", replicaState: "inconsistent" }]);
    expect(queueAutomaticChecks(services, T0)).toBe(1);
    expect(jobRows().map((j) => ({ type: j.type, trigger: j.trigger, dataSourceId: j.dataSourceId, groupId: j.groupId, target: j.target }))).toEqual([
      { type: "consistency-check", trigger: "system", dataSourceId: g.ids[0], groupId: g.id, target: "docs" },
    ]);
    expect(queueAutomaticChecks(services, at(MIN))).toBe(0);
    const id = jobRows()[0]!.id;
    markRunning(services.db, id, at(MIN));
    expect(queueAutomaticChecks(services, at(2 * MIN))).toBe(0);
    markFailed(services.db, id, at(5 * MIN), "agent unreachable");
    expect(queueAutomaticChecks(services, at(34 * MIN))).toBe(0);
    expect(queueAutomaticChecks(services, at(35 * MIN))).toBe(1);
    expect(jobRows()).toHaveLength(2);
  });

  it("nothing for consistent replicas or unprotected sources", () => {
    group("Auto", policy(), [{ name: "docs", replicaState: "checking" }, { name: "new", replicaState: "creation-pending" }]);
    services.db.insert(dataSources).values({ computerId, name: "loose", kind: "folder", path: "/srv/loose", replicaState: "inconsistent", createdAt: T0 }).run();
    expect(queueAutomaticChecks(services, T0)).toBe(0);
  });
});

describe("queueDailyMaintenance", () => {
  const maintenance = () => jobRows().map((j) => ({ type: j.type, trigger: j.trigger, params: JSON.parse(j.params) as unknown, target: j.target }));

  it("nothing on the first call; prune and a 10% verify a day later; then not again for a day", () => {
    expect(queueDailyMaintenance(services, T0)).toBe(false);
    expect(queueDailyMaintenance(services, at(24 * HOUR - 1))).toBe(false);
    expect(jobRows()).toEqual([]);
    expect(queueDailyMaintenance(services, at(24 * HOUR))).toBe(true);
    expect(maintenance()).toEqual([
      { type: "prune", trigger: "schedule", params: {}, target: "storage pool" },
      { type: "verify", trigger: "schedule", params: { samplePercent: 10 }, target: "storage pool (10% sample)" },
    ]);
    runQueued();
    expect(queueDailyMaintenance(services, at(24 * HOUR + MIN))).toBe(false);
    expect(queueDailyMaintenance(services, at(48 * HOUR - 1))).toBe(false);
    expect(queueDailyMaintenance(services, at(48 * HOUR))).toBe(true);
    expect(jobRows()).toHaveLength(4);
  });

  it("not while a prune or verify is still queued or running", () => {
    queueDailyMaintenance(services, T0);
    enqueueJob(services.db, { type: "verify", target: "storage pool", trigger: "user" }, T0);
    expect(queueDailyMaintenance(services, at(24 * HOUR))).toBe(false);
    expect(jobRows()).toHaveLength(1);
  });
});

describe("sourceSnapshots / refreshAlerts", () => {
  function job(dataSourceId: number, type: JobType, outcome: "succeeded" | "failed" | "cancelled" | "queued", error = "boom") {
    const id = enqueueJob(services.db, { type, target: "x", trigger: "schedule", dataSourceId }, clock.now());
    if (outcome === "queued") return id;
    if (outcome === "cancelled") {
      services.db.update(jobs).set({ state: "cancelled", endedBy: "user", finishedAt: clock.now() }).where(eq(jobs.id, id)).run();
      return id;
    }
    markRunning(services.db, id, clock.now());
    if (outcome === "succeeded") markSucceeded(services.db, id, clock.now());
    else markFailed(services.db, id, clock.now(), error);
    return id;
  }

  it("describes each protected data source as the alert conditions need it", () => {
    const g = group("Files", policy({ slaHours: 6 }), [{ name: "docs" }, { name: "crm", kind: "sqlite", replicaState: "creation-pending", protectedSince: at(-2 * HOUR) }]);
    services.db.insert(dataSources).values({ computerId, name: "loose", kind: "folder", path: "/srv/loose", createdAt: T0 }).run();
    const [docs, crm] = g.ids as [number, number];
    services.db.insert(recoveryPoints).values([
      { dataSourceId: docs, createdAt: at(-2 * HOUR), kind: "incremental" },
      { dataSourceId: docs, createdAt: at(-HOUR), kind: "incremental" },
    ]).run();
    job(docs, "synchronization", "succeeded");
    const failed = job(docs, "recovery-point", "failed", "agent unreachable");
    job(docs, "restore", "failed");
    job(docs, "synchronization", "cancelled");
    job(docs, "synchronization", "queued");
    expect(sourceSnapshots(services)).toEqual([
      {
        id: docs,
        label: "fileserver: docs",
        computerId,
        groupId: g.id,
        groupName: "Files",
        replicaState: "ok",
        present: true,
        protectedSince: at(-HOUR),
        latestRecoveryPointAt: at(-HOUR),
        slaHours: 6,
        lastDataJob: { id: failed, state: "failed", error: "agent unreachable", finishedAt: T0 },
      },
      {
        id: crm,
        label: "fileserver: crm",
        computerId,
        groupId: g.id,
        groupName: "Files",
        replicaState: "creation-pending",
        present: true,
        protectedSince: at(-2 * HOUR),
        latestRecoveryPointAt: null,
        slaHours: 6,
        lastDataJob: null,
      },
    ]);
  });

  it("raises what is wrong and resolves it when the catalog says it is fixed", () => {
    const g = group("Files", policy({ slaHours: 24 }), [{ name: "docs", replicaState: "inconsistent", protectedSince: at(-25 * HOUR) }, { name: "scans" }]);
    const [docs] = g.ids as [number, number];
    job(docs, "synchronization", "failed", "agent unreachable");
    expect(refreshAlerts(services, clock.now())).toEqual({ raised: 3, resolved: 0 });
    expect(activeAlerts().map((a) => [a.key, a.severity, a.dataSourceId, a.groupId, a.computerId])).toEqual([
      [`replica-inconsistent:${docs}`, "critical", docs, g.id, computerId],
      [`sync-failed:${docs}`, "critical", docs, g.id, computerId],
      [`recovery-point-missed:${docs}`, "critical", docs, g.id, computerId],
    ]);
    // Nothing changed: the next tick raises nothing new.
    clock.advance(MIN);
    expect(refreshAlerts(services, clock.now())).toEqual({ raised: 0, resolved: 0 });

    // A check succeeded, then a recovery point.
    clock.advance(MIN);
    services.db.update(dataSources).set({ replicaState: "ok" }).where(eq(dataSources.id, docs)).run();
    job(docs, "consistency-check", "succeeded");
    services.db.insert(recoveryPoints).values({ dataSourceId: docs, createdAt: clock.now(), kind: "incremental" }).run();
    expect(refreshAlerts(services, clock.now())).toEqual({ raised: 0, resolved: 3 });
    expect(activeAlerts()).toEqual([]);
    expect(services.db.select({ resolvedBy: alerts.resolvedBy, resolvedAt: alerts.resolvedAt }).from(alerts).all()).toEqual([
      { resolvedBy: "system", resolvedAt: at(2 * MIN) },
      { resolvedBy: "system", resolvedAt: at(2 * MIN) },
      { resolvedBy: "system", resolvedAt: at(2 * MIN) },
    ]);
  });

  it("a source missing from its agent, and alerts of other types left alone", () => {
    const g = group("Files", policy(), [{ name: "docs" }]);
    const [docs] = g.ids as [number];
    services.db.update(dataSources).set({ present: false }).where(eq(dataSources.id, docs)).run();
    services.db.insert(alerts).values({ key: "restore-succeeded:1", type: "restore-succeeded", severity: "info", title: "restored", raisedAt: T0 }).run();
    refreshAlerts(services, T0);
    expect(activeAlerts().map((a) => a.key)).toEqual(["restore-succeeded:1", `source-missing:${docs}`]);
    services.db.update(dataSources).set({ present: true }).where(eq(dataSources.id, docs)).run();
    expect(refreshAlerts(services, at(MIN))).toEqual({ raised: 0, resolved: 1 });
    expect(activeAlerts().map((a) => a.key)).toEqual(["restore-succeeded:1"]);
    // Informational alerts expire after three days (by then the SLA is missed too: no recovery point yet).
    refreshAlerts(services, at(3 * 24 * HOUR + MIN));
    expect(activeAlerts().map((a) => a.key)).toEqual([`recovery-point-missed:${docs}`]);
    expect(services.db.select({ resolvedBy: alerts.resolvedBy }).from(alerts).where(eq(alerts.key, "restore-succeeded:1")).get()).toEqual({ resolvedBy: "system" });
  });

  it("jobs queued for more than an hour raise one warning that resolves when they start", () => {
    const g = group("Files", policy(), [{ name: "docs" }, { name: "scans" }]);
    const [docs, scans] = g.ids as [number, number];
    const first = enqueueJob(services.db, { type: "synchronization", target: "docs", trigger: "schedule", dataSourceId: docs }, T0);
    clock.advance(10 * MIN);
    const second = enqueueJob(services.db, { type: "synchronization", target: "scans", trigger: "schedule", dataSourceId: scans }, clock.now());
    refreshAlerts(services, at(HOUR));
    expect(activeAlerts("jobs-stalled")).toEqual([]);
    refreshAlerts(services, at(HOUR + 1));
    expect(activeAlerts("jobs-stalled").map((a) => [a.key, a.severity, a.title, a.detail.slice(0, 50)])).toEqual([
      ["jobs-stalled:server", "warning", "1 job(s) waiting for more than an hour", "The oldest was queued at 2026-11-24T10:00:00.000Z."],
    ]);
    refreshAlerts(services, at(HOUR + 11 * MIN));
    expect(activeAlerts("jobs-stalled").map((a) => a.title)).toEqual(["2 job(s) waiting for more than an hour"]);
    markRunning(services.db, first, at(HOUR + 12 * MIN));
    refreshAlerts(services, at(HOUR + 12 * MIN));
    expect(activeAlerts("jobs-stalled").map((a) => a.detail.slice(0, 50))).toEqual(["The oldest was queued at 2026-11-24T10:10:00.000Z."]);
    markRunning(services.db, second, at(HOUR + 13 * MIN));
    refreshAlerts(services, at(HOUR + 13 * MIN));
    expect(activeAlerts("jobs-stalled")).toEqual([]);
  });
});
