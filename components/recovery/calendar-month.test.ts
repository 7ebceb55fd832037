import { describe, expect, it } from "vitest";
import { buildMonth, dayKey, groupByDay, monthRange, sameMonth, shiftMonth, weekdayNames } from "./calendar-month";

describe("the recovery calendar's month", () => {
  it("lays out a month in full weeks starting on Monday, with the days that have recovery points counted", () => {
    // March 2026 starts on a Sunday: six leading days from February.
    const points = [new Date(2026, 2, 3, 9, 0), new Date(2026, 2, 3, 21, 30), new Date(2026, 2, 31, 23, 59), new Date(2026, 1, 28, 12, 0)].map((createdAt) => ({ createdAt }));
    const weeks = buildMonth({ year: 2026, month: 2 }, points);
    expect(weeks).toHaveLength(6);
    expect(weeks.every((w) => w.length === 7)).toBe(true);
    expect(weeks[0]!.map((d) => d.day)).toEqual([23, 24, 25, 26, 27, 28, 1]);
    expect(weeks[0]!.map((d) => d.inMonth)).toEqual([false, false, false, false, false, false, true]);
    // The February point is outside the month shown: not counted on the greyed day.
    expect(weeks[0]![5]).toMatchObject({ key: "2026-02-28", count: 0 });
    const counted = weeks.flat().filter((d) => d.count > 0).map((d) => [d.key, d.count]);
    expect(counted).toEqual([["2026-03-03", 2], ["2026-03-31", 1]]);
    expect(weeks[5]!.at(-1)).toMatchObject({ key: "2026-04-05", inMonth: false });
  });

  it("starts weeks on Sunday when asked, and a month that fits four weeks has four rows", () => {
    // February 2026 starts on a Sunday and has 28 days.
    const weeks = buildMonth({ year: 2026, month: 1 }, [], 0);
    expect(weeks).toHaveLength(4);
    expect(weeks[0]![0]).toMatchObject({ key: "2026-02-01", inMonth: true });
    expect(weeks[3]![6]).toMatchObject({ key: "2026-02-28", inMonth: true });
  });

  it("moves across years and asks the server for exactly the month's range", () => {
    expect(shiftMonth({ year: 2026, month: 0 }, -1)).toEqual({ year: 2025, month: 11 });
    expect(shiftMonth({ year: 2025, month: 11 }, 1)).toEqual({ year: 2026, month: 0 });
    expect(sameMonth({ year: 2026, month: 3 }, { year: 2026, month: 3 })).toBe(true);
    const { from, to } = monthRange({ year: 2026, month: 1 });
    expect(dayKey(from)).toBe("2026-02-01");
    expect([from.getHours(), from.getMinutes()]).toEqual([0, 0]);
    expect(dayKey(to)).toBe("2026-02-28");
    expect(new Date(to.getTime() + 1).getDate()).toBe(1);
  });

  it("groups recovery points by local day, oldest first", () => {
    const a = { id: 1, createdAt: new Date(2026, 4, 2, 18) };
    const b = { id: 2, createdAt: new Date(2026, 4, 2, 6) };
    const c = { id: 3, createdAt: new Date(2026, 4, 3, 0, 0, 1) };
    const days = groupByDay([a, c, b]);
    expect([...days.keys()]).toEqual(["2026-05-02", "2026-05-03"]);
    expect(days.get("2026-05-02")!.map((p) => p.id)).toEqual([2, 1]);
  });

  it("names the weekdays from the week's first day", () => {
    expect(weekdayNames("en-US", 1)).toEqual(["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]);
    expect(weekdayNames("en-US", 0)[0]).toBe("Sun");
  });
});
