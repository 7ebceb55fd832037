import { describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { dataSources } from "@/db/schema";
import { getRecoveryPointHealth, requiredRecoveryPoints, sourceDayHealth, wholeDayHealth } from "./get-recovery-point-health";
import { lastDays } from "./report-range";
import { NOW, ReportsFixture, fourDayScenario } from "./test-support";

const window = (days = 4) => ({ now: NOW, ...lastDays(NOW, days) });

describe("the rules", () => {
  it.each([
    [24, 24, 1],
    [12, 24, 2],
    [8, 24, 3],
    [10, 24, 3], // ceil(24 / 10)
    [48, 24, 1],
    [24, 12, 0], // half a day protected: the 24-hour period has not passed yet
    [8, 12, 1],
    [8, 23, 2],
    [1, 5, 5],
  ])("an SLA of %i h over %i protected hours asks for %i recovery points", (sla, hours, required) => {
    expect(requiredRecoveryPoints(sla, hours)).toBe(required);
  });

  it.each([
    [{ points: 0, required: 1, failed: false }, "critical"],
    [{ points: 0, required: 1, failed: true }, "critical"],
    [{ points: 0, required: 0, failed: true }, "warning"],
    [{ points: 0, required: 0, failed: false }, null],
    [{ points: 1, required: 3, failed: false }, "warning"],
    [{ points: 3, required: 3, failed: true }, "warning"],
    [{ points: 3, required: 3, failed: false }, "ok"],
    [{ points: 1, required: 0, failed: false }, "ok"],
  ] as const)("%o is %s", (day, health) => {
    expect(sourceDayHealth(day)).toBe(health);
  });

  it("reads whole days from histograms the same way", () => {
    // 10 protected; made 1, 2, 3 and 5 points: 1, 2, 1, 1 sources; two failed (one with 3 points, one with none).
    const withPoints = [0, 1, 2, 1, 0, 1];
    const failed = [1, 0, 0, 1];
    expect(wholeDayHealth({ withPoints, failed, protectedAllDay: 10, required: 3 })).toEqual({ ok: 1, warning: 4, critical: 5 });
    expect(wholeDayHealth({ withPoints, failed, protectedAllDay: 10, required: 1 })).toEqual({ ok: 4, warning: 1, critical: 5 });
    expect(wholeDayHealth({ withPoints: undefined, failed: undefined, protectedAllDay: 3, required: 1 })).toEqual({ ok: 0, warning: 0, critical: 3 });
  });
});

describe("getRecoveryPointHealth", () => {
  it("classifies every protected source-day, overall and per group, zero-filled", () => {
    const { f } = fourDayScenario();
    const h = getRecoveryPointHealth(f.db, window());
    expect(h.days).toEqual(["2026-11-21", "2026-11-22", "2026-11-23", "2026-11-24"]);
    expect(h.overall).toEqual([
      { day: "2026-11-21", ok: 1, warning: 2, critical: 0 },
      { day: "2026-11-22", ok: 2, warning: 1, critical: 0 },
      { day: "2026-11-23", ok: 1, warning: 2, critical: 2 },
      { day: "2026-11-24", ok: 2, warning: 0, critical: 1 },
    ]);
    expect(h.groups.map((g) => ({ name: g.name, sla: g.slaHours, ok: g.ok, warning: g.warning, critical: g.critical }))).toEqual([
      { name: "A", sla: 24, ok: [0, 1, 1, 1], warning: [1, 0, 1, 0], critical: [0, 0, 1, 0] },
      { name: "B", sla: 8, ok: [1, 1, 0, 1], warning: [1, 1, 1, 0], critical: [0, 0, 1, 1] },
    ]);
    expect(h.totals).toEqual({ ok: 6, warning: 5, critical: 3 });
    expect(h.groups.map((g) => g.totals)).toEqual([
      { ok: 3, warning: 2, critical: 1 },
      { ok: 3, warning: 3, critical: 2 },
    ]);
  });

  it("gives the same answer the second time, from its per-day memory, and notices every change to a past day", () => {
    const { f, ids } = fourDayScenario();
    const first = getRecoveryPointHealth(f.db, window());
    expect(getRecoveryPointHealth(f.db, window())).toEqual(first);

    // A late recovery point on the 23rd: b1 goes from critical to warning (1 of 3).
    f.points(ids.b1, ["2026-11-23T10:00:00Z"]);
    // A job of the 22nd that failed after the day was over: a1's OK day turns warning.
    f.job({ state: "failed", at: "2026-11-22T23:30:00Z", dataSourceId: ids.a1 });
    const second = getRecoveryPointHealth(f.db, window());
    expect(second.overall.map((d) => [d.ok, d.warning, d.critical])).toEqual([
      [1, 2, 0],
      [1, 2, 0],
      [1, 3, 1],
      [2, 0, 1],
    ]);

    // b2 moves to group A (SLA 24): its 1-point day on the 23rd is now OK, and its failed 21st stays a warning.
    f.db.update(dataSources).set({ groupId: ids.a }).where(eq(dataSources.id, ids.b2)).run();
    const third = getRecoveryPointHealth(f.db, window());
    expect(third.groups.find((g) => g.name === "A")!.ok).toEqual([0, 1, 2, 2]);
    expect(third.groups.find((g) => g.name === "B")!.ok).toEqual([1, 0, 0, 0]);

    // A source leaves protection: it is no longer counted on any day.
    f.db.update(dataSources).set({ groupId: null }).where(eq(dataSources.id, ids.b1)).run();
    expect(getRecoveryPointHealth(f.db, window()).groups.find((g) => g.name === "B")!.critical).toEqual([0, 0, 0, 0]);
  });

  it("counts the part of today that has passed: a 24-hour SLA is not missed before the day is over", () => {
    const f = new ReportsFixture();
    const a = f.group("A", 24);
    const b = f.group("B", 4);
    f.source("quiet-a", { groupId: a });
    f.source("quiet-b", { groupId: b });
    const h = getRecoveryPointHealth(f.db, { now: NOW, ...lastDays(NOW, 1) });
    // B's 4-hour SLA has passed three times by noon; A's 24-hour one not yet.
    expect(h.overall).toEqual([{ day: "2026-11-24", ok: 0, warning: 0, critical: 1 }]);
  });

  it("reads a missing or unparsable SLA as 24 hours, and lists groups without sources", () => {
    const f = new ReportsFixture();
    const missing = f.group("Missing", "missing");
    const broken = f.group("Broken", "broken");
    f.group("Empty", 12);
    const m = f.source("m", { groupId: missing });
    const k = f.source("k", { groupId: broken });
    f.points(m, ["2026-11-23T10:00:00Z"]);
    f.points(k, ["2026-11-23T10:00:00Z"]);
    const h = getRecoveryPointHealth(f.db, { now: NOW, from: new Date("2026-11-23T00:00:00Z"), to: new Date("2026-11-24T00:00:00Z") });
    expect(h.groups.map((g) => [g.name, g.slaHours, g.ok])).toEqual([
      ["Broken", 24, [1]],
      ["Empty", 12, [0]],
      ["Missing", 24, [1]],
    ]);
  });

  it("never counts days before a source was protected, nor future days", () => {
    const f = new ReportsFixture();
    const a = f.group("A", 24);
    f.source("new", { groupId: a, protectedSince: "2026-11-23T00:00:00Z" });
    const h = getRecoveryPointHealth(f.db, { now: NOW, from: new Date("2026-11-20T00:00:00Z"), to: new Date("2026-11-30T00:00:00Z") });
    expect(h.days).toEqual(["2026-11-20", "2026-11-21", "2026-11-22", "2026-11-23", "2026-11-24"]);
    expect(h.overall.map((d) => d.critical)).toEqual([0, 0, 0, 1, 0]);
  });
});
