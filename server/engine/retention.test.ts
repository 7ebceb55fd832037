import { describe, expect, it } from "vitest";
import { applyRetention, isoWeek, NEWEST_REASON, NO_RULE_REASON, validateRetentionPolicy, type RetentionPolicy } from "./retention";
import { RetentionPolicyError } from "./errors";

const NOW = "2026-11-24T12:00:00Z";
const NEWEST = NEWEST_REASON;

interface Case {
  name: string;
  points: [id: string, time: string][];
  policy: RetentionPolicy;
  now?: string;
  /** Every kept point with all its reasons, in order; every other point must be removed. */
  kept: Record<string, string[]>;
  /** Expected output order, when the case is about order. */
  order?: string[];
}

const cases: Case[] = [
  { name: "empty input", points: [], policy: { keepLast: 1 }, kept: {} },
  {
    name: "empty policy keeps everything",
    points: [
      ["a", "2026-11-20T00:00:00Z"],
      ["b", "2020-01-01T00:00:00Z"],
    ],
    policy: {},
    kept: { a: [NEWEST, NO_RULE_REASON], b: [NO_RULE_REASON] },
  },
  {
    name: "keepLast",
    points: [
      ["p1", "2026-11-24T10:00:00Z"],
      ["p2", "2026-11-24T09:00:00Z"],
      ["p3", "2026-11-24T08:00:00Z"],
      ["p4", "2026-11-24T07:00:00Z"],
      ["p5", "2026-11-24T06:00:00Z"],
    ],
    policy: { keepLast: 3 },
    kept: { p1: [NEWEST, "one of the last 3"], p2: ["one of the last 3"], p3: ["one of the last 3"] },
  },
  {
    name: "keepLast 1",
    points: [
      ["p1", "2026-11-24T10:00:00Z"],
      ["p2", "2026-11-24T09:00:00Z"],
    ],
    policy: { keepLast: 1 },
    kept: { p1: [NEWEST, "the last one"] },
  },
  {
    name: "keepHourly: the newest of each hour, hours without points do not count",
    points: [
      ["h11b", "2026-11-24T11:45:00Z"],
      ["h11a", "2026-11-24T11:05:00Z"],
      ["h08", "2026-11-24T08:59:59Z"],
      ["h07", "2026-11-24T07:00:00Z"],
    ],
    policy: { keepHourly: 2 },
    kept: {
      h11b: [NEWEST, "newest of hour 2026-11-24 11:00 UTC (hourly 1 of 2)"],
      h08: ["newest of hour 2026-11-24 08:00 UTC (hourly 2 of 2)"],
    },
  },
  {
    name: "keepDaily: days in UTC, empty days skipped",
    points: [
      ["late", "2026-11-23T23:30:00-05:00"], // 2026-11-24T04:30Z: the 24th in UTC
      ["d24", "2026-11-24T01:00:00Z"],
      ["d23b", "2026-11-23T22:00:00Z"],
      ["d23a", "2026-11-23T03:00:00Z"],
      ["d20", "2026-11-20T12:00:00Z"],
      ["d19", "2026-11-19T12:00:00Z"],
    ],
    policy: { keepDaily: 3 },
    kept: {
      late: [NEWEST, "newest of day 2026-11-24 (daily 1 of 3)"],
      d23b: ["newest of day 2026-11-23 (daily 2 of 3)"],
      d20: ["newest of day 2026-11-20 (daily 3 of 3)"],
    },
  },
  {
    name: "keepWeekly: ISO weeks, Monday to Sunday, across a year boundary",
    now: "2027-01-10T00:00:00Z",
    points: [
      ["mon", "2027-01-04T00:00:00Z"], // 2027-W01
      ["sun", "2027-01-03T23:59:59Z"], // 2026-W53
      ["fri", "2027-01-01T10:00:00Z"], // 2026-W53 too
      ["w52", "2026-12-27T10:00:00Z"], // Sunday of 2026-W52
      ["w48", "2026-11-23T10:00:00Z"],
    ],
    policy: { keepWeekly: 3 },
    kept: {
      mon: [NEWEST, "newest of week 2027-W01 (weekly 1 of 3)"],
      sun: ["newest of week 2026-W53 (weekly 2 of 3)"],
      w52: ["newest of week 2026-W52 (weekly 3 of 3)"],
    },
  },
  {
    name: "keepMonthly and keepYearly",
    points: [
      ["nov", "2026-11-02T00:00:00Z"],
      ["oct2", "2026-10-31T23:00:00Z"],
      ["oct1", "2026-10-01T00:00:00Z"],
      ["y25", "2025-06-01T00:00:00Z"],
      ["y24", "2024-12-31T23:59:59Z"],
      ["y23", "2023-01-01T00:00:00Z"],
    ],
    policy: { keepMonthly: 2, keepYearly: 3 },
    kept: {
      nov: [NEWEST, "newest of month 2026-11 (monthly 1 of 2)", "newest of year 2026 (yearly 1 of 3)"],
      oct2: ["newest of month 2026-10 (monthly 2 of 2)"],
      y25: ["newest of year 2025 (yearly 2 of 3)"],
      y24: ["newest of year 2024 (yearly 3 of 3)"],
    },
  },
  {
    name: "keepWithinDays: inclusive at exactly N days, newest kept even when old",
    points: [
      ["edge", "2026-11-22T12:00:00Z"],
      ["older", "2026-11-22T11:59:59.999Z"],
    ],
    policy: { keepWithinDays: 2 },
    kept: { edge: [NEWEST, "within the last 2 days"] },
  },
  {
    name: "keepWithinDays of 1 day and nothing recent: only the newest survives",
    points: [
      ["a", "2026-10-01T00:00:00Z"],
      ["b", "2026-09-01T00:00:00Z"],
      ["c", "2026-08-01T00:00:00Z"],
    ],
    policy: { keepWithinDays: 1 },
    kept: { a: [NEWEST] },
  },
  {
    name: "overlapping rules give a point every reason that keeps it",
    points: [
      ["t1", "2026-11-24T11:00:00Z"],
      ["t2", "2026-11-24T10:00:00Z"],
      ["t3", "2026-11-23T10:00:00Z"],
      ["t4", "2026-11-10T10:00:00Z"],
      ["t5", "2026-10-10T10:00:00Z"],
    ],
    policy: { keepLast: 2, keepDaily: 2, keepWeekly: 2, keepWithinDays: 1 },
    kept: {
      t1: [NEWEST, "within the last 1 day", "one of the last 2", "newest of day 2026-11-24 (daily 1 of 2)", "newest of week 2026-W48 (weekly 1 of 2)"],
      t2: ["within the last 1 day", "one of the last 2"],
      t3: ["newest of day 2026-11-23 (daily 2 of 2)"],
      t4: ["newest of week 2026-W46 (weekly 2 of 2)"],
    },
  },
  {
    name: "ties in the same second: the larger id counts as newer",
    points: [
      ["rp-a", "2026-11-24T10:00:00Z"],
      ["rp-b", "2026-11-24T10:00:00Z"],
      ["rp-c", "2026-11-23T10:00:00Z"],
    ],
    policy: { keepLast: 1, keepDaily: 5 },
    kept: {
      "rp-b": [NEWEST, "the last one", "newest of day 2026-11-24 (daily 1 of 5)"],
      "rp-c": ["newest of day 2026-11-23 (daily 2 of 5)"],
    },
    order: ["rp-b", "rp-a", "rp-c"],
  },
  {
    name: "unsorted input comes out newest first",
    points: [
      ["m", "2026-06-01T00:00:00Z"],
      ["z", "2026-11-01T00:00:00Z"],
      ["a", "2025-01-01T00:00:00Z"],
      ["q", "2026-09-01T00:00:00Z"],
    ],
    policy: { keepLast: 2 },
    kept: { z: [NEWEST, "one of the last 2"], q: ["one of the last 2"] },
    order: ["z", "q", "m", "a"],
  },
  {
    name: "points after now are kept and do not count towards the rules",
    points: [
      ["future", "2026-12-24T00:00:00Z"],
      ["p1", "2026-11-24T11:00:00Z"],
      ["p2", "2026-11-24T10:00:00Z"],
      ["p3", "2026-11-24T09:00:00Z"],
    ],
    policy: { keepLast: 2 },
    kept: {
      future: [NEWEST, "dated after now (2026-12-24T00:00:00.000Z): kept, as clock skew makes its age unknown"],
      p1: ["one of the last 2"],
      p2: ["one of the last 2"],
    },
  },
];

describe("applyRetention", () => {
  for (const c of cases) {
    it(c.name, () => {
      const points = c.points.map(([id, t]) => ({ id, time: new Date(t) }));
      const out = applyRetention(points, c.policy, new Date(c.now ?? NOW));
      // Same points, newest first.
      expect(out.map((d) => d.id).sort()).toEqual(points.map((p) => p.id).sort());
      for (let i = 1; i < out.length; i++) expect(out[i - 1]!.time.getTime()).toBeGreaterThanOrEqual(out[i]!.time.getTime());
      if (c.order) expect(out.map((d) => d.id)).toEqual(c.order);
      expect(Object.fromEntries(out.filter((d) => d.keep).map((d) => [d.id, d.reasons]))).toEqual(c.kept);
      for (const d of out.filter((d) => !d.keep)) expect(d.reasons).toEqual([expect.stringMatching(/^kept by no rule of the policy \(.+\)$/)]);
      // The input order does not matter, and the input is not modified.
      const again = applyRetention([...points].reverse(), c.policy, new Date(c.now ?? NOW));
      expect(again).toEqual(out);
      expect(points.map((p) => p.id)).toEqual(c.points.map(([id]) => id));
    });
  }

  it("says what the policy was when it removes a point", () => {
    const out = applyRetention(
      [
        { id: "new", time: new Date("2026-11-24T00:00:00Z") },
        { id: "old", time: new Date("2020-01-01T00:00:00Z") },
      ],
      { keepLast: 1, keepDaily: 1, keepWithinDays: 14 },
      new Date(NOW),
    );
    expect(out[1]).toEqual({ id: "old", time: new Date("2020-01-01T00:00:00Z"), keep: false, reasons: ["kept by no rule of the policy (last 1, daily 1, within 14 days)"] });
  });

  it("never removes everything and never loses a point, whatever the policy (random cases)", () => {
    let seed = 12345;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    const rules = ["keepLast", "keepHourly", "keepDaily", "keepWeekly", "keepMonthly", "keepYearly", "keepWithinDays"] as const;
    for (let round = 0; round < 300; round++) {
      const now = Date.parse(NOW);
      const points = Array.from({ length: 1 + rnd(40) }, (_, i) => ({ id: `p${i}`, time: new Date(now - rnd(3 * 365) * 86_400_000 - rnd(86_400_000) + (rnd(20) === 0 ? 10 * 86_400_000 : 0)) }));
      const policy: RetentionPolicy = {};
      for (const r of rules) if (rnd(3) === 0) policy[r] = 1 + rnd(r === "keepWithinDays" ? 30 : 6);
      const out = applyRetention(points, policy, new Date(now));
      expect(out).toHaveLength(points.length);
      expect(out[0]!.keep).toBe(true);
      expect(out[0]!.reasons[0]).toBe(NEWEST);
      for (const d of out) expect(d.reasons.length).toBeGreaterThan(0);
      for (const d of out) if (d.time.getTime() > now) expect(d.keep).toBe(true);
    }
  });

  it("refuses points it cannot place in time, duplicate ids, a bad now and a bad policy", () => {
    const ok = { id: "a", time: new Date(NOW) };
    expect(() => applyRetention([ok, { id: "b", time: new Date("garbage") }], { keepLast: 1 }, new Date(NOW))).toThrow(/recovery point b has no valid time/);
    expect(() => applyRetention([ok, { ...ok }], { keepLast: 1 }, new Date(NOW))).toThrow(/recovery point a appears twice/);
    expect(() => applyRetention([ok], { keepLast: 1 }, new Date(Number.NaN))).toThrow(/now is not a valid date/);
    expect(() => applyRetention([ok], { keepLast: 0 }, new Date(NOW))).toThrow(RetentionPolicyError);
  });
});

describe("isoWeek (UTC)", () => {
  it.each([
    ["2021-01-03T12:00:00Z", "2020-W53"],
    ["2024-12-30T00:00:00Z", "2025-W01"],
    ["2026-01-01T00:00:00Z", "2026-W01"],
    ["2026-11-22T23:59:59Z", "2026-W47"],
    ["2026-11-23T00:00:00Z", "2026-W48"],
    ["2026-12-31T00:00:00Z", "2026-W53"],
    ["2027-01-01T00:00:00Z", "2026-W53"],
    ["2027-01-04T00:00:00Z", "2027-W01"],
  ])("%s is in %s", (t, w) => expect(isoWeek(new Date(t))).toBe(w));
});

describe("validateRetentionPolicy", () => {
  it.each<[string, unknown, RetentionPolicy]>([
    ["an empty policy", {}, {}],
    ["every rule at its largest", { keepLast: 10000, keepHourly: 10000, keepDaily: 10000, keepWeekly: 10000, keepMonthly: 10000, keepYearly: 10000, keepWithinDays: 448 }, { keepLast: 10000, keepHourly: 10000, keepDaily: 10000, keepWeekly: 10000, keepMonthly: 10000, keepYearly: 10000, keepWithinDays: 448 }],
    ["every rule at 1", { keepLast: 1, keepWithinDays: 1 }, { keepLast: 1, keepWithinDays: 1 }],
    ["a rule left undefined", { keepLast: undefined, keepDaily: 7 }, { keepDaily: 7 }],
    ["a null-prototype object", Object.assign(Object.create(null), { keepDaily: 7 }), { keepDaily: 7 }],
  ])("accepts %s", (_, input, expected) => {
    expect(validateRetentionPolicy(input)).toEqual(expected);
  });

  it.each<[string, unknown, string, RegExp]>([
    ["null", null, "policy", /must be a plain object of rules, got null/],
    ["an array", [], "policy", /got an array/],
    ["a number", 7, "policy", /got 7/],
    ["a Date", new Date(), "policy", /got an object/],
    ["an unknown rule", { keepDaily: 7, keepDayly: 7 }, "keepDayly", /keepDayly is not a retention rule \(the rules are keepLast, keepHourly/],
    ["a JSON __proto__ key", JSON.parse('{"__proto__": {"keepLast": 1}}'), "__proto__", /is not a retention rule/],
    ["zero", { keepLast: 0 }, "keepLast", /keepLast must be a whole number from 1 to 10000, got 0/],
    ["a negative number", { keepDaily: -3 }, "keepDaily", /got -3/],
    ["a fraction", { keepWeekly: 1.5 }, "keepWeekly", /got 1.5/],
    ["a numeric string", { keepMonthly: "12" }, "keepMonthly", /got "12"/],
    ["NaN", { keepYearly: Number.NaN }, "keepYearly", /got NaN/],
    ["Infinity", { keepHourly: Infinity }, "keepHourly", /got Infinity/],
    ["null as a value", { keepLast: null }, "keepLast", /got null/],
    ["a bigint", { keepLast: 3n }, "keepLast", /got 3/],
    ["too many", { keepLast: 10001 }, "keepLast", /from 1 to 10000, got 10001/],
    ["keepWithinDays beyond DPM's 448", { keepWithinDays: 449 }, "keepWithinDays", /keepWithinDays must be a whole number from 1 to 448, got 449/],
    ["keepWithinDays of 0", { keepWithinDays: 0 }, "keepWithinDays", /from 1 to 448, got 0/],
  ])("refuses %s", (_, input, field, message) => {
    let err: unknown;
    try {
      validateRetentionPolicy(input);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RetentionPolicyError);
    expect((err as RetentionPolicyError).field).toBe(field);
    expect((err as Error).message).toMatch(message);
  });
});
