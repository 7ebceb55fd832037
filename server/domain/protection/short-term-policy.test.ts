import { describe, expect, it } from "vitest";
import { checkAddMember, checkGroupName, checkShortTermPolicy, defaultShortTermPolicy, syncBetweenRecoveryPoints, type ShortTermPolicy } from "./short-term-policy";

const base = defaultShortTermPolicy({ hasDatabases: false });
const withDb = defaultShortTermPolicy({ hasDatabases: true });
const rules = (p: ShortTermPolicy, hasDatabases = false) => checkShortTermPolicy(p, { hasDatabases }).map((i) => i.rule);

describe("short-term policy", () => {
  it("DPM's defaults are valid, for files and for databases", () => {
    expect(checkShortTermPolicy(base, { hasDatabases: false })).toEqual([]);
    expect(checkShortTermPolicy(withDb, { hasDatabases: true })).toEqual([]);
    expect(base).toMatchObject({ retentionDays: 5, synchronization: { everyMinutes: 15 }, slaHours: 24 });
    expect(base.recoveryPoints.times).toEqual(["08:00", "12:00", "18:00"]);
  });

  it.each([
    [0, ["retention-range"]],
    [1, []],
    [448, []],
    [449, ["retention-range"]],
    [2.5, ["retention-range"]],
  ])("retention of %s days → %j", (retentionDays, expected) => {
    // A longer SLA than the retention is its own rule: keep the SLA inside the range here.
    expect(rules({ ...base, retentionDays, slaHours: 1 })).toEqual(expected);
  });

  it.each([
    [15, []],
    [45, []],
    [1440, []],
    [20, ["sync-interval"]],
    [90, ["sync-interval"]],
  ])("synchronization every %s minutes → %j", (everyMinutes, expected) => {
    expect(rules({ ...base, synchronization: { everyMinutes: everyMinutes as 15 }, recoveryPoints: { days: ["mon"], times: ["12:00"] } })).toEqual(expected);
  });

  it("at least one synchronization between two recovery points (DPM's 45-minute example)", () => {
    const p: ShortTermPolicy = { ...base, synchronization: { everyMinutes: 45 }, recoveryPoints: { days: ["mon"], times: ["13:00", "13:30"] } };
    const issues = checkShortTermPolicy(p, { hasDatabases: false });
    expect(issues.map((i) => i.rule)).toEqual(["sync-between-recovery-points"]);
    expect(issues[0]!.message).toMatch(/13:00 and 13:30 are 30 minutes apart.*every 45 minutes/);
    expect(rules({ ...p, recoveryPoints: { days: ["mon"], times: ["13:00", "13:45"] } })).toEqual([]);
    expect(rules({ ...p, synchronization: { justBeforeRecoveryPoint: true } })).toEqual([]);
  });

  it("checks the gap across midnight only when the next day is scheduled too", () => {
    const times = ["00:30", "12:00", "23:50"];
    expect(syncBetweenRecoveryPoints(60, { days: ["mon", "tue"], times }).map((i) => i.message)).toEqual([expect.stringMatching(/23:50 and 00:30 are 40 minutes apart/)]);
    expect(syncBetweenRecoveryPoints(60, { days: ["mon", "wed"], times })).toEqual([]);
    expect(syncBetweenRecoveryPoints(60, { days: ["sun", "mon"], times })).toHaveLength(1); // Sunday → Monday wraps the week
  });

  it.each<[string, Partial<ShortTermPolicy["recoveryPoints"]>, string[]]>([
    ["no day", { days: [] }, ["schedule-days"]],
    ["a day twice", { days: ["mon", "mon"] }, ["schedule-days"]],
    ["no time", { times: [] }, ["schedule-times"]],
    ["a bad time", { times: ["25:00"] }, ["schedule-times"]],
    ["a time twice", { times: ["08:00", "08:00"] }, ["schedule-times"]],
    ["nine a day", { times: ["01:00", "03:00", "05:00", "07:00", "09:00", "11:00", "13:00", "15:00", "17:00"] }, ["max-per-day"]],
    ["eight a day", { times: ["01:00", "03:00", "05:00", "07:00", "09:00", "11:00", "13:00", "15:00"] }, []],
  ])("recovery-point schedule with %s → %j", (_what, over, expected) => {
    expect(rules({ ...base, recoveryPoints: { ...base.recoveryPoints, ...over } })).toEqual(expected);
  });

  it("express full is for databases only", () => {
    expect(rules({ ...base, expressFull: withDb.expressFull }, false)).toEqual(["express-full-databases"]);
    expect(rules({ ...base, expressFull: withDb.expressFull }, true)).toEqual([]);
  });

  it("a consistency-check window has days, a start and at most 24 hours", () => {
    const cc = (window: ShortTermPolicy["consistencyCheck"]["window"]) => rules({ ...base, consistencyCheck: { automaticWhenInconsistent: false, window } });
    expect(cc({ days: ["sat"], start: "22:00", maxHours: 8 })).toEqual([]);
    expect(cc({ days: [], start: "22:00", maxHours: 8 })).toEqual(["cc-window"]);
    expect(cc({ days: ["sat"], start: "10pm", maxHours: 8 })).toEqual(["cc-window"]);
    expect(cc({ days: ["sat"], start: "22:00", maxHours: 0 })).toEqual(["cc-window"]);
    expect(cc({ days: ["sat"], start: "22:00", maxHours: 25 })).toEqual(["cc-window"]);
  });

  it("the SLA is at least an hour and no longer than the retention range", () => {
    expect(rules({ ...base, slaHours: 0 })).toEqual(["sla-range"]);
    expect(rules({ ...base, retentionDays: 2, slaHours: 48 })).toEqual([]);
    const [issue] = checkShortTermPolicy({ ...base, retentionDays: 2, slaHours: 49 }, { hasDatabases: false });
    expect(issue).toMatchObject({ field: "slaHours", rule: "sla-range" });
    expect(issue!.message).toMatch(/longer than the 2-day retention range/);
  });
});

describe("protection group names", () => {
  it.each([
    ["Finance files", []],
    ["Données 2026", []],
    ["", ["name-required"]],
    ["   ", ["name-required"]],
    ["x".repeat(65), ["name-length"]],
    ["a/b", ["name-characters"]],
    ["Sales (EU)", ["name-characters"]],
    ["v1.2", ["name-characters"]],
    ["a|b", ["name-characters"]],
  ])("%j → %j", (name, expected) => {
    expect(checkGroupName(name).map((i) => i.rule)).toEqual(expected);
  });
});

describe("membership", () => {
  it("a data source belongs to one group, and is moved by remove + add", () => {
    expect(checkAddMember({ path: "/srv/docs", groupName: null }, "Files")).toEqual([]);
    expect(checkAddMember({ path: "/srv/docs", groupName: "Files" }, "Files").map((i) => i.rule)).toEqual(["member-once"]);
    const [moved] = checkAddMember({ path: "/srv/docs", groupName: "Files" }, "Archive");
    expect(moved).toMatchObject({ rule: "member-one-group", field: "members" });
    expect(moved!.message).toMatch(/remove it from Files .* then add it here/);
  });
});
