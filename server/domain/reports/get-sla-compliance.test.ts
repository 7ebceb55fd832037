import { describe, expect, it } from "vitest";
import { getSlaCompliance } from "./get-sla-compliance";
import { lastDays } from "./report-range";
import { NOW, ReportsFixture, fourDayScenario } from "./test-support";

describe("getSlaCompliance", () => {
  it("gives each group's share of sources within their SLA now, and of OK source-days over the range", () => {
    const { f } = fourDayScenario();
    f.group("No sources yet", 24);
    const sla = getSlaCompliance(f.db, { now: NOW, ...lastDays(NOW, 4) });
    expect(sla.map(({ name, slaHours, sources, withinSlaNow, shareNow, okSourceDays, sourceDays, shareInRange }) => ({ name, slaHours, sources, withinSlaNow, shareNow, okSourceDays, sourceDays, shareInRange }))).toEqual([
      // a1 (3 h ago) and a2 (21 h ago) are within 24 h; a3, protected 30 h ago, has none.
      { name: "A", slaHours: 24, sources: 3, withinSlaNow: 2, shareNow: 2 / 3, okSourceDays: 3, sourceDays: 6, shareInRange: 0.5 },
      // b2's latest is 5 h old; b1's 40 h.
      { name: "B", slaHours: 8, sources: 2, withinSlaNow: 1, shareNow: 0.5, okSourceDays: 3, sourceDays: 8, shareInRange: 3 / 8 },
      { name: "No sources yet", slaHours: 24, sources: 0, withinSlaNow: 0, shareNow: null, okSourceDays: 0, sourceDays: 0, shareInRange: null },
    ]);
  });

  it("does not hold a source protected less than one SLA period ago against its group", () => {
    const f = new ReportsFixture();
    const g = f.group("G", 24);
    f.source("fresh", { groupId: g, protectedSince: "2026-11-24T02:00:00Z" });
    f.source("late", { groupId: g, protectedSince: "2026-11-22T02:00:00Z" });
    const [only] = getSlaCompliance(f.db, { now: NOW, ...lastDays(NOW, 7) });
    expect([only!.sources, only!.withinSlaNow]).toEqual([2, 1]);
  });
});
