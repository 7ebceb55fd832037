/**
 * Secondary protection (SPEC §4, DPM-REFERENCE §5.3): a secondary protects a primary's catalog
 * and the replicas its admin selects.
 *
 * On the secondary, each selected source of the primary is mirrored in the catalog: its
 * computer and agent, its group (named after the primary's, with the primary's policy) and
 * the source itself, with `originServerId`/`originSourceId` pointing back and `protectedHere`
 * false. The scheduler, discovery and alerts leave such a source alone; replication fills its
 * recovery points (copied as missing chunks only); switch protection (switch-protection.ts)
 * makes it protected here. Restores from it work at any time: the primary names this server a
 * standby on the source's agent when the source is selected, and an agent lets a standby
 * restore.
 *
 * This module also serves a linked peer's requests (peer-api.ts): what a secondary may read of
 * its primary, and what a primary may read back of its secondary after switch back.
 */
import { and, desc, eq, inArray, isNotNull, isNull, max, sql } from "drizzle-orm";
import type { CatalogDb } from "@/db/client";
import { agents, catalogSnapshots, dataSources, jobs, protectedComputers, protectionGroups, recoveryPoints, serverLinks, servers } from "@/db/schema";
import type { Services } from "@/server/services";
import type { ChunkFrame } from "@/server/agent/protocol";
import { keyIdOf } from "@/server/agent/protocol";
import { readHeader, type ManifestHeader } from "@/server/engine/manifest";
import { replicateRecoveryPoint, type ReplicationResult, type ReplicationSource } from "@/server/engine/replicate";
import { indexableFiles, recordRecoveryPoint } from "../recovery/recovery-points";
import { PeerClient } from "@/server/peer/peer-client";
import { PeerRefusal, type LinkStatus, type PeerRecoveryPoint, type PeerSource } from "@/server/peer/peer-protocol";
import type { PeerProtectionService } from "@/server/peer/peer-api";
import { ProtocolError } from "@/server/agent/protocol";
import { clientFor } from "../agents/agents";
import { enqueueJob } from "../jobs/job-queue";
import { ZShortTermPolicy } from "../protection/policy-schema";
import { checkShortTermPolicy } from "../protection/short-term-policy";
import { raiseAlert } from "../monitoring/alerts";
import { DomainError } from "../errors";
import { selfServer } from "./peering";
import { linkHealth } from "./link-health";
import { takeCatalogSnapshot } from "./catalog-snapshots";
import { PROTECTED_BY_PRIMARY, type SwitchState } from "./switch-rules";
import { ownershipTakenByPrimary } from "./switch-protection";

/** DPM's range for a secondary's schedule: 15 minutes to a day (it recommends daily). */
export const LINK_MIN_MINUTES = 15;
export const LINK_MAX_MINUTES = 24 * 60;

export interface SecondaryProtectionInput {
  primaryId: string;
  sourceIds: number[];
  catalogEveryMinutes: number;
  replicaEveryMinutes: number;
  catalogRetentionDays: number;
  autoSwitch: boolean;
  graceMinutes: number;
}

// ---------------------------------------------------------------- the link's two ends

function link(db: CatalogDb, primaryId: string, secondaryId: string) {
  return db.select().from(serverLinks).where(and(eq(serverLinks.primaryId, primaryId), eq(serverLinks.secondaryId, secondaryId))).get();
}

/** The primary this server protects, with the link; refused when there is no such link. */
export function primaryLink(db: CatalogDb, primaryId: string) {
  const self = selfServer(db);
  const l = link(db, primaryId, self.id);
  const primary = db.select().from(servers).where(eq(servers.id, primaryId)).get();
  if (!l || !primary) throw new DomainError("NOT_FOUND", "this server does not protect that server: link it as its secondary first", primaryId);
  return { self, link: l, primary };
}

function peerClient(services: Services, primary: { id: string; name: string; url: string; publicKey: string }) {
  return new PeerClient(primary, services.protection.identity());
}

/** Protocol failures towards a peer, as the domain reports them. */
function peerFailure(err: unknown, peer: string): never {
  if (err instanceof ProtocolError) {
    if (err.status === 401) throw new DomainError("FORBIDDEN", `${peer} refused this server: ${err.message}`);
    if (err.status === 502) throw new DomainError("PRECONDITION", `${peer} cannot be reached: ${err.message}`);
    throw new DomainError("PRECONDITION", `${peer}: ${err.message}`);
  }
  throw err;
}

export const parseSwitchState = (json: string | null): SwitchState => {
  if (!json) return PROTECTED_BY_PRIMARY;
  const o = JSON.parse(json) as SwitchState & { since?: string; primarySeenAt?: string };
  if (o.kind === "primary") return o;
  return { ...o, since: new Date(o.since as unknown as string), ...(o.kind === "ownership-required" && { primarySeenAt: new Date(o.primarySeenAt as unknown as string) }) } as SwitchState;
};

// ---------------------------------------------------------------- the secondary's side

/** The primary's protected data sources, live from the primary, with what this server already protects. */
export async function listPrimarySources(services: Services, primaryId: string) {
  const { primary } = primaryLink(services.db, primaryId);
  const remote = await peerClient(services, primary)
    .sources()
    .catch((err: unknown) => peerFailure(err, primary.name));
  const mirrors = new Map(
    services.db
      .select({ originSourceId: dataSources.originSourceId, groupId: dataSources.groupId })
      .from(dataSources)
      .where(eq(dataSources.originServerId, primaryId))
      .all()
      .map((m) => [m.originSourceId!, m]),
  );
  return remote.map((s) => ({ ...s, selected: mirrors.get(s.id)?.groupId != null, switchable: s.agent !== null }));
}

/**
 * Sets what this server protects of its primary and how often. The primary is asked first to
 * name this server a standby on the selected sources' agents (so restores and a switch work
 * later); the catalog changes in one transaction after that. A source dropped from the
 * selection keeps the copies already made (like "stop protection, keep data").
 */
export async function configureSecondaryProtection(services: Services, input: SecondaryProtectionInput, by: string) {
  const { primary } = primaryLink(services.db, input.primaryId);
  const fields: Record<string, string[]> = {};
  const minutes = (n: number) => Number.isInteger(n) && n >= LINK_MIN_MINUTES && n <= LINK_MAX_MINUTES;
  if (!minutes(input.catalogEveryMinutes)) fields.catalogEveryMinutes = [`between ${LINK_MIN_MINUTES} minutes and 24 hours (DPM recommends daily)`];
  if (!minutes(input.replicaEveryMinutes)) fields.replicaEveryMinutes = [`between ${LINK_MIN_MINUTES} minutes and 24 hours`];
  if (!Number.isInteger(input.catalogRetentionDays) || input.catalogRetentionDays < 1 || input.catalogRetentionDays > 365) fields.catalogRetentionDays = ["between 1 and 365 days"];
  // The grace period spans at least three heartbeats (switch-rules.ts), so one lost heartbeat never switches.
  if (!Number.isInteger(input.graceMinutes) || input.graceMinutes < 3 || input.graceMinutes > 7 * 24 * 60) fields.graceMinutes = ["between 3 minutes (three heartbeats) and 7 days"];
  if (Object.keys(fields).length) throw new DomainError("INVALID", "the secondary protection settings are not valid", undefined, fields);

  const remote = await peerClient(services, primary)
    .sources()
    .catch((err: unknown) => peerFailure(err, primary.name));
  const byId = new Map(remote.map((s) => [s.id, s]));
  const unknown = input.sourceIds.filter((id) => !byId.has(id));
  if (unknown.length) throw new DomainError("INVALID", `${primary.name} does not protect data source(s) ${unknown.join(", ")}`, undefined, { sourceIds: ["refresh the list: the primary's sources changed"] });
  // DPM: no data source is protected twice. A selected source's computer protected directly by this server is one.
  const twice = input.sourceIds
    .map((id) => byId.get(id)!)
    .filter((s) => s.agent && services.db.select({ id: agents.id }).from(agents).innerJoin(dataSources, eq(dataSources.computerId, agents.computerId)).where(and(eq(agents.id, s.agent.id), isNull(dataSources.originServerId), isNotNull(dataSources.groupId))).get());
  if (twice.length) {
    const message = `${twice.map((s) => `${s.computer}: ${s.name}`).join(", ")} ${twice.length > 1 ? "are" : "is"} protected by this server directly: a data source is protected by one server only (rule: no-double-protection)`;
    throw new DomainError("CONFLICT", message, undefined, { sourceIds: [message] });
  }
  for (const id of input.sourceIds) {
    const s = byId.get(id)!;
    if (s.policy !== null) {
      const parsed = ZShortTermPolicy.safeParse(JSON.parse(s.policy));
      if (!parsed.success || checkShortTermPolicy(parsed.data as never, { hasDatabases: true }).length) {
        throw new DomainError("PRECONDITION", `${primary.name}'s policy for ${s.group ?? "its group"} cannot be read by this server; upgrade both servers to one release`);
      }
    }
  }

  const standbyOn = input.sourceIds.filter((id) => byId.get(id)!.agent);
  const answer = standbyOn.length ? await peerClient(services, primary).protect(standbyOn).catch((err: unknown) => peerFailure(err, primary.name)) : { standby: [], failed: [] };
  const now = services.clock.now();
  const selected = new Set(input.sourceIds);
  services.db.transaction((tx) => {
    tx.update(serverLinks)
      .set({
        catalogEveryMinutes: input.catalogEveryMinutes,
        replicaEveryMinutes: input.replicaEveryMinutes,
        catalogRetentionDays: input.catalogRetentionDays,
        autoSwitch: input.autoSwitch,
        graceMinutes: input.graceMinutes,
      })
      .where(and(eq(serverLinks.primaryId, primary.id), eq(serverLinks.secondaryId, selfServer(tx).id)))
      .run();
    mirrorSources(tx, primary, remote, selected, now);
  });
  services.log.info({ primary: primary.name, sources: input.sourceIds.length, by, standbyFailed: answer.failed.length }, "secondary protection configured");
  return { selected: input.sourceIds.length, standby: answer.standby, standbyFailed: answer.failed };
}

/**
 * Brings the mirrors of a primary's sources in line with what the primary reported: names,
 * policies and agents follow the primary; selected sources are in their mirrored group,
 * others leave it (their copies stay). Sources the primary no longer reports are marked absent.
 */
export function mirrorSources(tx: CatalogDb, primary: { id: string; name: string }, remote: PeerSource[], selected: ReadonlySet<number>, now: Date): void {
  for (const s of remote) {
    const mirror = tx.select().from(dataSources).where(and(eq(dataSources.originServerId, primary.id), eq(dataSources.originSourceId, s.id))).get();
    if (!mirror && !selected.has(s.id)) continue;
    const computerId = mirrorComputer(tx, primary, s, now, mirror?.computerId);
    const groupId = selected.has(s.id) && s.groupId !== null ? mirrorGroup(tx, primary, s, now) : null;
    if (mirror) {
      tx.update(dataSources).set({ name: s.name, kind: s.kind, path: s.path, computerId, groupId, present: true }).where(eq(dataSources.id, mirror.id)).run();
    } else {
      tx.insert(dataSources)
        .values({ computerId, kind: s.kind, path: s.path, name: s.name, groupId, createdAt: now, protectedSince: now, originServerId: primary.id, originSourceId: s.id, protectedHere: false, replicaState: "creation-pending" })
        .run();
    }
  }
  const reported = new Set(remote.map((s) => s.id));
  for (const m of tx.select({ id: dataSources.id, originSourceId: dataSources.originSourceId }).from(dataSources).where(eq(dataSources.originServerId, primary.id)).all()) {
    if (!reported.has(m.originSourceId!)) tx.update(dataSources).set({ present: false }).where(eq(dataSources.id, m.id)).run();
  }
}

function mirrorComputer(tx: CatalogDb, primary: { name: string }, s: PeerSource, now: Date, current: number | undefined): number {
  if (s.agent) {
    const known = tx.select({ computerId: agents.computerId }).from(agents).where(eq(agents.id, s.agent.id)).get();
    if (known) {
      tx.update(agents).set({ url: s.agent.url, publicKey: s.agent.publicKey, keyId: keyIdOf(s.agent.publicKey) }).where(eq(agents.id, s.agent.id)).run();
      return known.computerId;
    }
  }
  // A computer without an agent here (the primary's own): the mirror keeps the one it has, or one mirror of it is shared by its sources.
  const label = `${s.computer} (${primary.name})`;
  if (!s.agent) {
    if (current !== undefined) return current;
    const same = tx.select({ id: protectedComputers.id }).from(protectedComputers).where(eq(protectedComputers.name, label)).get();
    if (same && !tx.select({ id: agents.id }).from(agents).where(eq(agents.computerId, same.id)).get()) return same.id;
  }
  const name = uniqueName(s.agent ? s.computer : label, (n) => !!tx.select({ id: protectedComputers.id }).from(protectedComputers).where(eq(protectedComputers.name, n)).get());
  const computerId = tx.insert(protectedComputers).values({ name, createdAt: now }).returning({ id: protectedComputers.id }).get().id;
  if (s.agent) tx.insert(agents).values({ id: s.agent.id, computerId, url: s.agent.url, publicKey: s.agent.publicKey, keyId: keyIdOf(s.agent.publicKey), pairedAt: now }).run();
  return computerId;
}

function mirrorGroup(tx: CatalogDb, primary: { id: string; name: string }, s: PeerSource, now: Date): number {
  const existing = tx.select({ id: protectionGroups.id }).from(protectionGroups).where(and(eq(protectionGroups.originServerId, primary.id), eq(protectionGroups.originGroupId, s.groupId!))).get();
  if (existing) {
    tx.update(protectionGroups).set({ policy: s.policy ?? "{}", updatedAt: now }).where(eq(protectionGroups.id, existing.id)).run();
    return existing.id;
  }
  const name = uniqueName(`${s.group ?? "Group"} (${primary.name})`, (n) => !!tx.select({ id: protectionGroups.id }).from(protectionGroups).where(eq(protectionGroups.name, n)).get());
  return tx.insert(protectionGroups).values({ name, createdAt: now, policy: s.policy ?? "{}", originServerId: primary.id, originGroupId: s.groupId! }).returning({ id: protectionGroups.id }).get().id;
}

function uniqueName(base: string, taken: (n: string) => boolean): string {
  if (!taken(base)) return base;
  for (let i = 2; ; i++) if (!taken(`${base} ${i}`)) return `${base} ${i}`;
}

/** Queues a catalog copy and a replication round for a primary now (unless one is waiting). */
export function replicateNow(services: Services, primaryId: string, by: string) {
  const { primary, link: l } = primaryLink(services.db, primaryId);
  if (l.replicaEveryMinutes === null) throw new DomainError("PRECONDITION", `select what to protect of ${primary.name} first`);
  const now = services.clock.now();
  const queued = (["catalog-copy", "replication"] as const).map((type) => pendingLinkJob(services.db, primaryId, type) ?? enqueueJob(services.db, { type, target: primary.name, trigger: "user", requestedBy: by, peerServerId: primaryId }, now));
  services.jobs.pump();
  return { catalogCopyJobId: queued[0]!, replicationJobId: queued[1]! };
}

function pendingLinkJob(db: CatalogDb, peerId: string, type: "catalog-copy" | "replication" | "pull-recovery-points"): number | null {
  return db.select({ id: jobs.id }).from(jobs).where(and(eq(jobs.peerServerId, peerId), eq(jobs.type, type), inArray(jobs.state, ["queued", "running"]))).get()?.id ?? null;
}

/** The minute tick's step: each configured link's catalog copy and replication, when due. */
export function scheduleLinkJobs(services: Services, now: Date): number {
  let self;
  try {
    self = selfServer(services.db);
  } catch {
    return 0;
  }
  let queued = 0;
  const links = services.db.select().from(serverLinks).where(and(eq(serverLinks.secondaryId, self.id), isNotNull(serverLinks.replicaEveryMinutes))).all();
  for (const l of links) {
    const primary = services.db.select({ name: servers.name }).from(servers).where(eq(servers.id, l.primaryId)).get();
    if (!primary) continue;
    for (const [type, every] of [
      ["catalog-copy", l.catalogEveryMinutes],
      ["replication", l.replicaEveryMinutes],
    ] as const) {
      if (every === null || pendingLinkJob(services.db, l.primaryId, type)) continue;
      const last = services.db.select({ at: max(jobs.createdAt) }).from(jobs).where(and(eq(jobs.peerServerId, l.primaryId), eq(jobs.type, type))).get()?.at ?? null;
      if (last && now.getTime() - new Date(last).getTime() < every * 60_000) continue;
      enqueueJob(services.db, { type, target: primary.name, trigger: "schedule", peerServerId: l.primaryId, scheduledFor: now }, now);
      queued++;
    }
  }
  return queued;
}

/** The mirrored sources of a primary that are selected (in a group), for replication. */
export function selectedMirrors(db: CatalogDb, primaryId: string) {
  return db
    .select({ id: dataSources.id, name: dataSources.name, originSourceId: dataSources.originSourceId, protectedHere: dataSources.protectedHere, replicaManifest: dataSources.replicaManifest })
    .from(dataSources)
    .where(and(eq(dataSources.originServerId, primaryId), isNotNull(dataSources.groupId)))
    .all();
}

/**
 * Copies one of a peer's recovery points into this pool (missing chunks only, each verified)
 * and records it on `dataSourceId`, indexed, in one transaction with `alsoRecord` (a crash
 * between the copy and the record leaves chunks and a header nothing names yet; the next round
 * finds them present). Nothing is done when the catalog has that recovery point already.
 */
export async function copyPeerRecoveryPoint(
  services: Services,
  source: ReplicationSource,
  o: { dataSourceId: number; point: PeerRecoveryPoint; madeByServerId: string | null; jobId: number | null; signal?: AbortSignal; onProgress?: (p: { storedBytesCopied: number }) => void; alsoRecord?: (header: ManifestHeader) => void },
): Promise<ReplicationResult | null> {
  if (services.db.select({ id: recoveryPoints.id }).from(recoveryPoints).where(eq(recoveryPoints.manifestId, o.point.manifestId)).get()) return null;
  const pool = services.protection.pool();
  const r = await replicateRecoveryPoint(source, pool, o.point.manifestId, { signal: o.signal, onProgress: o.onProgress });
  const files = await indexableFiles(pool, r.header);
  services.db.$client.transaction(() => {
    recordRecoveryPoint(services.db, { dataSourceId: o.dataSourceId, header: r.header, kind: o.point.kind, jobId: o.jobId, createdAt: new Date(o.point.createdAt), madeByServerId: o.madeByServerId }, files);
    o.alsoRecord?.(r.header);
  })();
  return r;
}

/** The newest recovery point of a mirror that came from the primary (where the next round starts). */
export function lastCopiedAt(db: CatalogDb, dataSourceId: number, primaryId: string): Date | null {
  const at = db.select({ at: max(recoveryPoints.createdAt) }).from(recoveryPoints).where(and(eq(recoveryPoints.dataSourceId, dataSourceId), eq(recoveryPoints.madeByServerId, primaryId))).get()?.at;
  return at ? new Date(at) : null;
}

/** This server's view of its link to a primary, as its heartbeat carries it. */
export function linkStatusFor(db: CatalogDb, primaryId: string): LinkStatus | undefined {
  const self = selfServer(db);
  const l = link(db, primaryId, self.id);
  if (!l) return undefined;
  const switched = db
    .select({ originSourceId: dataSources.originSourceId, switchState: dataSources.switchState })
    .from(dataSources)
    .where(and(eq(dataSources.originServerId, primaryId), eq(dataSources.protectedHere, true)))
    .all()
    .map((r) => {
      const s = parseSwitchState(r.switchState);
      return { id: r.originSourceId!, epoch: s.epoch, how: s.kind === "primary" ? ("manual" as const) : s.how };
    });
  const iso = (d: Date | null) => (d ? d.toISOString() : null);
  return {
    catalogEveryMinutes: l.catalogEveryMinutes,
    replicaEveryMinutes: l.replicaEveryMinutes,
    catalogRetentionDays: l.catalogRetentionDays,
    autoSwitch: l.autoSwitch,
    graceMinutes: l.graceMinutes,
    lastCatalogCopyAt: iso(l.lastCatalogCopyAt),
    inSyncAt: iso(l.inSyncAt),
    lastReplicationAt: iso(l.lastReplicationAt),
    lastReplicationError: l.lastReplicationError,
    bytesReplicated: l.bytesReplicated,
    switched,
  };
}

export const OWNERSHIP_REQUIRED = "agent-ownership-required";

/**
 * The primary's side of a heartbeat: what its secondary says of the link is recorded, and the
 * sources the secondary protects now are fenced here ("Agent ownership required", DPM §5.5).
 * A source this server took back since (a higher epoch here) is a stale report: the secondary
 * missed the switch back, and is told again.
 */
export function recordLinkStatus(services: Services, secondaryId: string, status: LinkStatus, at: Date): void {
  const self = selfServer(services.db);
  const d = (s: string | null) => (s ? new Date(s) : null);
  const reported = new Map(status.switched.map((s) => [s.id, s]));
  const switched = new Set(reported.keys());
  const stale: number[] = [];
  const fenced: { id: number; name: string; computer: string }[] = [];
  services.db.transaction((tx) => {
    tx.update(serverLinks)
      .set({
        catalogEveryMinutes: status.catalogEveryMinutes,
        replicaEveryMinutes: status.replicaEveryMinutes,
        catalogRetentionDays: status.catalogRetentionDays,
        autoSwitch: status.autoSwitch,
        graceMinutes: status.graceMinutes,
        lastCatalogCopyAt: d(status.lastCatalogCopyAt),
        inSyncAt: d(status.inSyncAt),
        lastReplicationAt: d(status.lastReplicationAt),
        lastReplicationError: status.lastReplicationError,
        bytesReplicated: status.bytesReplicated,
      })
      .where(and(eq(serverLinks.primaryId, self.id), eq(serverLinks.secondaryId, secondaryId)))
      .run();
    if (!switched.size) return;
    const own = tx
      .select({ id: dataSources.id, name: dataSources.name, computer: protectedComputers.name, switchState: dataSources.switchState })
      .from(dataSources)
      .innerJoin(protectedComputers, eq(protectedComputers.id, dataSources.computerId))
      .where(and(isNull(dataSources.originServerId), inArray(dataSources.id, [...switched])))
      .all();
    for (const s of own) {
      const state = parseSwitchState(s.switchState);
      const report = reported.get(s.id)!;
      if (state.kind !== "primary") continue;
      if (state.epoch >= report.epoch) {
        stale.push(s.id);
        continue;
      }
      const next: SwitchState = { kind: "ownership-required", epoch: report.epoch, how: report.how, since: at, replica: "inconsistent", primarySeenAt: at };
      tx.update(dataSources).set({ switchState: JSON.stringify(next), protectedHere: false }).where(eq(dataSources.id, s.id)).run();
      fenced.push(s);
    }
  });
  if (stale.length) {
    const secondary = services.db.select({ id: servers.id, name: servers.name, url: servers.url, publicKey: servers.publicKey }).from(servers).where(eq(servers.id, secondaryId)).get();
    if (secondary) {
      new PeerClient(secondary, services.protection.identity()).ownershipTaken(stale).catch((err: unknown) => services.log.warn({ secondary: secondary.name, err: (err as Error).message }, "could not tell the secondary about the switch back"));
    }
  }
  for (const s of fenced) {
    raiseAlert(
      services.db,
      {
        key: `${OWNERSHIP_REQUIRED}:${s.id}`,
        type: OWNERSHIP_REQUIRED,
        severity: "critical",
        dataSourceId: s.id,
        target: `${s.computer}: ${s.name}`,
        title: `Agent ownership required: ${s.computer}: ${s.name}`,
        detail: "Protection of this data source was switched to the secondary server while this server was unreachable. This server does not protect it until it takes ownership back.",
        recommendedAction: "Take ownership of the data source on this server (Servers → the link): protection returns here and the recovery points the secondary made meanwhile are copied back.",
      },
      at,
    );
    services.log.warn({ source: s.name, computer: s.computer }, "data source switched to the secondary: agent ownership required");
  }
}

/** Each data source's number of recovery points and the newest one's time, as select columns. */
const recoveryPointSummary = () => ({
  recoveryPoints: sql<number>`(select count(*) from ${recoveryPoints} where ${recoveryPoints.dataSourceId} = ${dataSources.id})`,
  latest: sql<number | null>`(select max(${recoveryPoints.createdAt}) from ${recoveryPoints} where ${recoveryPoints.dataSourceId} = ${dataSources.id})`,
});

// ---------------------------------------------------------------- what a peer may read here

/** This server's relation with a peer: is the peer its secondary, its primary, both (a mutual pair)? */
function relation(db: CatalogDb, peerId: string) {
  const self = selfServer(db);
  return { selfId: self.id, mySecondary: !!link(db, self.id, peerId), myPrimary: !!link(db, peerId, self.id) };
}

const forbidden = (what: string) => new PeerRefusal(what, 403);

/** The peer API's secondary-protection routes, on this server's catalog and pool. */
export function peerProtectionService(services: Services): PeerProtectionService {
  const db = services.db;

  /** A recovery point's manifest a peer may read: its own primary's sources, or (after switch back) what this server made of that peer's sources. */
  function visibleSource(peerId: string, rel: ReturnType<typeof relation>, sourceId: number, whose: "yours" | "mine"): { id: number; onlyMadeHere: boolean } | null {
    if (whose === "yours" && rel.mySecondary) {
      const own = db.select({ id: dataSources.id }).from(dataSources).where(and(eq(dataSources.id, sourceId), isNull(dataSources.originServerId))).get();
      if (own) return { id: own.id, onlyMadeHere: false };
    }
    if (whose === "mine" && rel.myPrimary) {
      const mirror = db.select({ id: dataSources.id }).from(dataSources).where(and(eq(dataSources.originServerId, peerId), eq(dataSources.originSourceId, sourceId))).get();
      if (mirror) return { id: mirror.id, onlyMadeHere: true };
    }
    return null;
  }

  /** A catalog snapshot is this server's own for its secondary, or the peer's own copy for a (rebuilt) primary. */
  function catalogSnapshotShared(peerId: string, rel: ReturnType<typeof relation>, manifestId: string): boolean {
    const row = db.select({ serverId: catalogSnapshots.serverId }).from(catalogSnapshots).where(eq(catalogSnapshots.manifestId, manifestId)).get();
    return !!row && ((rel.mySecondary && row.serverId === rel.selfId) || (rel.myPrimary && row.serverId === peerId));
  }

  return {
    sources(peerId) {
      if (!relation(db, peerId).mySecondary) throw forbidden("only this server's secondary may list its data sources");
      const rows = db
        .select({
          id: dataSources.id,
          name: dataSources.name,
          kind: dataSources.kind,
          path: dataSources.path,
          computer: protectedComputers.name,
          groupId: dataSources.groupId,
          group: protectionGroups.name,
          policy: protectionGroups.policy,
          agentId: agents.id,
          agentUrl: agents.url,
          agentKey: agents.publicKey,
          builtIn: agents.builtIn,
          switchState: dataSources.switchState,
          ...recoveryPointSummary(),
        })
        .from(dataSources)
        .innerJoin(protectedComputers, eq(protectedComputers.id, dataSources.computerId))
        .innerJoin(protectionGroups, eq(protectionGroups.id, dataSources.groupId))
        .leftJoin(agents, eq(agents.computerId, dataSources.computerId))
        .where(isNull(dataSources.originServerId))
        .all();
      return rows.map((r) => ({
        id: r.id,
        name: r.name,
        kind: r.kind,
        path: r.path,
        computer: r.computer,
        groupId: r.groupId,
        group: r.group,
        policy: r.policy,
        // The server's own computer cannot be protected by another server when this one is gone: its recovery points are still copied.
        agent: r.agentId && !r.builtIn ? { id: r.agentId, name: r.computer, url: r.agentUrl!, publicKey: r.agentKey! } : null,
        recoveryPoints: Number(r.recoveryPoints),
        latestRecoveryPointAt: r.latest === null ? null : new Date(Number(r.latest)).toISOString(),
        switched: parseSwitchState(r.switchState).kind !== "primary",
      }));
    },

    async protect(peerId, sourceIds) {
      if (!relation(db, peerId).mySecondary) throw forbidden("only this server's secondary may protect its data sources");
      const secondary = db.select().from(servers).where(eq(servers.id, peerId)).get()!;
      const standby: number[] = [];
      const failed: { id: number; error: string }[] = [];
      for (const id of sourceIds) {
        const row = db
          .select({ agentId: agents.id, builtIn: agents.builtIn })
          .from(dataSources)
          .leftJoin(agents, eq(agents.computerId, dataSources.computerId))
          .where(and(eq(dataSources.id, id), isNull(dataSources.originServerId)))
          .get();
        if (!row?.agentId || row.builtIn) {
          failed.push({ id, error: row ? "the server's own computer has no agent another server could take over" : "no such data source" });
          continue;
        }
        try {
          await clientFor(services, row.agentId).addStandby({ id: secondary.id, name: secondary.name, url: secondary.url, publicKey: secondary.publicKey });
          standby.push(id);
        } catch (err) {
          failed.push({ id, error: (err as Error).message });
        }
      }
      return { standby, failed };
    },

    async catalogSnapshot(peerId) {
      if (!relation(db, peerId).mySecondary) throw forbidden("only this server's secondary may copy its catalog");
      return takeCatalogSnapshot(services);
    },

    recoveryPoints(peerId, sourceId, whose, after, all): PeerRecoveryPoint[] {
      const rel = relation(db, peerId);
      const source = visibleSource(peerId, rel, sourceId, whose);
      if (!source) throw forbidden(`data source ${sourceId} is not one this server shares with that peer`);
      const where = [eq(recoveryPoints.dataSourceId, source.id), isNotNull(recoveryPoints.manifestId)];
      if (after) where.push(sql`${recoveryPoints.createdAt} > ${after.getTime()}`);
      // The pull after switch back wants what this server made; a rebuilt primary wants everything it holds of its sources.
      if (source.onlyMadeHere && !all) where.push(isNull(recoveryPoints.madeByServerId));
      return db
        .select({ manifestId: recoveryPoints.manifestId, createdAt: recoveryPoints.createdAt, kind: recoveryPoints.kind, sizeBytes: recoveryPoints.sizeBytes, files: recoveryPoints.files, madeByServerId: recoveryPoints.madeByServerId })
        .from(recoveryPoints)
        .where(and(...where))
        .orderBy(recoveryPoints.createdAt, recoveryPoints.id)
        .limit(5000)
        .all()
        .map((r) => ({ ...r, manifestId: r.manifestId!, createdAt: r.createdAt.toISOString() }));
    },

    header(peerId, manifestId): ManifestHeader {
      const rel = relation(db, peerId);
      const rp = db
        .select({ dataSourceId: recoveryPoints.dataSourceId, originServerId: dataSources.originServerId, originSourceId: dataSources.originSourceId })
        .from(recoveryPoints)
        .innerJoin(dataSources, eq(dataSources.id, recoveryPoints.dataSourceId))
        .where(eq(recoveryPoints.manifestId, manifestId))
        .get();
      const allowed = rp
        ? rp.originServerId === null
          ? rel.mySecondary
          : rel.myPrimary && rp.originServerId === peerId
        : catalogSnapshotShared(peerId, rel, manifestId);
      if (!allowed) throw new PeerRefusal(`no recovery point ${manifestId} this server shares with that peer`, 404);
      return readHeader(services.protection.pool().dir, manifestId);
    },

    ownershipTaken(peerId, sourceIds) {
      if (!relation(db, peerId).myPrimary) throw forbidden("only a primary takes ownership of its own sources back");
      return ownershipTakenByPrimary(services, peerId, sourceIds);
    },

    async chunks(peerId, ids): Promise<ChunkFrame[]> {
      const rel = relation(db, peerId);
      if (!rel.mySecondary && !rel.myPrimary) throw forbidden("only a linked server may read chunks");
      // Chunks are named by their content's hash: a peer can only ask for what a manifest it may read names.
      const pool = services.protection.pool();
      const frames: ChunkFrame[] = [];
      for (const id of ids) {
        const loc = pool.locate(id);
        if (loc) frames.push({ id, codec: loc.codec, rawLength: loc.rawLength, stored: await pool.readStored(id, loc) });
      }
      return frames;
    },
  };
}

// ---------------------------------------------------------------- what the pages show

/** A link as its page shows it: settings, health and lag, catalog copies, and the protected sources with their switch state. */
export function linkDetail(services: Services, primaryId: string, secondaryId: string) {
  const db = services.db;
  const l = link(db, primaryId, secondaryId);
  if (!l) throw new DomainError("NOT_FOUND", "no such link", `${primaryId}→${secondaryId}`);
  const self = selfServer(db);
  const role: "primary" | "secondary" = self.id === primaryId ? "primary" : "secondary";
  const peerRow = (id: string) => db.select({ id: servers.id, name: servers.name, url: servers.url, lastContactAt: servers.lastContactAt }).from(servers).where(eq(servers.id, id)).get()!;
  const sources = db
    .select({
      id: dataSources.id,
      originSourceId: dataSources.originSourceId,
      name: dataSources.name,
      kind: dataSources.kind,
      path: dataSources.path,
      computer: protectedComputers.name,
      groupId: dataSources.groupId,
      group: protectionGroups.name,
      replicaState: dataSources.replicaState,
      protectedHere: dataSources.protectedHere,
      switchState: dataSources.switchState,
      present: dataSources.present,
      ...recoveryPointSummary(),
    })
    .from(dataSources)
    .innerJoin(protectedComputers, eq(protectedComputers.id, dataSources.computerId))
    .leftJoin(protectionGroups, eq(protectionGroups.id, dataSources.groupId))
    .where(role === "secondary" ? eq(dataSources.originServerId, primaryId) : and(isNull(dataSources.originServerId), isNotNull(dataSources.switchState)))
    .orderBy(protectedComputers.name, dataSources.name)
    .all()
    .map((r) => {
      const s = parseSwitchState(r.switchState);
      return { ...r, recoveryPoints: Number(r.recoveryPoints), latestRecoveryPointAt: r.latest === null ? null : new Date(Number(r.latest)), switch: s, latest: undefined };
    });
  const switchedSources = role === "secondary" ? sources.filter((s) => s.protectedHere).length : sources.filter((s) => s.switch.kind !== "primary").length;
  const now = services.clock.now();
  const health = linkHealth({ createdAt: l.createdAt, lastContactAt: l.lastContactAt, replicaEveryMinutes: l.replicaEveryMinutes, inSyncAt: l.inSyncAt, lastReplicationError: l.lastReplicationError, switchedSources }, now);
  const snapshots = db
    .select({ id: catalogSnapshots.id, takenAt: catalogSnapshots.takenAt, copiedAt: catalogSnapshots.copiedAt, sizeBytes: catalogSnapshots.sizeBytes, manifestId: catalogSnapshots.manifestId })
    .from(catalogSnapshots)
    .where(eq(catalogSnapshots.serverId, primaryId))
    .orderBy(desc(catalogSnapshots.takenAt))
    .limit(50)
    .all();
  return {
    role,
    primary: peerRow(primaryId),
    secondary: peerRow(secondaryId),
    createdAt: l.createdAt,
    lastContactAt: l.lastContactAt,
    config:
      l.replicaEveryMinutes === null
        ? null
        : { catalogEveryMinutes: l.catalogEveryMinutes!, replicaEveryMinutes: l.replicaEveryMinutes, catalogRetentionDays: l.catalogRetentionDays, autoSwitch: l.autoSwitch, graceMinutes: l.graceMinutes },
    health,
    lastCatalogCopyAt: l.lastCatalogCopyAt,
    lastReplicationAt: l.lastReplicationAt,
    lastReplicationError: l.lastReplicationError,
    inSyncAt: l.inSyncAt,
    bytesReplicated: l.bytesReplicated,
    catalogSnapshots: snapshots,
    sources,
  };
}

/** Each link's health for the topology page's edges (what this server knows of them). */
export function linkHealthByEdge(services: Services) {
  const now = services.clock.now();
  const self = selfServer(services.db);
  const out = new Map<string, ReturnType<typeof linkHealth> & { lastCatalogCopyAt: Date | null; lastReplicationAt: Date | null; switchedSources: number; protectedSources: number }>();
  for (const l of services.db.select().from(serverLinks).all()) {
    const mirrors = l.secondaryId === self.id ? services.db.select({ here: dataSources.protectedHere, groupId: dataSources.groupId }).from(dataSources).where(eq(dataSources.originServerId, l.primaryId)).all() : [];
    const fencedHere =
      l.primaryId === self.id
        ? services.db.select({ n: sql<number>`count(*)` }).from(dataSources).where(and(isNull(dataSources.originServerId), eq(dataSources.protectedHere, false))).get()!.n
        : 0;
    const switchedSources = l.secondaryId === self.id ? mirrors.filter((m) => m.here).length : Number(fencedHere);
    const h = linkHealth({ createdAt: l.createdAt, lastContactAt: l.lastContactAt, replicaEveryMinutes: l.replicaEveryMinutes, inSyncAt: l.inSyncAt, lastReplicationError: l.lastReplicationError, switchedSources }, now);
    out.set(`${l.primaryId}>${l.secondaryId}`, { ...h, lastCatalogCopyAt: l.lastCatalogCopyAt, lastReplicationAt: l.lastReplicationAt, switchedSources, protectedSources: mirrors.filter((m) => m.groupId !== null).length });
  }
  return out;
}


