import { describe, expect, it } from "vitest";
import { defaultShortTermPolicy } from "@/server/domain/protection/short-term-policy";
import { describeConsistencyCheck, describeDays, describePolicy } from "./policy-summary";
import { draftOf, issuesByField, policyOf, stepOfField } from "./policy-draft";

describe("a policy in words", () => {
  it("reads DPM's defaults as an admin would say them", () => {
    expect(describePolicy(defaultShortTermPolicy({ hasDatabases: false }))).toBe(
      "Synchronize every 15 minutes; recovery points at 08:00, 12:00, 18:00 every day; keep 5 days; SLA 24 h",
    );
    expect(describePolicy(defaultShortTermPolicy({ hasDatabases: true }))).toBe(
      "Synchronize every 15 minutes; recovery points at 08:00, 12:00, 18:00 every day; express full at 20:00 every day; keep 5 days; SLA 24 h",
    );
  });

  it("names intervals in hours, the just-before option, day sets and one day", () => {
    const p = { ...defaultShortTermPolicy({ hasDatabases: false }), retentionDays: 1, synchronization: { everyMinutes: 120 as const }, recoveryPoints: { days: ["sat" as const, "sun" as const], times: ["18:00", "09:00"] } };
    expect(describePolicy(p)).toBe("Synchronize every 2 hours; recovery points at 09:00, 18:00 at weekends; keep 1 day; SLA 24 h");
    expect(describePolicy({ ...p, synchronization: { justBeforeRecoveryPoint: true } })).toMatch(/^Synchronize just before each recovery point;/);
    expect(describePolicy({ ...p, synchronization: { everyMinutes: 60 } })).toMatch(/^Synchronize every hour;/);
    expect(describeDays(["mon", "tue", "wed", "thu", "fri"])).toBe("on weekdays");
    expect(describeDays(["fri", "mon"])).toBe("on Mon, Fri");
  });

  it("describes the consistency-check options", () => {
    expect(describeConsistencyCheck({ automaticWhenInconsistent: true, window: null })).toBe("Consistency check automatically when a replica becomes inconsistent");
    expect(describeConsistencyCheck({ automaticWhenInconsistent: false, window: { days: ["sun"], start: "22:00", maxHours: 4 } })).toBe("Consistency check daily window at 22:00 for up to 4 h on Sun");
    expect(describeConsistencyCheck({ automaticWhenInconsistent: false, window: null })).toBe("Consistency check only when started by hand");
  });
});

describe("the wizard's draft", () => {
  it("round-trips a policy, and keeps express full only for databases", () => {
    const files = defaultShortTermPolicy({ hasDatabases: false });
    const db = defaultShortTermPolicy({ hasDatabases: true });
    expect(policyOf(draftOf(files, db.expressFull), false)).toEqual(files);
    expect(policyOf(draftOf(files, db.expressFull), true)).toEqual(db);
  });

  it("sends a value every range refuses when a number is not a whole number, so the server names the range", () => {
    const d = draftOf(defaultShortTermPolicy({ hasDatabases: false }), null);
    expect(policyOf({ ...d, retentionDays: "12x" }, false).retentionDays).toBe(0);
    expect(policyOf({ ...d, retentionDays: " 500 " }, false).retentionDays).toBe(500);
    expect(policyOf({ ...d, sync: "before-recovery-point" }, false).synchronization).toEqual({ justBeforeRecoveryPoint: true });
  });

  it("puts each issue on the page that shows its field, merging live and submitted issues", () => {
    expect(stepOfField("recoveryPoints.times")).toBe("short-term");
    expect(stepOfField("consistencyCheck.window.maxHours")).toBe("consistency");
    expect(stepOfField("name")).toBe("name");
    expect(stepOfField("members")).toBe("members");
    const merged = issuesByField([{ field: "retentionDays", rule: "r", message: "A" }], { retentionDays: ["A", "B"], name: ["C"] });
    expect(merged).toEqual({ retentionDays: ["A", "B"], name: ["C"] });
  });
});
