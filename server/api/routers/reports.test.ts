import { describe, expect, it } from "vitest";
import { createTestServices, errorOf, signedInAs } from "@/server/testing/test-services";
import { dataSources, protectedComputers, protectionGroups, recoveryPoints } from "@/db/schema";

async function manager() {
  const { services } = createTestServices({ now: "2026-11-24T12:00:00Z" });
  const { caller } = await signedInAs(services, "manager");
  return { services, caller };
}

describe("reports.dashboard", () => {
  it("answers for the last N days with every dataset of the page", async () => {
    const { services, caller } = await manager();
    const at = new Date("2026-01-01T00:00:00Z");
    services.db.insert(protectedComputers).values({ name: "fs1", createdAt: at }).run();
    services.db.insert(protectionGroups).values({ name: "Files", createdAt: at, policy: JSON.stringify({ slaHours: 24 }) }).run();
    services.db.insert(dataSources).values({ computerId: 1, kind: "folder", path: "/srv/a", name: "a", groupId: 1, createdAt: at, protectedSince: at }).run();
    services.db.insert(recoveryPoints).values({ dataSourceId: 1, createdAt: new Date("2026-11-23T20:00:00Z"), kind: "incremental", sizeBytes: 5000, addedBytes: 700 }).run();

    const d = await caller().reports.dashboard({ days: 7 });
    expect(d.range).toEqual({ firstDay: "2026-11-18", lastDay: "2026-11-24", days: 7 });
    // Critical until the 23rd's recovery point; today's is not due before midnight.
    expect(d.health.overall.map((x) => [x.ok, x.critical])).toEqual([[0, 1], [0, 1], [0, 1], [0, 1], [0, 1], [1, 0], [0, 0]]);
    expect(d.sla).toMatchObject([{ name: "Files", sources: 1, withinSlaNow: 1, okSourceDays: 1, sourceDays: 6 }]);
    expect(d.storage).toMatchObject({ protectedBytes: 5000, addedBytes: 700, pool: { poolBytes: null } });
    expect(d.storage.pool.diskFreeBytes).toBeGreaterThan(0);
    expect(d.worst).toEqual([]);
    expect(d.jobs.totals).toEqual({ succeeded: 0, failed: 0, rate: null });
  });

  it("takes an explicit range of dates", async () => {
    const { caller } = await manager();
    const d = await caller().reports.dashboard({ from: new Date("2026-11-01T00:00:00Z"), to: new Date("2026-11-03T00:00:00Z") });
    expect(d.health.days).toEqual(["2026-11-01", "2026-11-02"]);
  });

  it.each([
    ["a range the selector does not offer", { days: 31 }],
    ["an end before the start", { from: new Date("2026-11-03T00:00:00Z"), to: new Date("2026-11-01T00:00:00Z") }],
    ["an empty range", { from: new Date("2026-11-03T00:00:00Z"), to: new Date("2026-11-03T00:00:00Z") }],
    ["more than 366 days", { from: new Date("2025-01-01T00:00:00Z"), to: new Date("2026-01-03T00:00:00Z") }],
    ["both forms at once", { days: 30, from: new Date("2026-11-01T00:00:00Z"), to: new Date("2026-11-03T00:00:00Z") }],
    ["nothing", undefined],
  ])("refuses %s", async (_what, input) => {
    const { caller } = await manager();
    expect((await errorOf(caller().reports.dashboard(input as never))).code).toBe("BAD_REQUEST");
  });

  it("accepts exactly 366 days", async () => {
    const { caller } = await manager();
    const d = await caller().reports.dashboard({ from: new Date("2025-11-24T00:00:00Z"), to: new Date("2026-11-25T00:00:00Z") });
    expect(d.range.days).toBe(366);
  });
});

describe("reports.exportCsv", () => {
  it.each(["health", "sla", "jobs", "storage", "worst"] as const)("exports %s as a CSV file", async (dataset) => {
    const { caller } = await manager();
    const out = await caller().reports.exportCsv({ dataset, range: { days: 30 } });
    expect(out.filename).toBe(`custodian-${dataset}-2026-10-26_2026-11-24.csv`);
    expect(out.csv).toMatch(/^[a-z_]+(,[a-z_]+)+\r\n/);
  });

  it("refuses an unknown dataset", async () => {
    const { caller } = await manager();
    expect((await errorOf(caller().reports.exportCsv({ dataset: "users" as never, range: { days: 30 } }))).code).toBe("BAD_REQUEST");
  });
});
