/**
 * Switch protection (failover) and switch back, per data source, as pure functions that name
 * the rule behind every refusal (../shared/DPM-REFERENCE.md §5.4, §5.5, §11; SPEC.md §4).
 *
 *            switchProtection (manual, or automatic after the grace period)
 *   primary ─────────────────────────────────────────────► switched
 *      ▲                                                      │ the primary is heard from again
 *      │ takeOwnership (on the primary)                       ▼
 *      └──────────────────────────────────────────── ownership-required
 *        (also straight from switched)
 *
 *   - primary: the primary protects the source; its secondary only copies the replica.
 *   - switched: the secondary protects it (DPM's "Switch Disaster Protection", §5.5). The switched
 *     replica is inconsistent until a consistency check succeeds (§5.5 [RECSRV][BKDPM]); until
 *     then it makes no recovery points, though restores from it still work (§3.2).
 *   - ownership-required: the primary is back while the source is switched: it raises "Agent
 *     Ownership Required" (§5.5) and, fenced, does not protect the source; the secondary goes on
 *     until the primary takes ownership.
 *   - Taking ownership (DPM's switch back) is allowed only from the secondary's switched state.
 *     Then (beyond DPM, SPEC §4) the primary pulls the recovery points the secondary made
 *     meanwhile, and checks its replica.
 *
 * Fencing: each change of owner increments an ownership epoch, which the new owner presents to
 * the source's agent. An agent obeys only its owner at the highest epoch it has seen, so a
 * primary that comes back (or never really went away, when an automatic switch followed a
 * network split) cannot keep protecting the source alongside the secondary.
 *
 * Where the reference is silent, and what we do:
 *   - Automatic switch: DPM documents none (§5.5, §11); SPEC adds it as an opt-in. It happens only
 *     once the primary has been silent for longer than the grace period, and the grace period
 *     spans at least MIN_MISSED_HEARTBEATS heartbeats, so one lost heartbeat never switches.
 *   - DPM does not say what "healthy" means for the secondary's side. We require the link to be
 *     established (peered, not removed) and a usable copy on the secondary; the primary being
 *     unreachable is the usual reason to switch, so it is not a refusal.
 *   - A group is switched source by source (Start-DPMSwitchProtection takes data sources, §5.5):
 *     sources the secondary cannot take are refused one by one, the others switch.
 */
import { replicaAfter, replicaAllows, type ReplicaState } from "../scheduling/job-rules";

export type SwitchHow = "manual" | "automatic";

export type SwitchState =
  | { kind: "primary"; epoch: number }
  | { kind: "switched"; epoch: number; how: SwitchHow; since: Date; replica: ReplicaState }
  | { kind: "ownership-required"; epoch: number; how: SwitchHow; since: Date; replica: ReplicaState; primarySeenAt: Date };

/** A source that was never switched. */
export const PROTECTED_BY_PRIMARY: SwitchState = { kind: "primary", epoch: 0 };

export type SwitchRule =
  | "already-switched"
  | "link-required"
  | "replica-required"
  | "replica-missing"
  | "not-switched"
  | "fenced"
  | "replica-state"
  | "stale-epoch"
  | "not-owner"
  | "heartbeat-interval"
  | "grace-heartbeats";

export interface SwitchIssue {
  rule: SwitchRule;
  message: string;
}

/** What has to happen after a transition, in this order. */
export type FollowUp =
  /** Tell the source's agent its new owner and epoch. */
  | "hand-agent-over"
  /** A consistency check of the owner's replica (switched replicas are inconsistent until checked). */
  | "consistency-check"
  /** The primary copies the recovery points the secondary made while switched. */
  | "pull-recovery-points";

export type Transition = { ok: true; state: SwitchState; followUp: FollowUp[] } | { ok: false; issues: SwitchIssue[] };

/** What the secondary must have for a source before it can take it over. */
export interface SwitchPreconditions {
  /** This server is the secondary of the source's primary: peered, link not removed. */
  linkEstablished: boolean;
  /** The state of the secondary's copy of the source's replica; null when it holds none (not selected, or not copied yet). */
  secondaryReplica: ReplicaState | null;
  /** Recovery points of the source the secondary holds. */
  secondaryRecoveryPoints: number;
}

/** The secondary takes over protection of the source (manual switch, or automatic failover). */
export function switchProtection(state: SwitchState, o: { how: SwitchHow; at: Date; pre: SwitchPreconditions }): Transition {
  if (state.kind !== "primary") {
    return {
      ok: false,
      issues: [{ rule: "already-switched", message: `Protection is already switched to the secondary (since ${state.since.toISOString()}).` }],
    };
  }
  const issues: SwitchIssue[] = [];
  if (!o.pre.linkEstablished) {
    issues.push({ rule: "link-required", message: "This server is not the secondary of the source's primary: only the secondary that holds its replica can switch protection." });
  }
  const r = o.pre.secondaryReplica;
  if (r === "missing") {
    issues.push({ rule: "replica-missing", message: "The secondary's copy of the replica is missing from its storage pool: there is nothing to go on from." });
  } else if (r === null || r === "creation-pending" || o.pre.secondaryRecoveryPoints < 1) {
    issues.push({
      rule: "replica-required",
      message: "The secondary holds no copy of this source yet: select its replica on the link and let one copy complete before switching.",
    });
  }
  if (issues.length) return { ok: false, issues };
  return {
    ok: true,
    state: { kind: "switched", epoch: state.epoch + 1, how: o.how, since: o.at, replica: "inconsistent" },
    followUp: ["hand-agent-over", "consistency-check"],
  };
}

/**
 * Switch a protection group: each of its sources that the secondary can take over switches;
 * the others are refused one by one, with their reasons.
 */
export function switchGroup<K>(
  members: readonly { key: K; state: SwitchState; pre: SwitchPreconditions }[],
  o: { how: SwitchHow; at: Date },
): { switched: { key: K; state: SwitchState; followUp: FollowUp[] }[]; refused: { key: K; issues: SwitchIssue[] }[] } {
  const switched: { key: K; state: SwitchState; followUp: FollowUp[] }[] = [];
  const refused: { key: K; issues: SwitchIssue[] }[] = [];
  for (const m of members) {
    const t = switchProtection(m.state, { ...o, pre: m.pre });
    if (t.ok) switched.push({ key: m.key, state: t.state, followUp: t.followUp });
    else refused.push({ key: m.key, issues: t.issues });
  }
  return { switched, refused };
}

/** The primary was heard from: while switched, it must now take ownership before it protects. */
export function primaryContact(state: SwitchState, at: Date): SwitchState {
  if (state.kind !== "switched") return state;
  return { ...state, kind: "ownership-required", primarySeenAt: at };
}

/** The secondary's switched replica after a consistency check (or a synchronization) ends. */
export function switchedReplicaAfter(state: SwitchState, job: "synchronization" | "consistency-check", outcome: "succeeded" | "failed"): SwitchState {
  if (state.kind === "primary") return state;
  return { ...state, replica: replicaAfter(state.replica, job, outcome) };
}

/** A consistency check of the switched replica started. */
export function switchedReplicaChecking(state: SwitchState): SwitchState {
  if (state.kind === "primary" || state.replica === "missing") return state;
  return { ...state, replica: "checking" };
}

/**
 * Switch back: the primary takes ownership of the source again (DPM's "Take Ownership" on the
 * "Agent Ownership Required" alert). `primaryReplica` is the primary's own replica of the
 * source: a rebuilt primary restores it from the secondary first (§5.6).
 */
export function takeOwnership(state: SwitchState, o: { at: Date; primaryReplica: ReplicaState | null }): Transition {
  if (state.kind === "primary") {
    return { ok: false, issues: [{ rule: "not-switched", message: "The primary already protects this source: there is no ownership to take back." }] };
  }
  if (o.primaryReplica === null || o.primaryReplica === "missing" || o.primaryReplica === "creation-pending") {
    return {
      ok: false,
      issues: [
        {
          rule: "replica-required",
          message: "The primary has no replica of this source: restore it from the secondary (rebuild the primary) before taking ownership.",
        },
      ],
    };
  }
  return { ok: true, state: { kind: "primary", epoch: state.epoch + 1 }, followUp: ["hand-agent-over", "pull-recovery-points", "consistency-check"] };
}

export type Permission = { ok: true } | { ok: false; rule: SwitchRule; message: string };

/** Fencing: the primary protects the source only while protection is not switched. */
export function mayPrimaryProtect(state: SwitchState): Permission {
  switch (state.kind) {
    case "primary":
      return { ok: true };
    case "switched":
      return { ok: false, rule: "fenced", message: "Protection of this source is switched to the secondary: the primary does not protect it until it takes ownership back." };
    case "ownership-required":
      return { ok: false, rule: "fenced", message: "Agent ownership required: the secondary protects this source; take ownership on the primary to protect it again." };
  }
}

/**
 * Whether the secondary may run a protection job for the source: only while switched, and new
 * recovery points and synchronizations only once its switched replica is consistent again.
 */
export function maySecondaryProtect(state: SwitchState, action: "synchronization" | "recovery-point" | "consistency-check"): Permission {
  if (state.kind === "primary") {
    return { ok: false, rule: "not-switched", message: "The primary protects this source; its secondary only copies the replica (switch protection first)." };
  }
  const r = replicaAllows(state.replica, action);
  return r.ok ? r : { ok: false, rule: "replica-state", message: `The switched replica: ${r.reason}.` };
}

/**
 * Fencing at the agent: it obeys the owner at the highest epoch it has seen. A higher epoch is
 * a new owner (the secondary after a switch, the primary after taking ownership), which the
 * agent adopts; anyone presenting an older epoch has been fenced off. (Whether the server
 * presenting it is one the agent may belong to at all is the peering's concern.)
 */
export function agentAcceptsOwner(agent: { ownerId: string; epoch: number }, request: { serverId: string; epoch: number }): { ok: true; adopt: boolean } | { ok: false; rule: SwitchRule; message: string } {
  if (request.epoch > agent.epoch) return { ok: true, adopt: true };
  if (request.epoch < agent.epoch) {
    return { ok: false, rule: "stale-epoch", message: `Ownership of this agent moved on (epoch ${agent.epoch}, this request carries ${request.epoch}): the server has been fenced off and must not protect it.` };
  }
  if (request.serverId !== agent.ownerId) {
    return { ok: false, rule: "not-owner", message: `This agent belongs to another server at epoch ${agent.epoch}.` };
  }
  return { ok: true, adopt: false };
}

/** At least this many heartbeats go unanswered before an automatic switch. */
export const MIN_MISSED_HEARTBEATS = 3;

export interface AutoSwitchSettings {
  enabled: boolean;
  /** How long the primary may stay silent before the secondary switches, in ms. */
  graceMs: number;
  /** How often the secondary asks the primary, in ms. */
  heartbeatMs: number;
}

export function checkAutoSwitchSettings(s: Pick<AutoSwitchSettings, "graceMs" | "heartbeatMs">): SwitchIssue[] {
  if (!Number.isInteger(s.heartbeatMs) || s.heartbeatMs < 1) {
    return [{ rule: "heartbeat-interval", message: "The heartbeat interval is a whole, positive number of milliseconds." }];
  }
  if (!Number.isInteger(s.graceMs) || s.graceMs < MIN_MISSED_HEARTBEATS * s.heartbeatMs) {
    return [
      {
        rule: "grace-heartbeats",
        message: `The grace period must span at least ${MIN_MISSED_HEARTBEATS} heartbeats (${MIN_MISSED_HEARTBEATS * s.heartbeatMs} ms with a heartbeat every ${s.heartbeatMs} ms), so that a lost heartbeat or two never switches protection.`,
      },
    ];
  }
  return [];
}

/**
 * Whether the secondary should switch protection automatically now: only when enabled, with
 * valid settings, after contact with the primary, and once the primary has been silent for
 * longer than the grace period (at exactly the grace period, not yet).
 */
export function shouldAutoSwitch(o: AutoSwitchSettings & { lastContactAt: Date | null; now: Date }): { switch: boolean; reason: string; silentMs: number | null; missedHeartbeats: number } {
  const silentMs = o.lastContactAt === null ? null : o.now.getTime() - o.lastContactAt.getTime();
  const missedHeartbeats = silentMs === null || silentMs < 0 || o.heartbeatMs < 1 ? 0 : Math.floor(silentMs / o.heartbeatMs);
  const no = (reason: string) => ({ switch: false, reason, silentMs, missedHeartbeats });
  if (!o.enabled) return no("automatic switch is not enabled");
  const bad = checkAutoSwitchSettings(o);
  if (bad.length) return no(`the automatic switch settings are invalid: ${bad[0]!.message}`);
  if (silentMs === null) return no("the primary has never been in contact: there is nothing to fail over from");
  if (silentMs <= o.graceMs) return no(`the primary was last heard from ${silentMs} ms ago, within the ${o.graceMs} ms grace period`);
  return { switch: true, reason: `the primary has been silent for ${silentMs} ms (${missedHeartbeats} heartbeats missed), longer than the ${o.graceMs} ms grace period`, silentMs, missedHeartbeats };
}

/**
 * When an automatic switch happens if the secondary checks at each heartbeat after the last
 * contact: the first heartbeat after the grace period, so at most one heartbeat past it.
 */
export function autoSwitchAt(o: { lastContactAt: Date; graceMs: number; heartbeatMs: number }): Date {
  const beats = Math.floor(o.graceMs / o.heartbeatMs) + 1;
  return new Date(o.lastContactAt.getTime() + beats * o.heartbeatMs);
}
