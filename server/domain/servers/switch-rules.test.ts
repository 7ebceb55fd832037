import { describe, expect, it } from "vitest";
import {
  agentAcceptsOwner,
  autoSwitchAt,
  checkAutoSwitchSettings,
  mayPrimaryProtect,
  maySecondaryProtect,
  primaryContact,
  PROTECTED_BY_PRIMARY,
  shouldAutoSwitch,
  switchedReplicaAfter,
  switchedReplicaChecking,
  switchGroup,
  switchProtection,
  takeOwnership,
  type SwitchPreconditions,
  type SwitchState,
  type Transition,
} from "./switch-rules";

const T0 = new Date("2026-11-24T12:00:00Z");
const at = (ms: number) => new Date(T0.getTime() + ms);
const ready: SwitchPreconditions = { linkEstablished: true, secondaryReplica: "ok", secondaryRecoveryPoints: 12 };

function stateOf(t: Transition): SwitchState {
  if (!t.ok) throw new Error(`refused: ${t.issues.map((i) => i.rule).join(", ")}`);
  return t.state;
}
const rulesOf = (t: Transition) => (t.ok ? [] : t.issues.map((i) => i.rule));
const switched = stateOf(switchProtection(PROTECTED_BY_PRIMARY, { how: "manual", at: T0, pre: ready }));

describe("switching protection to the secondary (DPM-REFERENCE §5.5)", () => {
  it("makes the secondary the owner at a new epoch, with the replica inconsistent until a consistency check", () => {
    const t = switchProtection(PROTECTED_BY_PRIMARY, { how: "manual", at: T0, pre: ready });
    expect(t).toEqual({
      ok: true,
      state: { kind: "switched", epoch: 1, how: "manual", since: T0, replica: "inconsistent" },
      followUp: ["hand-agent-over", "consistency-check"],
    });
  });

  it.each<[string, Partial<SwitchPreconditions>, string[]]>([
    ["an established link and a consistent copy", {}, []],
    ["an inconsistent copy (the check after the switch covers it)", { secondaryReplica: "inconsistent" }, []],
    ["no link to the primary", { linkEstablished: false }, ["link-required"]],
    ["no copy on the secondary", { secondaryReplica: null, secondaryRecoveryPoints: 0 }, ["replica-required"]],
    ["a copy whose first transfer has not completed", { secondaryReplica: "creation-pending", secondaryRecoveryPoints: 0 }, ["replica-required"]],
    ["a replica with no recovery point copied yet", { secondaryRecoveryPoints: 0 }, ["replica-required"]],
    ["a copy missing from the secondary's pool", { secondaryReplica: "missing" }, ["replica-missing"]],
    ["neither link nor copy", { linkEstablished: false, secondaryReplica: null, secondaryRecoveryPoints: 0 }, ["link-required", "replica-required"]],
  ])("%s → %j", (_, pre, expected) => {
    expect(rulesOf(switchProtection(PROTECTED_BY_PRIMARY, { how: "manual", at: T0, pre: { ...ready, ...pre } }))).toEqual(expected);
  });

  it("is refused when protection is already switched, also while ownership is required", () => {
    expect(rulesOf(switchProtection(switched, { how: "manual", at: at(1), pre: ready }))).toEqual(["already-switched"]);
    const back = primaryContact(switched, at(1000));
    expect(rulesOf(switchProtection(back, { how: "automatic", at: at(2000), pre: ready }))).toEqual(["already-switched"]);
    const refused = switchProtection(switched, { how: "manual", at: at(1), pre: ready });
    expect(refused.ok ? null : refused.issues[0]!.message).toBe("Protection is already switched to the secondary (since 2026-11-24T12:00:00.000Z).");
  });

  it("a group switches source by source; the ones the secondary cannot take are refused with their reasons", () => {
    const r = switchGroup(
      [
        { key: "docs", state: PROTECTED_BY_PRIMARY, pre: ready },
        { key: "scans", state: PROTECTED_BY_PRIMARY, pre: { ...ready, secondaryReplica: null, secondaryRecoveryPoints: 0 } },
        { key: "crm", state: switched, pre: ready },
      ],
      { how: "manual", at: at(5) },
    );
    expect(r.switched.map((s) => [s.key, s.state.kind, s.state.epoch])).toEqual([["docs", "switched", 1]]);
    expect(r.refused.map((s) => [s.key, s.issues.map((i) => i.rule)])).toEqual([
      ["scans", ["replica-required"]],
      ["crm", ["already-switched"]],
    ]);
  });
});

describe("the switched replica is checked before the secondary makes recovery points", () => {
  it.each<[string, SwitchState, "synchronization" | "recovery-point" | "consistency-check", string | null]>([
    ["not switched: the primary protects it", PROTECTED_BY_PRIMARY, "recovery-point", "not-switched"],
    ["just switched (inconsistent): no recovery point", switched, "recovery-point", "replica-state"],
    ["just switched (inconsistent): no synchronization", switched, "synchronization", "replica-state"],
    ["just switched: the consistency check may run", switched, "consistency-check", null],
    ["checking: no recovery point yet", switchedReplicaChecking(switched), "recovery-point", "replica-state"],
    ["checked: recovery points go on", switchedReplicaAfter(switchedReplicaChecking(switched), "consistency-check", "succeeded"), "recovery-point", null],
    ["check failed: still inconsistent", switchedReplicaAfter(switchedReplicaChecking(switched), "consistency-check", "failed"), "recovery-point", "replica-state"],
    ["checked, primary back (ownership required): the secondary goes on", primaryContact(switchedReplicaAfter(switched, "consistency-check", "succeeded"), at(60_000)), "recovery-point", null],
  ])("%s", (_, state, action, rule) => {
    const p = maySecondaryProtect(state, action);
    expect(p.ok ? null : p.rule).toBe(rule);
  });

  it("states what blocks it", () => {
    const p = maySecondaryProtect(switched, "recovery-point");
    expect(p.ok ? null : p.message).toMatch(/^The switched replica: the replica is inconsistent: a consistency check must succeed first/);
    expect(switchedReplicaChecking(switched)).toMatchObject({ replica: "checking" });
    expect(switchedReplicaAfter(PROTECTED_BY_PRIMARY, "consistency-check", "succeeded")).toBe(PROTECTED_BY_PRIMARY);
  });
});

describe("fencing: a primary that comes back while switched does not protect", () => {
  it.each<[string, SwitchState, boolean]>([
    ["never switched", PROTECTED_BY_PRIMARY, true],
    ["switched", switched, false],
    ["primary back, ownership required", primaryContact(switched, at(1000)), false],
    ["ownership taken back", stateOf(takeOwnership(primaryContact(switched, at(1000)), { at: at(2000), primaryReplica: "ok" })), true],
  ])("%s → the primary may protect: %s", (_, state, ok) => {
    const p = mayPrimaryProtect(state);
    expect(p.ok).toBe(ok);
    if (!p.ok) expect(p.rule).toBe("fenced");
  });

  it("the primary's return raises ownership-required (once: the first contact is kept)", () => {
    const back = primaryContact(switched, at(1000));
    expect(back).toEqual({ kind: "ownership-required", epoch: 1, how: "manual", since: T0, replica: "inconsistent", primarySeenAt: at(1000) });
    expect(primaryContact(back, at(5000))).toBe(back);
    expect(primaryContact(PROTECTED_BY_PRIMARY, at(1000))).toBe(PROTECTED_BY_PRIMARY);
    const fenced = mayPrimaryProtect(back);
    expect(fenced.ok ? null : fenced.message).toMatch(/^Agent ownership required/);
  });

  it("agents obey the owner at the highest epoch: the returning primary's old epoch is refused", () => {
    // Primary P owns the agent at epoch 0; the secondary S switches (epoch 1).
    let agent = { ownerId: "P", epoch: 0 };
    expect(agentAcceptsOwner(agent, { serverId: "S", epoch: 1 })).toEqual({ ok: true, adopt: true });
    agent = { ownerId: "S", epoch: 1 };
    expect(agentAcceptsOwner(agent, { serverId: "P", epoch: 0 })).toMatchObject({ ok: false, rule: "stale-epoch" });
    expect(agentAcceptsOwner(agent, { serverId: "P", epoch: 1 })).toMatchObject({ ok: false, rule: "not-owner" });
    expect(agentAcceptsOwner(agent, { serverId: "S", epoch: 1 })).toEqual({ ok: true, adopt: false });
    // P takes ownership back (epoch 2): now S is the one fenced off.
    expect(agentAcceptsOwner(agent, { serverId: "P", epoch: 2 })).toEqual({ ok: true, adopt: true });
    agent = { ownerId: "P", epoch: 2 };
    expect(agentAcceptsOwner(agent, { serverId: "S", epoch: 1 })).toMatchObject({ ok: false, rule: "stale-epoch" });
  });
});

describe("switching back: taking ownership on the primary", () => {
  it.each<[string, SwitchState, string[]]>([
    ["from switched", switched, []],
    ["from ownership-required", primaryContact(switched, at(1000)), []],
    ["when never switched", PROTECTED_BY_PRIMARY, ["not-switched"]],
  ])("%s → %j", (_, state, expected) => {
    expect(rulesOf(takeOwnership(state, { at: at(2000), primaryReplica: "ok" }))).toEqual(expected);
  });

  it("returns protection to the primary at a new epoch; it pulls the secondary's recovery points and checks its replica", () => {
    expect(takeOwnership(primaryContact(switched, at(1000)), { at: at(2000), primaryReplica: "inconsistent" })).toEqual({
      ok: true,
      state: { kind: "primary", epoch: 2 },
      followUp: ["hand-agent-over", "pull-recovery-points", "consistency-check"],
    });
  });

  it.each([null, "missing", "creation-pending"] as const)("needs the primary's own replica (a rebuilt primary restores it first): %s", (primaryReplica) => {
    expect(rulesOf(takeOwnership(switched, { at: at(2000), primaryReplica }))).toEqual(["replica-required"]);
  });
});

describe("automatic switch: only after the grace period, heartbeats missed", () => {
  const settings = { enabled: true, graceMs: 30_000, heartbeatMs: 10_000 };
  it.each<[string, Partial<Parameters<typeof shouldAutoSwitch>[0]>, boolean, number]>([
    ["just heard from", { now: at(0) }, false, 0],
    ["one heartbeat missed", { now: at(10_000) }, false, 1],
    ["just before the grace period ends", { now: at(29_999) }, false, 2],
    ["exactly at the grace period", { now: at(30_000) }, false, 3],
    ["a millisecond after it", { now: at(30_001) }, true, 3],
    ["one heartbeat later", { now: at(40_000) }, true, 4],
    ["long after, but automatic switch is off", { now: at(3_600_000), enabled: false }, false, 360],
    ["never in contact", { now: at(3_600_000), lastContactAt: null }, false, 0],
    ["a clock that went backwards", { now: at(-5_000) }, false, 0],
    ["a grace period shorter than three heartbeats", { now: at(3_600_000), graceMs: 20_000 }, false, 360],
  ])("%s", (_, o, expected, missed) => {
    const d = shouldAutoSwitch({ ...settings, lastContactAt: T0, now: T0, ...o });
    expect(d.switch).toBe(expected);
    expect(d.missedHeartbeats).toBe(missed);
  });

  it("explains the decision", () => {
    expect(shouldAutoSwitch({ ...settings, lastContactAt: T0, now: at(30_000) }).reason).toBe("the primary was last heard from 30000 ms ago, within the 30000 ms grace period");
    expect(shouldAutoSwitch({ ...settings, lastContactAt: T0, now: at(40_000) })).toEqual({
      switch: true,
      reason: "the primary has been silent for 40000 ms (4 heartbeats missed), longer than the 30000 ms grace period",
      silentMs: 40_000,
      missedHeartbeats: 4,
    });
    expect(shouldAutoSwitch({ ...settings, graceMs: 20_000, lastContactAt: T0, now: at(60_000) }).reason).toMatch(/settings are invalid: The grace period must span at least 3 heartbeats/);
  });

  it.each<[number, number, number]>([
    [30_000, 10_000, 40_000],
    [35_000, 10_000, 40_000],
    [39_999, 10_000, 40_000],
    [40_000, 10_000, 50_000],
  ])("checked at each heartbeat, a grace of %i ms with heartbeats every %i ms switches at +%i ms: within grace + one heartbeat", (graceMs, heartbeatMs, expected) => {
    const when = autoSwitchAt({ lastContactAt: T0, graceMs, heartbeatMs });
    expect(when).toEqual(at(expected));
    expect(when.getTime() - T0.getTime()).toBeLessThanOrEqual(graceMs + heartbeatMs);
    expect(shouldAutoSwitch({ enabled: true, graceMs, heartbeatMs, lastContactAt: T0, now: when }).switch).toBe(true);
    expect(shouldAutoSwitch({ enabled: true, graceMs, heartbeatMs, lastContactAt: T0, now: new Date(when.getTime() - heartbeatMs) }).switch).toBe(false);
  });

  it.each<[number, number, string[]]>([
    [30_000, 10_000, []],
    [29_999, 10_000, ["grace-heartbeats"]],
    [30_000, 0, ["heartbeat-interval"]],
    [30_000, 2.5, ["heartbeat-interval"]],
  ])("settings: grace %s ms, heartbeat %s ms → %j", (graceMs, heartbeatMs, expected) => {
    expect(checkAutoSwitchSettings({ graceMs, heartbeatMs }).map((i) => i.rule)).toEqual(expected);
  });

  it("an automatic switch then follows the same rules as a manual one", () => {
    const d = shouldAutoSwitch({ ...settings, lastContactAt: T0, now: at(40_000) });
    expect(d.switch).toBe(true);
    const t = switchProtection(PROTECTED_BY_PRIMARY, { how: "automatic", at: at(40_000), pre: ready });
    expect(stateOf(t)).toMatchObject({ kind: "switched", how: "automatic", since: at(40_000), replica: "inconsistent" });
    expect(rulesOf(switchProtection(PROTECTED_BY_PRIMARY, { how: "automatic", at: at(40_000), pre: { ...ready, secondaryReplica: null, secondaryRecoveryPoints: 0 } }))).toEqual(["replica-required"]);
  });
});
