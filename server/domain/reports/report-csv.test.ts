import { describe, expect, it } from "vitest";
import { exportReportCsv, toCsv } from "./report-csv";
import { lastDays } from "./report-range";
import { NOW, fourDayScenario } from "./test-support";

describe("toCsv", () => {
  it.each([
    [["plain", 42, null, undefined], "plain,42,,\r\n"],
    [["a,b", 'say "hi"', "two\nlines", "cr\rhere"], '"a,b","say ""hi""","two\nlines","cr\rhere"\r\n'],
    [["=HYPERLINK(1)", "+1", "-x", "@sum", -5], "'=HYPERLINK(1),'+1,'-x,'@sum,-5\r\n"],
    [["=a,b"], `"'=a,b"\r\n`],
    [[Number.NaN, 0.5], ",0.5\r\n"],
  ])("writes %o as %j", (row, csv) => {
    expect(toCsv([row])).toBe(csv);
  });

  it("ends every record with CRLF", () => {
    expect(toCsv([["a"], ["b"]])).toBe("a\r\nb\r\n");
  });
});

describe("exportReportCsv", () => {
  const w = { now: NOW, ...lastDays(NOW, 4), pool: { poolBytes: 1, diskTotalBytes: 2, diskFreeBytes: 3, measuredAt: NOW } };

  it("names the file after the dataset and the days", () => {
    const { f } = fourDayScenario();
    expect(exportReportCsv(f.db, { ...w, dataset: "sla" }).filename).toBe("custodian-sla-2026-11-21_2026-11-24.csv");
  });

  it("writes health per day, overall and per group", () => {
    const { f } = fourDayScenario();
    const lines = exportReportCsv(f.db, { ...w, dataset: "health" }).csv.trimEnd().split("\r\n");
    expect(lines).toEqual([
      "day,protection_group,ok,warning,critical",
      "2026-11-21,All protection groups,1,2,0",
      "2026-11-22,All protection groups,2,1,0",
      "2026-11-23,All protection groups,1,2,2",
      "2026-11-24,All protection groups,2,0,1",
      "2026-11-21,A,0,1,0",
      "2026-11-22,A,1,0,0",
      "2026-11-23,A,1,1,1",
      "2026-11-24,A,1,0,0",
      "2026-11-21,B,1,1,0",
      "2026-11-22,B,1,1,0",
      "2026-11-23,B,0,1,1",
      "2026-11-24,B,1,0,1",
    ]);
  });

  it.each([
    ["sla", ["protection_group,sla_hours,data_sources,within_sla_now,within_sla_now_pct,source_days,ok_source_days,ok_source_days_pct", "A,24,3,2,66.7,6,3,50", "B,8,2,1,50,8,3,37.5"]],
    ["jobs", ["period,job_type,succeeded,failed,success_rate_pct", "2026-11-21,all,0,2,0", "2026-11-22,all,1,0,100", "2026-11-23,all,0,1,0", "2026-11-24,all,0,0,", "2026-11-21..2026-11-24,recovery-point,1,3,25"]],
    ["worst", ["rank,data_source,kind,path,computer,protection_group,replica_state,latest_recovery_point,active_critical_alerts,active_warning_alerts,hours_beyond_sla", "1,b1,folder,/srv/b1,computer-4,B,ok,2026-11-22T20:00:00.000Z,0,0,32", "2,a3,folder,/srv/a3,computer-3,A,ok,,0,0,6"]],
  ] as const)("writes %s", (dataset, expected) => {
    const { f } = fourDayScenario();
    expect(exportReportCsv(f.db, { ...w, dataset }).csv.trimEnd().split("\r\n")).toEqual(expected);
  });

  it("writes storage as metric, day, value", () => {
    const { f } = fourDayScenario();
    const lines = exportReportCsv(f.db, { ...w, dataset: "storage" }).csv.trimEnd().split("\r\n");
    expect(lines[0]).toBe("metric,day,value");
    expect(lines.slice(1, 5)).toEqual(["added_bytes,2026-11-21,700", "added_bytes,2026-11-22,800", "added_bytes,2026-11-23,300", "added_bytes,2026-11-24,200"]);
    expect(lines.slice(5)).toEqual(["protected_bytes,,4000", "pool_bytes,,1", "disk_total_bytes,,2", "disk_free_bytes,,3", "average_daily_growth_bytes,,615", "days_until_full,,0"]);
  });
});
