/**
 * Switch protection and switch back, on the catalog and the agents (the rules are pure, in
 * switch-rules.ts; DPM-REFERENCE §5.5, SPEC §4).
 *
 * Switch (on the secondary): for each of the primary's sources it holds copies of, the rules
 * decide; the source's agent is then asked to take this server as its owner (the primary
 * named it a standby when the source was selected). The agent's ownership is the fence: from
 * then on it refuses the primary's requests. Only after the agent said yes does the catalog
 * change: the source is protected here, its replica is inconsistent, and a consistency check
 * is queued; the group's schedule (the primary's policy) then goes on from here.
 *
 * Switch back (on the primary, "Agent ownership required"): the primary takes the agent back,
 * tells the secondary (which stops protecting the source), and pulls the recovery points the
 * secondary made meanwhile before a consistency check of its own replica.
 */
import { and, count, eq, inArray, isNotNull, isNull } from "drizzle-orm";
import { agents, dataSources, protectedComputers, recoveryPoints, serverLinks, servers } from "@/db/schema";
import type { Services } from "@/server/services";
import { PeerClient } from "@/server/peer/peer-client";
import { clientFor } from "../agents/agents";
import { enqueueJob } from "../jobs/job-queue";
import { resolveAlert } from "../monitoring/alerts";
import { recordAuditEvent } from "../audit/record-audit-event";
import { DomainError } from "../errors";
import { selfServer } from "./peering";
import { HEARTBEAT_MS } from "./link-health";
import { OWNERSHIP_REQUIRED, parseSwitchState, primaryLink } from "./secondary-protection";
import { shouldAutoSwitch, switchProtection as switchRule, takeOwnership as takeOwnershipRule, type SwitchHow, type SwitchIssue } from "./switch-rules";

export interface SourceOutcome {
  id: number;
  name: string;
  computer: string;
}

export interface SwitchResult {
  switched: (SourceOutcome & { checkJobId: number })[];
  refused: (SourceOutcome & { issues: SwitchIssue[] })[];
}

/** Switches protection of a primary's sources (a mirrored group's, or those named) to this server. */
export async function switchProtection(services: Services, input: { primaryId: string; groupId?: number; dataSourceIds?: number[] }, by: string, how: SwitchHow = "manual"): Promise<SwitchResult> {
  const { primary } = primaryLink(services.db, input.primaryId);
  const where = [eq(dataSources.originServerId, primary.id)];
  if (input.groupId !== undefined) where.push(eq(dataSources.groupId, input.groupId));
  if (input.dataSourceIds !== undefined) where.push(inArray(dataSources.id, input.dataSourceIds));
  const members = services.db
    .select({ id: dataSources.id, name: dataSources.name, computer: protectedComputers.name, groupId: dataSources.groupId, replicaState: dataSources.replicaState, switchState: dataSources.switchState, agentId: agents.id })
    .from(dataSources)
    .innerJoin(protectedComputers, eq(protectedComputers.id, dataSources.computerId))
    .leftJoin(agents, eq(agents.computerId, dataSources.computerId))
    .where(and(...where))
    .all();
  if (input.dataSourceIds) {
    const missing = input.dataSourceIds.filter((id) => !members.some((m) => m.id === id));
    if (missing.length) throw new DomainError("NOT_FOUND", `data source(s) ${missing.join(", ")} are not ${primary.name}'s sources protected by this server`);
  }
  if (!members.length) throw new DomainError("NOT_FOUND", `that group holds none of ${primary.name}'s sources`);
  const result: SwitchResult = { switched: [], refused: [] };
  for (const m of members) {
    const base = { id: m.id, name: m.name, computer: m.computer };
    const rps = services.db.select({ n: count() }).from(recoveryPoints).where(eq(recoveryPoints.dataSourceId, m.id)).get()!.n;
    const at = services.clock.now();
    const t = switchRule(parseSwitchState(m.switchState), { how, at, pre: { linkEstablished: true, secondaryReplica: m.groupId === null ? null : m.replicaState, secondaryRecoveryPoints: rps } });
    if (!t.ok) {
      result.refused.push({ ...base, issues: t.issues });
      continue;
    }
    if (!m.agentId) {
      result.refused.push({ ...base, issues: [{ rule: "not-owner", message: `${m.computer} has no protection agent another server can take over (it is ${primary.name}'s own computer).` }] });
      continue;
    }
    try {
      // The fence: once the agent names this server its owner, it refuses the primary.
      const agent = await clientFor(services, m.agentId).takeOwnership();
      if (agent.owner?.id !== selfServer(services.db).id) throw new Error(`the agent names ${agent.owner?.name ?? "no server"} its owner`);
    } catch (err) {
      result.refused.push({ ...base, issues: [{ rule: "not-owner", message: `The agent on ${m.computer} did not accept this server as its owner: ${(err as Error).message}` }] });
      continue;
    }
    // Only if no other switch (the minute's automatic one and an admin's, say) got there while the agent was asked: one check, one record.
    const checkJobId = services.db.transaction((tx) => {
      const changed = tx
        .update(dataSources)
        .set({ switchState: JSON.stringify(t.state), protectedHere: true, replicaState: "inconsistent", replicaStateAt: at })
        .where(and(eq(dataSources.id, m.id), eq(dataSources.protectedHere, false)))
        .run().changes;
      if (!changed) return null;
      return enqueueJob(tx, { type: "consistency-check", target: m.name, trigger: "system", requestedBy: by, dataSourceId: m.id, groupId: m.groupId, params: { afterSwitch: true } }, at);
    });
    if (checkJobId === null) {
      result.refused.push({ ...base, issues: [{ rule: "already-switched", message: "Protection was switched to this server meanwhile (by another switch of the same source)." }] });
      continue;
    }
    recordAuditEvent(services.db, { at, username: by, action: "protection.switched", target: `${m.computer}:${m.name}`, outcome: "ok", detail: `${how} switch from ${primary.name}; consistency check job ${checkJobId}` });
    result.switched.push({ ...base, checkJobId });
  }
  services.log.warn({ primary: primary.name, how, switched: result.switched.length, refused: result.refused.length, by }, "protection switched to this server");
  services.jobs.pump();
  return result;
}

/**
 * The opt-in automatic switch, each minute on the secondary: for each link that enables it,
 * once the primary has been silent longer than the grace period, every selected source not
 * switched yet is switched (the agents' ownership fences a primary that was only cut off).
 * Sources without an agent here (the primary's own computer, protected by its built-in agent)
 * can never be taken over: they are left out rather than refused again every minute while the
 * primary stays silent. A source whose agent does not answer is tried again at the next tick.
 */
export async function autoSwitchStep(services: Services, now: Date): Promise<number> {
  let self;
  try {
    self = selfServer(services.db);
  } catch {
    return 0;
  }
  let switched = 0;
  const links = services.db.select().from(serverLinks).where(and(eq(serverLinks.secondaryId, self.id), eq(serverLinks.autoSwitch, true))).all();
  for (const l of links) {
    const decision = shouldAutoSwitch({ enabled: true, graceMs: l.graceMinutes * 60_000, heartbeatMs: HEARTBEAT_MS, lastContactAt: l.lastContactAt, now });
    if (!decision.switch) continue;
    const candidates = services.db
      .select({ id: dataSources.id })
      .from(dataSources)
      .innerJoin(agents, eq(agents.computerId, dataSources.computerId))
      .where(and(eq(dataSources.originServerId, l.primaryId), eq(dataSources.protectedHere, false), isNotNull(dataSources.groupId)))
      .all()
      .map((r) => r.id);
    if (!candidates.length) continue;
    const r = await switchProtection(services, { primaryId: l.primaryId, dataSourceIds: candidates }, "system", "automatic");
    services.log.warn(
      { primary: l.primaryId, reason: decision.reason, switched: r.switched.map((x) => x.name), refused: r.refused.map((x) => `${x.name}: ${x.issues.map((i) => i.message).join(" ")}`) },
      "automatic switch of protection",
    );
    switched += r.switched.length;
  }
  return switched;
}

/**
 * Switch back, on the primary: it takes its sources' agents back, tells its secondary, and
 * queues the pull of the secondary's recovery points, then a consistency check of each.
 */
export async function takeOwnership(services: Services, input: { dataSourceIds: number[] }, by: string) {
  const self = selfServer(services.db);
  const secondary = services.db
    .select({ id: servers.id, name: servers.name, url: servers.url, publicKey: servers.publicKey })
    .from(serverLinks)
    .innerJoin(servers, eq(servers.id, serverLinks.secondaryId))
    .where(eq(serverLinks.primaryId, self.id))
    .get();
  const rows = services.db
    .select({ id: dataSources.id, name: dataSources.name, computer: protectedComputers.name, groupId: dataSources.groupId, replicaState: dataSources.replicaState, replicaManifest: dataSources.replicaManifest, switchState: dataSources.switchState, agentId: agents.id })
    .from(dataSources)
    .innerJoin(protectedComputers, eq(protectedComputers.id, dataSources.computerId))
    .leftJoin(agents, eq(agents.computerId, dataSources.computerId))
    .where(and(inArray(dataSources.id, input.dataSourceIds), isNull(dataSources.originServerId)))
    .all();
  const missing = input.dataSourceIds.filter((id) => !rows.some((r) => r.id === id));
  if (missing.length) throw new DomainError("NOT_FOUND", `no data source(s) ${missing.join(", ")} of this server`);
  const taken: (SourceOutcome & { checkJobId: number })[] = [];
  const refused: (SourceOutcome & { issues: SwitchIssue[] })[] = [];
  for (const r of rows) {
    const base = { id: r.id, name: r.name, computer: r.computer };
    const at = services.clock.now();
    const t = takeOwnershipRule(parseSwitchState(r.switchState), { at, primaryReplica: r.replicaManifest ? r.replicaState : null });
    if (!t.ok) {
      refused.push({ ...base, issues: t.issues });
      continue;
    }
    try {
      if (!r.agentId) throw new Error("the computer has no agent");
      const agent = await clientFor(services, r.agentId).takeOwnership();
      if (agent.owner?.id !== self.id) throw new Error(`the agent names ${agent.owner?.name ?? "no server"} its owner`);
    } catch (err) {
      refused.push({ ...base, issues: [{ rule: "not-owner", message: `The agent on ${r.computer} did not return to this server: ${(err as Error).message}` }] });
      continue;
    }
    const checkJobId = services.db.transaction((tx) => {
      tx.update(dataSources).set({ switchState: JSON.stringify(t.state), protectedHere: true, replicaState: "inconsistent", replicaStateAt: at }).where(eq(dataSources.id, r.id)).run();
      return enqueueJob(tx, { type: "consistency-check", target: r.name, trigger: "system", requestedBy: by, dataSourceId: r.id, groupId: r.groupId, params: { afterSwitchBack: true } }, at);
    });
    resolveAlert(services.db, `${OWNERSHIP_REQUIRED}:${r.id}`, at, by);
    recordAuditEvent(services.db, { at, username: by, action: "protection.ownership-taken", target: `${r.computer}:${r.name}`, outcome: "ok", detail: `switch back${secondary ? ` from ${secondary.name}` : ""}; consistency check job ${checkJobId}` });
    taken.push({ ...base, checkJobId });
  }
  let pullJobId: number | null = null;
  let secondaryTold: string | null = null;
  if (taken.length && secondary) {
    const ids = taken.map((t) => t.id);
    try {
      await new PeerClient(secondary, services.protection.identity()).ownershipTaken(ids);
      secondaryTold = "ok";
    } catch (err) {
      // The secondary's agent calls fail from now on anyway (the agents are fenced); its page shows the sources as switched until it hears.
      secondaryTold = (err as Error).message;
      services.log.warn({ secondary: secondary.name, err: secondaryTold }, "could not tell the secondary about the switch back");
    }
    pullJobId = enqueueJob(services.db, { type: "pull-recovery-points", target: secondary.name, trigger: "system", requestedBy: by, peerServerId: secondary.id, params: { dataSourceIds: ids } }, services.clock.now());
  }
  services.jobs.pump();
  return { taken, refused, pullJobId, secondaryTold };
}

/** On the secondary: its primary took these sources back; they are the primary's to protect again. */
export function ownershipTakenByPrimary(services: Services, primaryId: string, originSourceIds: number[]): number {
  const at = services.clock.now();
  let n = 0;
  for (const m of services.db.select().from(dataSources).where(and(eq(dataSources.originServerId, primaryId), inArray(dataSources.originSourceId, originSourceIds))).all()) {
    const s = parseSwitchState(m.switchState);
    services.db
      .update(dataSources)
      .set({ switchState: JSON.stringify({ kind: "primary", epoch: s.epoch + 1 }), protectedHere: false })
      .where(eq(dataSources.id, m.id))
      .run();
    n++;
  }
  services.log.info({ primary: primaryId, sources: n, at }, "the primary took its data sources back");
  return n;
}
