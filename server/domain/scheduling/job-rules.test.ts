import { describe, expect, it } from "vitest";
import { JOB_STATES, type JobState } from "@/db/schema";
import { needsAutomaticCheck, recoverAfterRestart, replicaAfter, replicaAllows, retryRefusal, transitionRefusal } from "./job-rules";

describe("job transitions", () => {
  const allowed: [JobState, JobState][] = [
    ["scheduled", "queued"],
    ["scheduled", "cancelled"],
    ["queued", "running"],
    ["queued", "cancelled"],
    ["running", "succeeded"],
    ["running", "failed"],
    ["running", "cancelled"],
  ];
  it("allows exactly the lifecycle's edges, and explains every other move", () => {
    for (const from of JOB_STATES) {
      for (const to of JOB_STATES) {
        const ok = allowed.some(([a, b]) => a === from && b === to);
        const refusal = transitionRefusal(from, to);
        expect(refusal === null, `${from} → ${to}`).toBe(ok);
      }
    }
    expect(transitionRefusal("succeeded", "running")).toMatch(/has ended/);
    expect(transitionRefusal("queued", "succeeded")).toMatch(/queued job can become running or cancelled/);
  });
});

describe("retry (DPM's rule)", () => {
  it.each<[JobState, "system" | "user" | null, RegExp | null]>([
    ["failed", "system", null],
    ["cancelled", "system", null],
    ["cancelled", "user", /cancelled by a user/],
    ["succeeded", null, /succeeded/],
    ["running", null, /not ended/],
    ["scheduled", null, /not ended/],
  ])("%s (ended by %s)", (state, endedBy, refusal) => {
    const r = retryRefusal({ state, endedBy });
    if (refusal === null) expect(r).toBeNull();
    else expect(r).toMatch(refusal);
  });
});

describe("after a restart", () => {
  it("no job stays running: running ones fail (retried by policy), queued ones wait again", () => {
    const jobs = [
      { id: 1, state: "running" as const, type: "recovery-point", attempt: 1 },
      { id: 2, state: "running" as const, type: "restore", attempt: 1 },
      { id: 3, state: "running" as const, type: "synchronization", attempt: 3 },
      { id: 4, state: "queued" as const, type: "synchronization", attempt: 1 },
      { id: 5, state: "succeeded" as const, type: "synchronization", attempt: 1 },
    ];
    const r = recoverAfterRestart(jobs, { retriable: (t) => t !== "restore", maxAttempts: 3 });
    expect(r.fail.map((j) => j.id)).toEqual([1, 2, 3]);
    expect(r.retry.map((j) => j.id)).toEqual([1]); // a restore is not retried blindly; job 3 used its attempts
    expect(r.requeue.map((j) => j.id)).toEqual([4]);
  });
});

describe("replica states", () => {
  it("an inconsistent replica blocks new recovery points but not restores", () => {
    expect(replicaAllows("inconsistent", "recovery-point")).toMatchObject({ ok: false, reason: expect.stringMatching(/consistency check must succeed/) });
    expect(replicaAllows("inconsistent", "synchronization").ok).toBe(false);
    expect(replicaAllows("inconsistent", "restore").ok).toBe(true);
    expect(replicaAllows("inconsistent", "consistency-check").ok).toBe(true);
  });
  it("the other states", () => {
    expect(replicaAllows("ok", "recovery-point").ok).toBe(true);
    expect(replicaAllows("creation-pending", "recovery-point").ok).toBe(false);
    expect(replicaAllows("creation-pending", "synchronization").ok).toBe(true);
    expect(replicaAllows("checking", "recovery-point").ok).toBe(false);
    expect(replicaAllows("checking", "restore").ok).toBe(true);
    expect(replicaAllows("missing", "restore").ok).toBe(false);
  });
  it("jobs move the state: success makes it OK, a failed synchronization makes it inconsistent; the automatic check repairs it when enabled", () => {
    expect(replicaAfter("ok", "synchronization", "failed")).toBe("inconsistent");
    expect(replicaAfter("inconsistent", "consistency-check", "succeeded")).toBe("ok");
    expect(replicaAfter("checking", "consistency-check", "failed")).toBe("inconsistent");
    expect(replicaAfter("missing", "consistency-check", "succeeded")).toBe("missing");
    expect(needsAutomaticCheck("inconsistent", true)).toBe(true);
    expect(needsAutomaticCheck("inconsistent", false)).toBe(false);
    expect(needsAutomaticCheck("ok", true)).toBe(false);
  });
});
