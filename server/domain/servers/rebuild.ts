/**
 * Rebuild primary (SPEC §4, DPM-REFERENCE §5.6): a lost primary is rebuilt on a new, empty
 * server from its secondary.
 *
 * On the secondary, an admin issues a one-time rebuild token for the primary. The new server
 * redeems it with its new public key (the old key went with the old server): the secondary
 * records that key as the primary's, and makes the primary's agents answer it (it takes each
 * agent it is a standby of and hands it to the rebuilt primary; an agent it protects after a
 * switch gets the rebuilt primary as a standby, for the switch back). Then, signed with the new
 * key, the new server copies the newest catalog snapshot (checked against the OLD key before a
 * byte is copied, and checked again when restored: a snapshot of another server's catalog stops
 * the rebuild), restores it as its catalog, copies every recovery point the secondary holds of
 * its data sources, marks the ones nobody holds as lost, and queues a consistency check of each
 * replica. Switched sources come back with "agent ownership required" at the secondary's next
 * heartbeat, and taking ownership pulls what the secondary made meanwhile.
 */
import fs from "node:fs";
import path from "node:path";
import { timingSafeEqual } from "node:crypto";
import { and, count, countDistinct, desc, eq, gt, inArray, isNotNull, isNull, sum } from "drizzle-orm";
import type { CatalogDb } from "@/db/client";
import { agents, catalogSnapshots, dataSources, peerEnrolmentTokens, recoveryPoints, serverLinks, servers } from "@/db/schema";
import type { Services } from "@/server/services";
import { keyIdOf } from "@/server/agent/protocol";
import { replicateRecoveryPoint } from "@/server/engine/replicate";
import { CATALOG_FILE, ProtectionRuntime } from "@/server/protection-runtime";
import { PeerClient, peerHello, redeemRebuildToken } from "@/server/peer/peer-client";
import { PEER_PROTOCOL_VERSION, PeerRefusal, type RebuildAnswer, type RebuildCheckAnswer, type RebuildCheckRequest, type RebuildRequest } from "@/server/peer/peer-protocol";
import { clientFor } from "../agents/agents";
import { enqueueJob } from "../jobs/job-queue";
import { forgetRecoveryPoints } from "../recovery/recovery-points";
import { copyPeerRecoveryPoint } from "./secondary-protection";
import { DomainError } from "../errors";
import { hashToken, issueOneTimeToken, selfServer } from "./peering";
import { restoreSnapshotFile, snapshotAnswer, snapshotProblem } from "./catalog-snapshots";

// ---------------------------------------------------------------- on the secondary

/** A one-time token (24 h) with which a new server takes the identity of this server's primary. */
export function createRebuildToken(services: Services, o: { primaryId: string; by: string }): { token: string; expiresAt: Date; primary: string; snapshotTakenAt: Date } {
  const self = selfServer(services.db);
  const primary = services.db.select({ id: servers.id, name: servers.name }).from(servers).where(eq(servers.id, o.primaryId)).get();
  const link = primary && services.db.select().from(serverLinks).where(and(eq(serverLinks.primaryId, primary.id), eq(serverLinks.secondaryId, self.id))).get();
  if (!primary || !link) throw new DomainError("NOT_FOUND", "this server does not protect that server", o.primaryId);
  const snapshot = services.db.select().from(catalogSnapshots).where(eq(catalogSnapshots.serverId, primary.id)).orderBy(desc(catalogSnapshots.takenAt)).get();
  if (!snapshot) throw new DomainError("PRECONDITION", `this server holds no copy of ${primary.name}'s catalog yet: a rebuild starts from one (run a catalog copy first)`);
  const { token, expiresAt } = issueOneTimeToken(services, { by: o.by, forServerId: primary.id });
  services.log.warn({ primary: primary.name, by: o.by }, "rebuild token issued for a primary server");
  return { token, expiresAt, primary: primary.name, snapshotTakenAt: snapshot.takenAt };
}

const NO_SUCH_TOKEN = "no such rebuild token is pending on the secondary (a token works once and for 24 hours): ask its admin for a new one";

function pendingRebuildToken(db: CatalogDb, token: string, now: Date) {
  const hash = Buffer.from(hashToken(token.trim()), "hex");
  return db
    .select()
    .from(peerEnrolmentTokens)
    .where(and(isNull(peerEnrolmentTokens.closedAt), gt(peerEnrolmentTokens.expiresAt, now), isNotNull(peerEnrolmentTokens.forServerId)))
    .all()
    .find((t) => timingSafeEqual(hash, Buffer.from(t.tokenHash, "hex")));
}

/**
 * The secondary's side of POST /peer-api/v1/rebuild/check: what the token would restore, for
 * the wizard's pre-checks. The token is not redeemed (it stays pending for the rebuild).
 */
export function checkRebuildToken(services: Services, request: RebuildCheckRequest): RebuildCheckAnswer {
  if (request.protocol !== PEER_PROTOCOL_VERSION) throw new PeerRefusal(`this server speaks peer protocol ${PEER_PROTOCOL_VERSION}, the rebuilding server ${request.protocol}: run the same release on both`, 409);
  const pending = pendingRebuildToken(services.db, request.token, services.clock.now());
  if (!pending) throw new PeerRefusal(NO_SUCH_TOKEN, 401);
  const primary = services.db.select({ id: servers.id, name: servers.name }).from(servers).where(eq(servers.id, pending.forServerId!)).get();
  if (!primary) throw new PeerRefusal("the server this token was issued for is no longer known", 409);
  const self = selfServer(services.db);
  const snapshot = services.db.select().from(catalogSnapshots).where(eq(catalogSnapshots.serverId, primary.id)).orderBy(desc(catalogSnapshots.takenAt)).get();
  const held = services.db
    .select({ sources: countDistinct(recoveryPoints.dataSourceId), points: count(), bytes: sum(recoveryPoints.addedBytes) })
    .from(recoveryPoints)
    .innerJoin(dataSources, eq(dataSources.id, recoveryPoints.dataSourceId))
    .where(eq(dataSources.originServerId, primary.id))
    .get();
  return {
    primary,
    secondary: { id: self.id, name: self.name },
    tokenExpiresAt: pending.expiresAt.toISOString(),
    catalog: snapshot ? { takenAt: snapshot.takenAt.toISOString(), sizeBytes: snapshot.sizeBytes } : null,
    sources: held?.sources ?? 0,
    recoveryPoints: held?.points ?? 0,
    storedBytes: Number(held?.bytes ?? 0) + (snapshot?.sizeBytes ?? 0),
  };
}

/** The secondary's side of POST /peer-api/v1/rebuild. */
export async function redeemRebuild(services: Services, request: RebuildRequest): Promise<RebuildAnswer> {
  if (request.protocol !== PEER_PROTOCOL_VERSION) throw new PeerRefusal(`this server speaks peer protocol ${PEER_PROTOCOL_VERSION}, the rebuilding server ${request.protocol}`, 409);
  const self = selfServer(services.db);
  const now = services.clock.now();
  const outcome = services.db.transaction((tx) => {
    const pending = pendingRebuildToken(tx, request.token, now);
    if (!pending) return new PeerRefusal(NO_SUCH_TOKEN, 401);
    const primary = tx.select().from(servers).where(eq(servers.id, pending.forServerId!)).get();
    if (!primary) return new PeerRefusal("the server this token was issued for is no longer known", 409);
    const previousPublicKey = primary.publicKey;
    tx.update(servers).set({ publicKey: request.publicKey, keyId: keyIdOf(request.publicKey), url: request.url }).where(eq(servers.id, primary.id)).run();
    tx.update(peerEnrolmentTokens).set({ closedAt: now, closedReason: "used", usedByServerId: primary.id }).where(eq(peerEnrolmentTokens.id, pending.id)).run();
    return { primary, previousPublicKey };
  });
  if (outcome instanceof PeerRefusal) throw outcome;
  const { primary, previousPublicKey } = outcome;
  const snapshot = services.db.select().from(catalogSnapshots).where(eq(catalogSnapshots.serverId, primary.id)).orderBy(desc(catalogSnapshots.takenAt)).get();
  // The primary's agents: handed to the rebuilt server, or (switched here) given it as a standby.
  const newPrimary = { id: primary.id, name: primary.name, url: request.url, publicKey: request.publicKey };
  const mirrored = services.db
    .selectDistinct({ agentId: agents.id, protectedHere: dataSources.protectedHere })
    .from(dataSources)
    .innerJoin(agents, eq(agents.computerId, dataSources.computerId))
    .where(eq(dataSources.originServerId, primary.id))
    .all();
  const result = { handedOver: 0, standby: 0, failed: [] as { agent: string; error: string }[] };
  for (const a of new Map(mirrored.map((m) => [m.agentId, m])).values()) {
    try {
      const client = clientFor(services, a.agentId);
      if (a.protectedHere) {
        await client.addStandby(newPrimary);
        result.standby++;
      } else {
        await client.takeOwnership();
        await client.handOver(newPrimary);
        result.handedOver++;
      }
    } catch (err) {
      result.failed.push({ agent: a.agentId, error: (err as Error).message });
    }
  }
  services.log.warn({ primary: primary.name, url: request.url, agents: result }, "primary server rebuilt elsewhere: its new key is recorded");
  return {
    primary: { id: primary.id, name: primary.name },
    previousPublicKey,
    secondary: { id: self.id, name: self.name },
    snapshot: snapshot ? snapshotAnswer(snapshot) : null,
    agents: result,
  };
}

// ---------------------------------------------------------------- on the new server

export type RebuildStep = "secondary" | "token" | "catalog" | "replicas" | "done";

export interface RebuildProgress {
  step: RebuildStep;
  detail?: string;
  /** In the replicas step: recovery points of the restored catalog handled so far, of `total`. */
  done?: number;
  total?: number;
  /** Stored bytes copied from the secondary so far. */
  bytesCopied?: number;
}

export interface RebuildReport {
  primary: { id: string; name: string };
  secondary: { id: string; name: string };
  catalogTakenAt: string;
  recoveryPointsRestored: number;
  recoveryPointsAdded: number;
  recoveryPointsLost: number;
  /** Copies this server held as another server's secondary, lost with its pool: copied again from their primaries once it runs. */
  peerCopiesToRecopy: number;
  sourcesToCheck: number;
  agents: RebuildAnswer["agents"];
  storedBytesCopied: number;
}

/** Whether `value` is an http(s) address: where a secondary or a rebuilt server is reached. */
export const isHttpAddress = (value: string) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol);

/** Checks that `dataDir` can take a rebuild: nothing of a server in it yet. */
export function rebuildPrechecks(dataDir: string): void {
  if (fs.existsSync(path.join(dataDir, CATALOG_FILE))) {
    throw new DomainError("PRECONDITION", `${dataDir} already holds a catalog: a rebuild starts from an empty data folder (it never overwrites a server)`);
  }
  if (fs.existsSync(path.join(dataDir, "pool", "config.json"))) throw new DomainError("PRECONDITION", `${dataDir} already holds a storage pool: a rebuild starts from an empty data folder`);
}

/**
 * Phase 1 of a rebuild, before the server runs: redeem the token, copy and verify the newest
 * catalog snapshot, restore it as this data folder's catalog. Returns what phase 2 needs.
 */
export async function restorePrimaryCatalog(o: { dataDir: string; secondaryUrl: string; token: string; url: string; progress: (p: RebuildProgress) => void }) {
  rebuildPrechecks(o.dataDir);
  const runtime = new ProtectionRuntime(o.dataDir);
  fs.mkdirSync(o.dataDir, { recursive: true });
  const secondaryUrl = o.secondaryUrl.replace(/\/+$/, "");
  o.progress({ step: "secondary", detail: `asking ${secondaryUrl}` });
  const hello = await peerHello(secondaryUrl);
  if (hello.protocol !== PEER_PROTOCOL_VERSION) throw new DomainError("CONFLICT", `the secondary speaks peer protocol ${hello.protocol}, this server ${PEER_PROTOCOL_VERSION}: run the same release on both`);
  const identity = runtime.identity();
  o.progress({ step: "token", detail: `redeeming the rebuild token at ${hello.name}` });
  const answer = await redeemRebuildToken(secondaryUrl, { protocol: PEER_PROTOCOL_VERSION, token: o.token.trim(), publicKey: identity.publicKey, url: o.url });
  if (!answer.snapshot) throw new DomainError("PRECONDITION", `${hello.name} holds no copy of ${answer.primary.name}'s catalog`);
  const snapshot = answer.snapshot;
  // The secondary's key as its hello says: the admin named its address, and the token is the secret.
  const client = new PeerClient({ id: hello.id, name: hello.name, url: secondaryUrl, publicKey: hello.publicKey }, identity);
  const source = client.replicationSource();
  const header = await source.header(snapshot.manifestId);
  const problem = snapshot.serverId !== answer.primary.id ? `it is the catalog of server ${snapshot.serverId}` : snapshotProblem(snapshot, header, answer.previousPublicKey);
  if (problem) throw new DomainError("CONFLICT", `the catalog snapshot ${snapshot.manifestId} is refused: ${problem}`);
  o.progress({ step: "catalog", detail: `copying ${answer.primary.name}'s catalog of ${snapshot.takenAt} (${snapshot.sizeBytes} bytes); signature verified` });
  try {
    const pool = runtime.pool();
    await replicateRecoveryPoint(source, pool, snapshot.manifestId);
    await restoreSnapshotFile({ pool, workDir: path.join(o.dataDir, "tmp"), snapshot, publicKey: answer.previousPublicKey, expectServerId: answer.primary.id, destFile: path.join(o.dataDir, CATALOG_FILE) });
  } catch (err) {
    // No catalog was written: the half-made pool goes, so that the folder can take another try
    // (with a new token: this one is spent). The key stays: the secondary knows it now.
    await runtime.close().catch(() => undefined);
    for (const d of ["pool", "tmp"]) fs.rmSync(path.join(o.dataDir, d), { recursive: true, force: true });
    throw err;
  }
  await runtime.close();
  o.progress({ step: "catalog", detail: "catalog restored and checked (signature, SHA-256, integrity, identity)" });
  return { answer, secondary: { id: hello.id, name: hello.name, url: secondaryUrl, publicKey: hello.publicKey }, storedBytesCopied: source.storedBytesReceived };
}

/**
 * Phase 2, on the restored catalog (services opened on the data folder, migrations applied):
 * reconcile it with the pool. Every recovery point of this server's sources that the secondary
 * holds is copied (chunk-verified); those made after the snapshot are added; those nobody holds
 * are marked lost (removed from the catalog); each replica becomes the newest recovery point and
 * is consistency-checked.
 */
export async function reconcileRebuiltCatalog(services: Services, o: { secondary: { id: string; name: string; url: string; publicKey: string }; progress: (p: RebuildProgress) => void; bytesCopiedBefore?: number }) {
  const self = selfServer(services.db);
  const pool = services.protection.pool();
  const client = new PeerClient(o.secondary, services.protection.identity());
  const source = client.replicationSource();
  let restored = 0;
  let added = 0;
  let lost = 0;
  let toCheck = 0;
  const own = services.db.select({ id: dataSources.id, name: dataSources.name, groupId: dataSources.groupId, protectedHere: dataSources.protectedHere }).from(dataSources).where(isNull(dataSources.originServerId)).all();
  const total = own.length
    ? (services.db.select({ n: count() }).from(recoveryPoints).where(inArray(recoveryPoints.dataSourceId, own.map((s) => s.id))).get()?.n ?? 0)
    : 0;
  let done = 0;
  const tell = (detail: string) => o.progress({ step: "replicas", detail, done, total, bytesCopied: (o.bytesCopiedBefore ?? 0) + source.storedBytesReceived });
  tell(`${own.length} data source(s), ${total} recovery point(s) in the catalog`);
  for (const s of own) {
    const held = await client.recoveryPoints(s.id, null, undefined, { whose: "mine", all: true }).catch(() => []);
    const heldIds = new Set(held.map((h) => h.manifestId));
    const rows = services.db.select({ id: recoveryPoints.id, manifestId: recoveryPoints.manifestId }).from(recoveryPoints).where(eq(recoveryPoints.dataSourceId, s.id)).all();
    const missing: number[] = [];
    for (const r of rows) {
      done++;
      if (!r.manifestId || !heldIds.has(r.manifestId)) {
        missing.push(r.id);
        continue;
      }
      await replicateRecoveryPoint(source, pool, r.manifestId);
      restored++;
      tell(`${s.name}: recovery point ${r.manifestId.slice(0, 12)} restored`);
    }
    if (missing.length) {
      forgetRecoveryPoints(services.db, s.id, missing); // their manifests were never in this pool: nothing to remove
      lost += missing.length;
    }
    const known = new Set(rows.map((r) => r.manifestId));
    for (const h of held) {
      if (known.has(h.manifestId)) continue;
      // Made here before the loss (the secondary copied it from us), or made by the secondary while switched.
      if (await copyPeerRecoveryPoint(services, source, { dataSourceId: s.id, point: h, madeByServerId: h.madeByServerId === self.id ? null : o.secondary.id, jobId: null })) added++;
    }
    const newest = services.db.select({ manifestId: recoveryPoints.manifestId }).from(recoveryPoints).where(eq(recoveryPoints.dataSourceId, s.id)).orderBy(desc(recoveryPoints.createdAt)).get();
    const now = services.clock.now();
    services.db
      .update(dataSources)
      .set({ replicaManifest: newest?.manifestId ?? null, replicaState: newest ? "inconsistent" : "missing", replicaStateAt: now })
      .where(eq(dataSources.id, s.id))
      .run();
    if (newest && s.groupId !== null && s.protectedHere) {
      enqueueJob(services.db, { type: "consistency-check", target: s.name, trigger: "system", dataSourceId: s.id, groupId: s.groupId, params: { afterRebuild: true } }, now);
      toCheck++;
    }
    tell(`${s.name}: ${rows.length - missing.length} recovery point(s) restored, ${missing.length} lost`);
  }
  const inPool = (manifestId: string | null) => manifestId !== null && fs.existsSync(path.join(pool.dir, "snapshots", `${manifestId}.json`));
  // Catalog snapshots (its own, and its primaries' when it was a secondary too) are gone with its pool.
  const snapshots = services.db.select({ id: catalogSnapshots.id, manifestId: catalogSnapshots.manifestId }).from(catalogSnapshots).all();
  const gone = snapshots.filter((s) => !inPool(s.manifestId)).map((s) => s.id);
  if (gone.length) services.db.delete(catalogSnapshots).where(inArray(catalogSnapshots.id, gone)).run();
  const recopy = forgetLostPeerCopies(services, inPool);
  if (recopy.recoveryPoints) tell(`${recopy.recoveryPoints} recovery point(s) this server held as another server's secondary went with the lost pool: they are copied again from ${recopy.primaries.join(", ")}`);
  await pool.flush();
  return { restored, added, lost, toCheck, peerCopiesToRecopy: recopy.recoveryPoints, storedBytesCopied: source.storedBytesReceived };
}

/**
 * A rebuilt server that was also a secondary (a mutual pair, a chain) held copies of its
 * primaries' recovery points in the lost pool. The restored catalog still lists them: left so,
 * a restore of one would fail, and replication, which copies what is newer than the newest copy
 * listed, would never copy them again. So the rows go, the replicas read missing, and each such
 * link's catalog copy and replication are queued, to run as soon as the server starts.
 */
function forgetLostPeerCopies(services: Services, inPool: (manifestId: string | null) => boolean): { recoveryPoints: number; primaries: string[] } {
  const mirrored = services.db.select({ id: dataSources.id, originServerId: dataSources.originServerId, protectedHere: dataSources.protectedHere }).from(dataSources).where(isNotNull(dataSources.originServerId)).all();
  let forgotten = 0;
  const now = services.clock.now();
  for (const m of mirrored) {
    const rows = services.db.select({ id: recoveryPoints.id, manifestId: recoveryPoints.manifestId }).from(recoveryPoints).where(eq(recoveryPoints.dataSourceId, m.id)).all();
    const lost = rows.filter((r) => !inPool(r.manifestId)).map((r) => r.id);
    if (!lost.length) continue;
    forgetRecoveryPoints(services.db, m.id, lost);
    forgotten += lost.length;
    if (lost.length === rows.length) services.db.update(dataSources).set({ replicaManifest: null, replicaState: "missing", replicaStateAt: now }).where(eq(dataSources.id, m.id)).run();
  }
  const self = selfServer(services.db);
  const links = services.db
    .select({ primaryId: serverLinks.primaryId, name: servers.name })
    .from(serverLinks)
    .innerJoin(servers, eq(servers.id, serverLinks.primaryId))
    .where(and(eq(serverLinks.secondaryId, self.id), isNotNull(serverLinks.replicaEveryMinutes)))
    .all();
  for (const l of links) {
    for (const type of ["catalog-copy", "replication"] as const) enqueueJob(services.db, { type, target: l.name, trigger: "system", peerServerId: l.primaryId, params: { afterRebuild: true } }, now);
  }
  return { recoveryPoints: forgotten, primaries: links.map((l) => l.name) };
}

/**
 * The whole rebuild into the empty folder `dataDir`, before a server runs on it: phase 1 (the
 * catalog), then phase 2 (the replicas) on services opened on the restored catalog. Shared by
 * `custodian rebuild` and the browser's wizard (which rebuilds into a staging folder and then
 * restarts the server on it).
 */
export async function rebuildPrimary(o: {
  dataDir: string;
  secondaryUrl: string;
  token: string;
  url: string;
  progress: (p: RebuildProgress) => void;
  /** Opens services (the composition root's) on the restored catalog: phase 2 runs on them. */
  openServices: (dataDir: string, serverName: string) => Services;
}): Promise<RebuildReport> {
  const phase1 = await restorePrimaryCatalog(o);
  const { answer } = phase1;
  const services = o.openServices(o.dataDir, answer.primary.name);
  let phase2;
  try {
    phase2 = await reconcileRebuiltCatalog(services, { secondary: phase1.secondary, progress: o.progress, bytesCopiedBefore: phase1.storedBytesCopied });
  } finally {
    await services.protection.close();
    services.db.$client.close();
  }
  const report: RebuildReport = {
    primary: answer.primary,
    secondary: answer.secondary,
    catalogTakenAt: answer.snapshot!.takenAt,
    recoveryPointsRestored: phase2.restored,
    recoveryPointsAdded: phase2.added,
    recoveryPointsLost: phase2.lost,
    peerCopiesToRecopy: phase2.peerCopiesToRecopy,
    sourcesToCheck: phase2.toCheck,
    agents: answer.agents,
    storedBytesCopied: phase1.storedBytesCopied + phase2.storedBytesCopied,
  };
  o.progress({ step: "done", detail: `${report.recoveryPointsRestored + report.recoveryPointsAdded} recovery point(s) restored`, bytesCopied: report.storedBytesCopied });
  return report;
}
