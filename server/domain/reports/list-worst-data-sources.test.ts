import { describe, expect, it } from "vitest";
import { listWorstDataSources } from "./list-worst-data-sources";
import { NOW, ReportsFixture, fourDayScenario } from "./test-support";

describe("listWorstDataSources", () => {
  it("ranks by active critical alerts, then active warnings, then hours beyond the SLA, and leaves healthy sources out", () => {
    const { f, ids } = fourDayScenario();
    f.alert({ dataSourceId: ids.b2, severity: "critical", active: true, key: "k1" });
    f.alert({ dataSourceId: ids.a2, severity: "warning", active: true, key: "k2" });
    f.alert({ dataSourceId: ids.a2, severity: "warning", active: true, key: "k3" });
    f.alert({ dataSourceId: ids.a2, severity: "info", active: true, key: "k4" });
    f.alert({ dataSourceId: ids.a1, severity: "critical", active: false, key: "k5" });
    f.alert({ dataSourceId: ids.u1, severity: "warning", active: true, key: "k6" });
    const worst = listWorstDataSources(f.db, { now: NOW });
    expect(worst.map((w) => [w.name, w.activeCriticalAlerts, w.activeWarningAlerts, w.hoursBeyondSla])).toEqual([
      ["b2", 1, 0, 0],
      ["a2", 0, 2, 0],
      ["u1", 0, 1, 0],
      ["b1", 0, 0, 32], // latest on the 22nd at 20:00: 40 h ago, SLA 8 h
      ["a3", 0, 0, 6], // none since protection began 30 h ago, SLA 24 h
    ]);
    expect(worst[3]).toMatchObject({ computer: "computer-4", group: "B", path: "/srv/b1", latestRecoveryPointAt: new Date("2026-11-22T20:00:00Z") });
    expect(worst[2]).toMatchObject({ group: null, latestRecoveryPointAt: new Date("2026-11-22T10:00:00Z") });
  });

  it("lists at most ten", () => {
    const f = new ReportsFixture();
    const g = f.group("G");
    for (let i = 0; i < 12; i++) f.source(`s${i}`, { groupId: g, protectedSince: `2026-11-${String(10 + i).padStart(2, "0")}T00:00:00Z` });
    const worst = listWorstDataSources(f.db, { now: NOW });
    expect(worst.map((w) => w.name)).toEqual(["s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9"]);
  });
});
