import { describe, expect, it } from "vitest";
import { jobs } from "@/db/schema";
import { createTestServices } from "@/server/testing/test-services";
import { getRecoveryPointHistory } from "./get-recovery-point-history";

describe("getRecoveryPointHistory", () => {
  it("counts job outcomes per UTC day, zero-filling the days without any", () => {
    const { services } = createTestServices({ now: "2026-11-24T12:00:00Z" });
    const at = (iso: string) => new Date(iso);
    services.db
      .insert(jobs)
      .values([
        { type: "synchronization", state: "succeeded", createdAt: at("2026-11-24T01:00:00Z") },
        { type: "synchronization", state: "succeeded", createdAt: at("2026-11-24T11:59:00Z") },
        { type: "synchronization", state: "failed", createdAt: at("2026-11-22T23:59:59Z") },
        { type: "synchronization", state: "running", createdAt: at("2026-11-22T10:00:00Z") },
        { type: "synchronization", state: "succeeded", createdAt: at("2026-11-20T10:00:00Z") }, // outside a 3-day range
      ])
      .run();
    const h = getRecoveryPointHistory(services.db, { now: services.clock.now(), days: 3 });
    expect(h.series).toEqual([
      { day: "2026-11-22", recoveryPoints: 0, jobsSucceeded: 0, jobsFailed: 1 },
      { day: "2026-11-23", recoveryPoints: 0, jobsSucceeded: 0, jobsFailed: 0 },
      { day: "2026-11-24", recoveryPoints: 0, jobsSucceeded: 2, jobsFailed: 0 },
    ]);
    expect(h.totals).toEqual({ recoveryPoints: 0, jobsSucceeded: 2, jobsFailed: 1 });
  });
});
