import { describe, expect, it } from "vitest";
import { CONDITION_TYPES, desiredAlerts, type PoolSnapshot, type SourceSnapshot } from "./alert-conditions";

const NOW = new Date("2026-11-24T12:00:00Z");
const HOUR = 3600_000;
const ago = (ms: number) => new Date(NOW.getTime() - ms);
const GiB = 2 ** 30;

/** A healthy protected data source: none of the conditions hold. */
function source(over: Partial<SourceSnapshot> = {}): SourceSnapshot {
  return {
    id: 7,
    label: "fileserver: docs",
    computerId: 3,
    groupId: 2,
    groupName: "File servers",
    replicaState: "ok",
    present: true,
    protectedSince: ago(48 * HOUR),
    latestRecoveryPointAt: ago(HOUR),
    slaHours: 24,
    lastDataJob: { id: 40, state: "succeeded", error: null, finishedAt: ago(HOUR) },
    ...over,
  };
}

const keysOf = (sources: SourceSnapshot[], pool: PoolSnapshot | null = null) => desiredAlerts(sources, pool, NOW).map((a) => [a.key, a.severity]);

describe("desiredAlerts: one data source", () => {
  it.each<[string, Partial<SourceSnapshot>, [string, string][]]>([
    ["healthy", {}, []],
    ["missing from its agent", { present: false }, [["source-missing:7", "critical"]]],
    ["inconsistent replica", { replicaState: "inconsistent" }, [["replica-inconsistent:7", "critical"]]],
    ["consistency check running", { replicaState: "checking" }, [["replica-checking:7", "warning"]]],
    ["replica creation pending", { replicaState: "creation-pending" }, [["replica-pending:7", "info"]]],
    ["replica missing from the pool", { replicaState: "missing" }, [["replica-missing:7", "critical"]]],
    ["last data job failed", { lastDataJob: { id: 41, state: "failed", error: "agent unreachable", finishedAt: ago(HOUR) } }, [["sync-failed:7", "critical"]]],
    ["last data job succeeded", { lastDataJob: { id: 41, state: "succeeded", error: null, finishedAt: ago(HOUR) } }, []],
    ["last data job cancelled", { lastDataJob: { id: 41, state: "cancelled", error: "cancelled by alice", finishedAt: ago(HOUR) } }, []],
    ["no data job yet", { lastDataJob: null }, []],
    ["latest recovery point 1 ms older than the SLA", { latestRecoveryPointAt: ago(24 * HOUR + 1) }, [["recovery-point-missed:7", "critical"]]],
    ["latest recovery point exactly at the SLA", { latestRecoveryPointAt: ago(24 * HOUR) }, []],
    ["latest recovery point inside a short SLA", { slaHours: 2, latestRecoveryPointAt: ago(2 * HOUR - 1) }, []],
    ["latest recovery point outside a short SLA", { slaHours: 2, latestRecoveryPointAt: ago(2 * HOUR + 60_000) }, [["recovery-point-missed:7", "critical"]]],
    ["never had one, protected longer than the SLA", { latestRecoveryPointAt: null, protectedSince: ago(25 * HOUR) }, [["recovery-point-missed:7", "critical"]]],
    ["never had one, protected recently", { latestRecoveryPointAt: null, protectedSince: ago(HOUR) }, []],
    ["never had one, protected exactly the SLA ago", { latestRecoveryPointAt: null, protectedSince: ago(24 * HOUR) }, []],
    ["never had one and no protection start", { latestRecoveryPointAt: null, protectedSince: null }, []],
    ["an old protection start does not matter once a recovery point is recent", { protectedSince: ago(1000 * HOUR), latestRecoveryPointAt: ago(HOUR) }, []],
    [
      "everything wrong at once, in a fixed order",
      { present: false, replicaState: "inconsistent", lastDataJob: { id: 41, state: "failed", error: "x", finishedAt: ago(HOUR) }, latestRecoveryPointAt: ago(30 * HOUR) },
      [
        ["source-missing:7", "critical"],
        ["replica-inconsistent:7", "critical"],
        ["sync-failed:7", "critical"],
        ["recovery-point-missed:7", "critical"],
      ],
    ],
  ])("%s", (_name, over, expected) => {
    expect(keysOf([source(over)])).toEqual(expected);
  });

  it("every alert names its data source, group and computer, and uses one of the owned condition types", () => {
    const all = desiredAlerts([source({ present: false, replicaState: "checking", lastDataJob: { id: 41, state: "failed", error: "boom", finishedAt: ago(HOUR) }, latestRecoveryPointAt: ago(30 * HOUR) })], null, NOW);
    expect(all).toHaveLength(4);
    for (const a of all) {
      expect(a).toMatchObject({ dataSourceId: 7, groupId: 2, computerId: 3, target: "fileserver: docs" });
      expect(CONDITION_TYPES).toContain(a.type);
      expect(a.key).toBe(`${a.type}:7`);
    }
  });

  it("a failed job's alert carries its error and points at the job", () => {
    const [a] = desiredAlerts([source({ lastDataJob: { id: 41, state: "failed", error: "agent unreachable", finishedAt: ago(HOUR) } })], null, NOW);
    expect(a).toMatchObject({ title: "Synchronization failed: fileserver: docs", detail: "agent unreachable" });
    expect(a!.recommendedAction).toMatch(/^See job 41;/);
    const [noError] = desiredAlerts([source({ lastDataJob: { id: 41, state: "failed", error: null, finishedAt: ago(HOUR) } })], null, NOW);
    expect(noError!.detail).toBe("");
  });

  it("the SLA alert says what it measured from", () => {
    const [late] = desiredAlerts([source({ latestRecoveryPointAt: new Date("2026-11-23T06:00:00Z") })], null, NOW);
    expect(late!.detail).toBe("The group File servers asks for a recovery point at least every 24 h; the latest is from 2026-11-23T06:00:00.000Z.");
    const [never] = desiredAlerts([source({ latestRecoveryPointAt: null, protectedSince: ago(25 * HOUR) })], null, NOW);
    expect(never!.detail).toBe("The group File servers asks for a recovery point at least every 24 h; there is none yet.");
  });

  it("several sources: each gets its own keys", () => {
    expect(keysOf([source({ id: 1, present: false }), source({ id: 2 }), source({ id: 3, replicaState: "checking" })])).toEqual([
      ["source-missing:1", "critical"],
      ["replica-checking:3", "warning"],
    ]);
  });
});

describe("desiredAlerts: the storage pool", () => {
  it.each<[string, PoolSnapshot | null, [string, string][]]>([
    ["no pool", null, []],
    ["an empty statfs (0 bytes)", { totalBytes: 0, freeBytes: 0 }, []],
    ["84% used", { totalBytes: 100 * GiB, freeBytes: 16 * GiB }, []],
    ["85% used", { totalBytes: 100 * GiB, freeBytes: 15 * GiB }, [["storage-nearly-full:pool", "warning"]]],
    ["94% used", { totalBytes: 100 * GiB, freeBytes: 6 * GiB }, [["storage-nearly-full:pool", "warning"]]],
    ["95% used", { totalBytes: 100 * GiB, freeBytes: 5 * GiB }, [["storage-nearly-full:pool", "critical"]]],
    ["full", { totalBytes: 100 * GiB, freeBytes: 0 }, [["storage-nearly-full:pool", "critical"]]],
  ])("%s", (_name, pool, expected) => {
    expect(keysOf([], pool)).toEqual(expected);
  });

  it("says how full and how much is free, and is about no data source", () => {
    const [a] = desiredAlerts([], { totalBytes: 100 * GiB, freeBytes: 15 * GiB }, NOW);
    expect(a).toMatchObject({ type: "storage-nearly-full", title: "Storage pool 85% full", detail: "15 GiB free." });
    expect(a!.dataSourceId).toBeUndefined();
  });
});
