import { describe, expect, it } from "vitest";
import { defaultShortTermPolicy, type ShortTermPolicy } from "@/server/domain/protection/short-term-policy";
import { coalesce, dueJobs, type ScheduledGroup } from "./due-jobs";

const at = (iso: string) => new Date(iso);
const policy = (over: Partial<ShortTermPolicy> = {}): ShortTermPolicy => ({ ...defaultShortTermPolicy({ hasDatabases: false }), ...over });
const brief = (jobs: ReturnType<typeof dueJobs>) => jobs.map((j) => `${j.scheduledFor.toISOString().slice(11, 16)} ${j.groupId} ${j.type}`);

describe("dueJobs", () => {
  it("lists syncs every N minutes from midnight and recovery points at their times, sync first at a shared instant", () => {
    const groups: ScheduledGroup[] = [{ groupId: 1, policy: policy() }]; // sync 15 min; RPs 08:00, 12:00, 18:00 daily
    expect(brief(dueJobs(groups, at("2026-11-24T07:44:00Z"), at("2026-11-24T08:15:00Z")))).toEqual([
      "07:45 1 synchronization",
      "08:00 1 synchronization",
      "08:00 1 recovery-point",
      "08:15 1 synchronization",
    ]);
  });

  it("the window is (from, to]: a job exactly at `from` was the previous tick's", () => {
    const groups = [{ groupId: 1, policy: policy() }];
    expect(brief(dueJobs(groups, at("2026-11-24T08:00:00Z"), at("2026-11-24T08:00:59Z")))).toEqual([]);
    expect(brief(dueJobs(groups, at("2026-11-24T07:59:59Z"), at("2026-11-24T08:00:00Z")))).toEqual(["08:00 1 synchronization", "08:00 1 recovery-point"]);
  });

  it("45-minute syncs restart at midnight; 'just before a recovery point' syncs only then", () => {
    const every45 = [{ groupId: 2, policy: policy({ synchronization: { everyMinutes: 45 }, recoveryPoints: { days: ["tue"], times: ["09:00"] } }) }];
    expect(brief(dueJobs(every45, at("2026-11-23T23:00:00Z"), at("2026-11-24T01:40:00Z")))).toEqual([
      "23:15 2 synchronization",
      "00:00 2 synchronization",
      "00:45 2 synchronization",
      "01:30 2 synchronization",
    ]);
    const justBefore = [{ groupId: 3, policy: policy({ synchronization: { justBeforeRecoveryPoint: true } }) }];
    expect(brief(dueJobs(justBefore, at("2026-11-24T00:00:00Z"), at("2026-11-24T23:59:00Z")))).toEqual([
      "08:00 3 synchronization",
      "08:00 3 recovery-point",
      "12:00 3 synchronization",
      "12:00 3 recovery-point",
      "18:00 3 synchronization",
      "18:00 3 recovery-point",
    ]);
  });

  it("honours days of the week, express full and the consistency-check window", () => {
    const g = [
      {
        groupId: 4,
        policy: policy({
          synchronization: { everyMinutes: 1440 },
          recoveryPoints: { days: ["mon"], times: ["06:00"] },
          expressFull: { days: ["tue"], times: ["20:00"] },
          consistencyCheck: { automaticWhenInconsistent: true, window: { days: ["tue"], start: "22:00", maxHours: 4 } },
        }),
      },
    ];
    // 2026-11-23 is a Monday.
    const jobs = dueJobs(g, at("2026-11-23T00:00:00Z"), at("2026-11-25T00:00:00Z"));
    expect(brief(jobs)).toEqual(["06:00 4 recovery-point", "00:00 4 synchronization", "20:00 4 express-full", "22:00 4 consistency-check", "00:00 4 synchronization"]);
    expect(jobs.find((j) => j.type === "consistency-check")!.maxHours).toBe(4);
  });

  it("reads times of day in the server's time zone, across a daylight-saving change", () => {
    const g = [{ groupId: 5, policy: policy({ synchronization: { justBeforeRecoveryPoint: true }, recoveryPoints: { days: ["sun", "mon"], times: ["01:30", "02:30"] } }) }];
    // Europe/Berlin: 2026-10-25 clocks go back at 03:00 CEST to 02:00 CET (02:xx happens twice).
    const back = dueJobs(g, at("2026-10-24T22:00:00Z"), at("2026-10-25T03:00:00Z"), "Europe/Berlin").filter((j) => j.type === "recovery-point");
    expect(back.map((j) => j.scheduledFor.toISOString())).toEqual(["2026-10-24T23:30:00.000Z", "2026-10-25T00:30:00.000Z"]); // 02:30 once, at its first instant
    // 2026-03-29 clocks go forward at 02:00 to 03:00: 02:30 does not exist that day.
    const fwd = dueJobs(g, at("2026-03-28T22:00:00Z"), at("2026-03-29T03:00:00Z"), "Europe/Berlin").filter((j) => j.type === "recovery-point");
    expect(fwd.map((j) => j.scheduledFor.toISOString())).toEqual(["2026-03-29T00:30:00.000Z"]);
  });

  it("refuses windows longer than a week and unknown time zones", () => {
    expect(() => dueJobs([], at("2026-11-01T00:00:00Z"), at("2026-11-09T00:00:00Z"))).toThrow(RangeError);
    expect(() => dueJobs([{ groupId: 1, policy: policy() }], at("2026-11-01T00:00:00Z"), at("2026-11-01T00:05:00Z"), "Mars/Olympus")).toThrow(RangeError);
  });
});

describe("coalesce", () => {
  it("runs each group's job type once after a late tick, counting what it missed", () => {
    const g = [{ groupId: 1, policy: policy() }, { groupId: 2, policy: policy({ synchronization: { everyMinutes: 60 } }) }];
    const jobs = dueJobs(g, at("2026-11-24T07:00:00Z"), at("2026-11-24T12:30:00Z"));
    const c = coalesce(jobs);
    expect(c.map(({ job, missed }) => `${job.groupId} ${job.type} ${job.scheduledFor.toISOString().slice(11, 16)} missed ${missed}`)).toEqual([
      "1 recovery-point 12:00 missed 1",
      "2 synchronization 12:00 missed 4",
      "2 recovery-point 12:00 missed 1",
      "1 synchronization 12:30 missed 21",
    ]);
  });
});
