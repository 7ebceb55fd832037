/**
 * Removing a link between a primary and its secondary (DPM's "stop protection" of a primary
 * server on its secondary), by an admin of either end; the rules are pure, in
 * link-removal-rules.ts.
 *
 * In order: the rules are checked on this end (never while protection of a source is
 * switched). The other end is told (signed POST /peer-api/v1/unlink), checks the same rules on
 * its own catalog and drops its half; its refusal stops everything here. When it cannot be
 * reached, or no longer lists the link, this end goes on alone and says so: the other end can
 * remove its half alone later (its peer then no longer knows the link). Then each end stops
 * the link's jobs (a running one is cancelled and awaited), a primary drops the secondary
 * from its agents' standby lists, and the link leaves the catalog.
 *
 * The secondary's copies are kept (recovery points and catalog snapshots stay, read-only and
 * restorable, expiring under their retention: DPM's "retain replica") or deleted (mirrored
 * sources, groups, recovery points and catalog snapshots of that primary; the manifests go at
 * once and the chunks at the prune queued with it). A link removed from the primary leaves
 * them kept: they are the secondary's. Nothing of the primary's own data is touched, on
 * either end. Without the link, the topology rules free the primary for another secondary.
 */
import { and, eq, inArray, isNotNull, isNull, sql } from "drizzle-orm";
import type { CatalogDb } from "@/db/client";
import { agents, catalogSnapshots, dataSources, indexedFiles, jobs, peerEnrolmentTokens, protectedComputers, protectionGroups, recoveryPoints, schedulerState, serverLinks, servers } from "@/db/schema";
import type { Services } from "@/server/services";
import { ProtocolError } from "@/server/agent/protocol";
import { removeHeader } from "@/server/engine/manifest";
import { PeerClient } from "@/server/peer/peer-client";
import { PeerRefusal, type UnlinkAnswer, type UnlinkRequest } from "@/server/peer/peer-protocol";
import { clientFor } from "../agents/agents";
import { enqueueJob, type JobType } from "../jobs/job-queue";
import { resolveAlert } from "../monitoring/alerts";
import { recordAuditEvent } from "../audit/record-audit-event";
import { DomainError } from "../errors";
import { selfServer } from "./peering";
import { SECONDARY_QUIET, primaryUnreachableKey } from "./heartbeats";
import { parseSwitchState } from "./secondary-protection";
import { checkLinkRemoval, type CopiesChoice, type LinkEnd, type LinkRemovalIssue } from "./link-removal-rules";

/** How long removing a link waits for a cancelled job of the link to stop before it goes on. */
const JOB_STOP_WAIT_MS = 30_000;
const AGENT_TIMEOUT_MS = 10_000;

/** The jobs of a link on each end: the secondary's copies, the primary's pull after switch back. */
const LINK_JOB_TYPES: Record<LinkEnd, JobType[]> = { secondary: ["catalog-copy", "replication"], primary: ["pull-recovery-points"] };

interface ServerRef {
  id: string;
  name: string;
  url: string;
  publicKey: string;
}

export interface RemoveLinkInput {
  primaryId: string;
  secondaryId: string;
  /** The secondary's copies (asked on the secondary only). */
  copies?: CopiesChoice;
}

export interface RemoveLinkResult {
  end: LinkEnd;
  primary: { id: string; name: string };
  secondary: { id: string; name: string };
  /** What became of the secondary's copies: on the primary's end, kept by the secondary. */
  copies: CopiesChoice;
  /** Whether the other end dropped its half; when not, why, and whether it still lists the link. */
  otherEnd: { told: true } | { told: false; stillListed: boolean; message: string };
  /** The primary's agents that dropped the secondary as a standby (null when the primary could not be told). */
  standby: { removed: number; failed: { agent: string; error: string }[] } | null;
  cancelledJobs: number[];
  deleted: { dataSources: number; recoveryPoints: number; catalogSnapshots: number } | null;
  pruneJobId: number | null;
}

// ---------------------------------------------------------------- catalog facts

function linkRow(db: CatalogDb, primaryId: string, secondaryId: string) {
  return db.select().from(serverLinks).where(and(eq(serverLinks.primaryId, primaryId), eq(serverLinks.secondaryId, secondaryId))).get();
}

function serverRef(db: CatalogDb, id: string): ServerRef {
  return db.select({ id: servers.id, name: servers.name, url: servers.url, publicKey: servers.publicKey }).from(servers).where(eq(servers.id, id)).get()!;
}

/** The primary's data sources whose protection is switched to the secondary, as this end knows them. */
function switchedSources(db: CatalogDb, end: LinkEnd, primaryId: string): { computer: string; name: string }[] {
  const base = db.select({ computer: protectedComputers.name, name: dataSources.name, switchState: dataSources.switchState }).from(dataSources).innerJoin(protectedComputers, eq(protectedComputers.id, dataSources.computerId));
  // The secondary protects its mirror of a switched source; the primary's own source is switched, or awaits its ownership back.
  const rows = end === "secondary" ? base.where(and(eq(dataSources.originServerId, primaryId), eq(dataSources.protectedHere, true))).all() : base.where(and(isNull(dataSources.originServerId), isNotNull(dataSources.switchState))).all().filter((r) => parseSwitchState(r.switchState).kind !== "primary");
  return rows.map(({ computer, name }) => ({ computer, name }));
}

const KEPT_CATALOG_RETENTION = "kept-catalog-retention:";

/**
 * How long the copies of a former primary's catalog, kept when its link was removed, are
 * retained (the link's retention then, kept in the catalog's key/value table); null when none
 * were kept.
 */
export function keptCatalogRetentionDays(db: CatalogDb, serverId: string): number | null {
  const v = db.select({ v: schedulerState.value }).from(schedulerState).where(eq(schedulerState.key, KEPT_CATALOG_RETENTION + serverId)).get()?.v;
  return v ? Number(v) : null;
}

function refuse(issues: LinkRemovalIssue[]): never {
  const fields: Record<string, string[]> = {};
  for (const i of issues) if (i.field) (fields[i.field] ??= []).push(i.message);
  const message = issues.map((i) => `${i.message} (rule: ${i.rule})`).join(" ");
  throw new DomainError(issues.some((i) => i.rule === "switched-sources") ? "CONFLICT" : "INVALID", message, undefined, Object.keys(fields).length ? fields : undefined);
}

// ---------------------------------------------------------------- the steps

/** Tells the other end; a refusal (the rules, there) stops the removal, anything else lets this end go on alone. */
async function tellOtherEnd(services: Services, peer: ServerRef, request: UnlinkRequest): Promise<{ otherEnd: RemoveLinkResult["otherEnd"]; answer: UnlinkAnswer | null }> {
  try {
    return { otherEnd: { told: true }, answer: await new PeerClient(peer, services.protection.identity()).unlink(request) };
  } catch (err) {
    const status = err instanceof ProtocolError ? err.status : 0;
    const message = (err as Error).message;
    if (status === 409 || status === 403) throw new DomainError("CONFLICT", `${peer.name} refused to remove the link, so nothing was changed: ${message}`);
    // It does not know this server any more (404: no such link there; 401: no link left to verify this server by).
    if (status === 404 || (status === 401 && /unknown key/.test(message))) return { otherEnd: { told: false, stillListed: false, message: `${peer.name} no longer lists this link: its half was removed there already` }, answer: null };
    services.log.warn({ peer: peer.name, err: message }, "could not tell the other end of a removed link");
    return {
      otherEnd: { told: false, stillListed: true, message: `${peer.name} could not be told (${message}): it still lists the link until its admin removes it there too, which works without this server` },
      answer: null,
    };
  }
}

/** Cancels the link's open jobs on this end and waits (bounded) for a running one to stop. */
async function stopLinkJobs(services: Services, peerId: string, end: LinkEnd, by: string): Promise<number[]> {
  const open = () =>
    services.db
      .select({ id: jobs.id })
      .from(jobs)
      .where(and(eq(jobs.peerServerId, peerId), inArray(jobs.type, LINK_JOB_TYPES[end]), inArray(jobs.state, ["scheduled", "queued", "running"])))
      .all()
      .map((j) => j.id);
  const ids = open();
  for (const id of ids) {
    try {
      services.jobs.cancel(id, by);
    } catch {
      // It ended between the query and the cancel: nothing to stop.
    }
  }
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([Promise.all(ids.map((id) => services.jobs.ended(id))), new Promise((resolve) => (timer = setTimeout(resolve, JOB_STOP_WAIT_MS)))]);
  clearTimeout(timer);
  return ids;
}

/** On the primary: each agent it owns drops the secondary from its standby list; an agent that cannot is logged and named. */
async function dropStandby(services: Services, secondary: ServerRef): Promise<NonNullable<RemoveLinkResult["standby"]>> {
  const owned = services.db
    .select({ id: agents.id, computer: protectedComputers.name })
    .from(agents)
    .innerJoin(protectedComputers, eq(protectedComputers.id, agents.computerId))
    // Not the built-in agent (never a standby's), nor the agents of another primary's sources mirrored here (not this server's).
    .where(and(eq(agents.builtIn, false), sql`not exists (select 1 from ${dataSources} where ${dataSources.computerId} = ${agents.computerId} and ${dataSources.originServerId} is not null)`))
    .all();
  const failed: { agent: string; error: string }[] = [];
  await Promise.all(
    owned.map(async (a) => {
      try {
        await clientFor(services, a.id).removeStandby(secondary.id, AbortSignal.timeout(AGENT_TIMEOUT_MS));
      } catch (err) {
        const older = err instanceof ProtocolError && err.status === 404;
        const error = older ? `the agent's release cannot drop a standby: it keeps ${secondary.name} as one until it is upgraded` : (err as Error).message;
        services.log.warn({ agent: a.computer, secondary: secondary.name, err: error }, "could not drop the secondary from an agent's standby list");
        failed.push({ agent: a.computer, error });
      }
    }),
  );
  return { removed: owned.length - failed.length, failed };
}

/** The secondary's copies of the primary, out of the catalog; returns the manifests to remove from the pool. */
function deleteCopies(tx: CatalogDb, primaryId: string) {
  const mirrors = tx.select({ id: dataSources.id, computerId: dataSources.computerId, replicaManifest: dataSources.replicaManifest }).from(dataSources).where(eq(dataSources.originServerId, primaryId)).all();
  const manifests = new Set<string>();
  let points = 0;
  for (let i = 0; i < mirrors.length; i += 500) {
    const ids = mirrors.slice(i, i + 500).map((m) => m.id);
    for (const p of tx.select({ m: recoveryPoints.manifestId }).from(recoveryPoints).where(inArray(recoveryPoints.dataSourceId, ids)).all()) {
      points++;
      if (p.m) manifests.add(p.m);
    }
    tx.delete(indexedFiles).where(inArray(indexedFiles.dataSourceId, ids)).run(); // file versions go with them
    tx.delete(recoveryPoints).where(inArray(recoveryPoints.dataSourceId, ids)).run();
    tx.delete(dataSources).where(inArray(dataSources.id, ids)).run();
  }
  for (const m of mirrors) if (m.replicaManifest) manifests.add(m.replicaManifest);
  tx.delete(protectionGroups).where(eq(protectionGroups.originServerId, primaryId)).run();
  // The computers (and the primary's agents) mirroring made, once nothing of theirs is left here.
  for (const computerId of new Set(mirrors.map((m) => m.computerId))) {
    if (tx.select({ id: dataSources.id }).from(dataSources).where(eq(dataSources.computerId, computerId)).get()) continue;
    tx.delete(agents).where(eq(agents.computerId, computerId)).run();
    tx.delete(protectedComputers).where(eq(protectedComputers.id, computerId)).run();
  }
  const snapshots = tx.select({ m: catalogSnapshots.manifestId }).from(catalogSnapshots).where(eq(catalogSnapshots.serverId, primaryId)).all();
  for (const s of snapshots) manifests.add(s.m);
  tx.delete(catalogSnapshots).where(eq(catalogSnapshots.serverId, primaryId)).run();
  tx.delete(schedulerState).where(eq(schedulerState.key, KEPT_CATALOG_RETENTION + primaryId)).run();
  return { manifests: [...manifests], counts: { dataSources: mirrors.length, recoveryPoints: points, catalogSnapshots: snapshots.length } };
}

/** This end's half of the removal, once the rules passed and the other end was told (or could not be). */
async function dropLink(services: Services, o: { primary: ServerRef; secondary: ServerRef; end: LinkEnd; copies: CopiesChoice; by: string; otherEnd: string }) {
  const peer = o.end === "primary" ? o.secondary : o.primary;
  const cancelledJobs = await stopLinkJobs(services, peer.id, o.end, o.by);
  const standby = o.end === "primary" ? await dropStandby(services, o.secondary) : null;
  const now = services.clock.now();
  const removed = services.db.transaction((tx) => {
    const l = linkRow(tx, o.primary.id, o.secondary.id);
    tx.delete(serverLinks).where(and(eq(serverLinks.primaryId, o.primary.id), eq(serverLinks.secondaryId, o.secondary.id))).run();
    if (o.end === "primary") return null;
    // A rebuild token for the primary would hand over agents this server no longer stands by for.
    tx.update(peerEnrolmentTokens).set({ closedAt: now, closedReason: "revoked" }).where(and(eq(peerEnrolmentTokens.forServerId, o.primary.id), isNull(peerEnrolmentTokens.closedAt))).run();
    if (o.copies === "delete") return deleteCopies(tx, o.primary.id);
    const days = String(l?.catalogRetentionDays ?? 14);
    tx.insert(schedulerState).values({ key: KEPT_CATALOG_RETENTION + o.primary.id, value: days }).onConflictDoUpdate({ target: schedulerState.key, set: { value: days } }).run();
    return null;
  });
  // The scheduler queues no new job without the link; one queued meanwhile goes too.
  for (const id of (await stopLinkJobs(services, peer.id, o.end, o.by)).filter((id) => !cancelledJobs.includes(id))) cancelledJobs.push(id);

  let pruneJobId: number | null = null;
  if (removed) {
    const pool = services.protection.pool();
    for (const m of removed.manifests) {
      try {
        removeHeader(pool.dir, m);
      } catch (err) {
        services.log.warn({ manifest: m, err: (err as Error).message }, "could not remove a deleted copy's manifest; the next prune retries");
      }
    }
    const pending = services.db.select({ id: jobs.id }).from(jobs).where(and(eq(jobs.type, "prune"), inArray(jobs.state, ["queued", "running"]))).get();
    pruneJobId = pending?.id ?? enqueueJob(services.db, { type: "prune", target: "storage pool", trigger: "system", requestedBy: o.by }, now);
    services.jobs.pump();
  }
  const alertKeys = o.end === "secondary" ? [primaryUnreachableKey(o.primary.id), `link-replication-failed:${o.primary.id}`] : [`${SECONDARY_QUIET}:${o.secondary.id}`];
  for (const key of alertKeys) resolveAlert(services.db, key, now, o.by);

  const copies =
    o.end === "primary"
      ? `${o.secondary.name} keeps its copies`
      : o.copies === "keep"
        ? "the copies here are kept (restorable, expiring under their retention)"
        : `the copies here are deleted (${removed!.counts.recoveryPoints} recovery points of ${removed!.counts.dataSources} data sources, ${removed!.counts.catalogSnapshots} catalog snapshots; prune job ${pruneJobId} frees their space)`;
  const agentsNote = standby ? `; ${standby.removed} agent(s) dropped ${o.secondary.name} as a standby${standby.failed.length ? `, ${standby.failed.length} could not` : ""}` : "";
  recordAuditEvent(services.db, {
    at: now,
    username: o.by,
    action: "servers.link-removed",
    target: `${o.primary.name} → ${o.secondary.name}`,
    outcome: "ok",
    detail: `this server was the ${o.end}; ${copies}; ${o.otherEnd}${agentsNote}${cancelledJobs.length ? `; job(s) ${cancelledJobs.join(", ")} cancelled` : ""}`,
  });
  services.log.warn({ primary: o.primary.name, secondary: o.secondary.name, end: o.end, copies: o.copies, by: o.by }, "link between servers removed");
  return { cancelledJobs, standby, deleted: removed?.counts ?? null, pruneJobId };
}

// ---------------------------------------------------------------- the use cases

/** An admin removes the link between `primaryId` and `secondaryId`, of which this server is one end. */
export async function removeLink(services: Services, input: RemoveLinkInput, by: string): Promise<RemoveLinkResult> {
  const db = services.db;
  const self = selfServer(db);
  const end: LinkEnd | null = input.primaryId === input.secondaryId ? null : self.id === input.primaryId ? "primary" : self.id === input.secondaryId ? "secondary" : null;
  if (!end || !linkRow(db, input.primaryId, input.secondaryId)) throw new DomainError("NOT_FOUND", "this server is not an end of that link (it may have been removed already)", `${input.primaryId}→${input.secondaryId}`);
  const primary = serverRef(db, input.primaryId);
  const secondary = serverRef(db, input.secondaryId);
  const issues = checkLinkRemoval({ end, primary: primary.name, secondary: secondary.name, switched: switchedSources(db, end, primary.id), copies: input.copies });
  if (issues.length) refuse(issues);
  const copies: CopiesChoice = end === "secondary" ? input.copies! : "keep";
  const peer = end === "primary" ? secondary : primary;
  const told = await tellOtherEnd(services, peer, { primaryId: primary.id, secondaryId: secondary.id });
  const dropped = await dropLink(services, { primary, secondary, end, copies, by, otherEnd: told.otherEnd.told ? `${peer.name} removed its half` : told.otherEnd.message });
  return {
    end,
    primary: { id: primary.id, name: primary.name },
    secondary: { id: secondary.id, name: secondary.name },
    copies,
    otherEnd: told.otherEnd,
    standby: dropped.standby ?? told.answer?.standby ?? null,
    cancelledJobs: dropped.cancelledJobs,
    deleted: dropped.deleted,
    pruneJobId: dropped.pruneJobId,
  };
}

/**
 * The other end's side (POST /peer-api/v1/unlink from `peerId`): the same rules on this
 * catalog, then this end's half goes too. The secondary keeps its copies: they are its admin's.
 */
export async function acceptUnlink(services: Services, peerId: string, request: UnlinkRequest): Promise<UnlinkAnswer> {
  const db = services.db;
  const self = selfServer(db);
  const ends = [request.primaryId, request.secondaryId];
  if (request.primaryId === request.secondaryId || !ends.includes(peerId) || !ends.includes(self.id)) throw new PeerRefusal("a server removes only a link between itself and this server", 403);
  if (!linkRow(db, request.primaryId, request.secondaryId)) throw new PeerRefusal("this server does not list that link: its half was removed already", 404);
  const end: LinkEnd = self.id === request.primaryId ? "primary" : "secondary";
  const primary = serverRef(db, request.primaryId);
  const secondary = serverRef(db, request.secondaryId);
  const peer = end === "primary" ? secondary : primary;
  const issues = checkLinkRemoval({ end, primary: primary.name, secondary: secondary.name, switched: switchedSources(db, end, primary.id), copies: end === "secondary" ? "keep" : undefined });
  if (issues.length) throw new PeerRefusal(`${self.name} keeps the link: ${issues.map((i) => i.message).join(" ")}`, 409, issues.map((i) => i.rule));
  const dropped = await dropLink(services, { primary, secondary, end, copies: "keep", by: `peer ${peer.name}`, otherEnd: `removed by ${peer.name}'s admin` });
  return { removed: true, standby: dropped.standby };
}
