import { describe, expect, it } from "vitest";
import { describeDaysUntilFull, formatDay, formatHoursBeyond, formatShare } from "./report-text";

const GiB = 1024 ** 3;
const at = new Date("2026-11-24T12:00:00Z");

describe("report text", () => {
  it.each([
    [null, "—"],
    [1, "100%"],
    [0, "0%"],
    [0.9534, "95.3%"],
    [2 / 3, "66.7%"],
  ])("shows the share %s as %s", (share, text) => expect(formatShare(share)).toBe(text));

  it.each([
    [0, "within SLA"],
    [5, "5 h"],
    [48, "2 d"],
    [50, "2 d 2 h"],
  ])("shows %i hours beyond the SLA as %s", (h, text) => expect(formatHoursBeyond(h)).toBe(text));

  it("shows UTC days", () => {
    expect(formatDay("2026-11-24")).toBe("Nov 24");
    expect(formatDay("2026-01-01", { year: true })).toBe("Jan 1, 2026");
  });

  it.each([
    [{ daysUntilFull: 143, averageDailyGrowthBytes: 2 * GiB, diskFreeBytes: 286 * GiB, rangeDays: 30 }, "At the average growth of 2.0 GiB a day over the last 30 days, the 286 GiB free last about 143 days (until around Apr 16, 2027)."],
    [{ daysUntilFull: null, averageDailyGrowthBytes: 0, diskFreeBytes: 286 * GiB, rangeDays: 7 }, "The pool is not growing over the last 7 days: at this rate the 286 GiB free will not run out."],
    [{ daysUntilFull: 50_000, averageDailyGrowthBytes: 1024, diskFreeBytes: 50 * GiB, rangeDays: 365 }, "At the average growth of 1.0 KiB a day over the last 365 days, the 50 GiB free last more than ten years."],
    [{ daysUntilFull: 0, averageDailyGrowthBytes: 10 * GiB, diskFreeBytes: 2 * GiB, rangeDays: 30 }, "At the average growth of 10 GiB a day over the last 30 days, the disk is full within a day: 2.0 GiB free."],
    [{ daysUntilFull: null, averageDailyGrowthBytes: 5, diskFreeBytes: null, rangeDays: 30 }, "The free space of the pool's disk could not be read, so there is no days-until-full projection."],
  ])("says %o in words", (facts, text) => expect(describeDaysUntilFull({ ...facts, generatedAt: at })).toBe(text));
});
