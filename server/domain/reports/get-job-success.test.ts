import { describe, expect, it } from "vitest";
import { jobs } from "@/db/schema";
import { getJobSuccess } from "./get-job-success";
import { lastDays } from "./report-range";
import { NOW, ReportsFixture } from "./test-support";

describe("getJobSuccess", () => {
  it("rates finished jobs per creation day and per type, leaving out jobs without an outcome", () => {
    const f = new ReportsFixture();
    const rows: [string, "succeeded" | "failed" | "running" | "cancelled" | "queued", string][] = [
      ["2026-11-20T10:00:00Z", "failed", "recovery-point"], // before the range
      ["2026-11-21T01:00:00Z", "succeeded", "recovery-point"],
      ["2026-11-21T02:00:00Z", "succeeded", "synchronization"],
      ["2026-11-21T03:00:00Z", "failed", "recovery-point"],
      ["2026-11-21T04:00:00Z", "succeeded", "recovery-point"],
      ["2026-11-22T23:59:59Z", "failed", "consistency-check"],
      ["2026-11-23T10:00:00Z", "cancelled", "recovery-point"],
      ["2026-11-24T11:00:00Z", "running", "synchronization"],
      ["2026-11-24T11:30:00Z", "queued", "synchronization"],
      ["2026-11-24T11:40:00Z", "succeeded", "synchronization"],
    ];
    for (const [at, state, type] of rows) f.job({ at, state, type });
    const j = getJobSuccess(f.db, { now: NOW, ...lastDays(NOW, 4) });
    expect(j.perDay).toEqual([
      { day: "2026-11-21", succeeded: 3, failed: 1, rate: 0.75 },
      { day: "2026-11-22", succeeded: 0, failed: 1, rate: 0 },
      { day: "2026-11-23", succeeded: 0, failed: 0, rate: null },
      { day: "2026-11-24", succeeded: 1, failed: 0, rate: 1 },
    ]);
    expect(j.byType).toEqual([
      { type: "consistency-check", succeeded: 0, failed: 1, other: 0, rate: 0 },
      { type: "recovery-point", succeeded: 2, failed: 1, other: 1, rate: 2 / 3 },
      { type: "synchronization", succeeded: 2, failed: 0, other: 2, rate: 1 },
    ]);
    expect(j.totals).toEqual({ succeeded: 4, failed: 2, rate: 4 / 6 });
  });

  it("notices a past day's job ending after the day", () => {
    const f = new ReportsFixture();
    f.job({ at: "2026-11-23T23:50:00Z", state: "running", type: "synchronization" });
    const before = getJobSuccess(f.db, { now: NOW, ...lastDays(NOW, 2) });
    expect(before.byType).toEqual([{ type: "synchronization", succeeded: 0, failed: 0, other: 1, rate: null }]);
    f.db.update(jobs).set({ state: "failed" }).run();
    const after = getJobSuccess(f.db, { now: NOW, ...lastDays(NOW, 2) });
    expect(after.perDay[0]).toEqual({ day: "2026-11-23", succeeded: 0, failed: 1, rate: 0 });
    expect(after.byType).toEqual([{ type: "synchronization", succeeded: 0, failed: 1, other: 0, rate: 0 }]);
  });

  it("has nothing to rate on an empty catalog", () => {
    const f = new ReportsFixture();
    const j = getJobSuccess(f.db, { now: NOW, ...lastDays(NOW, 2) });
    expect(j).toEqual({
      perDay: [
        { day: "2026-11-23", succeeded: 0, failed: 0, rate: null },
        { day: "2026-11-24", succeeded: 0, failed: 0, rate: null },
      ],
      byType: [],
      totals: { succeeded: 0, failed: 0, rate: null },
    });
  });
});
