/**
 * The jobs of a link between servers (SPEC §4), run on the secondary:
 *
 *   catalog-copy   the primary takes a signed snapshot of its catalog; the secondary checks the
 *                  signature against the header before copying anything, then copies the
 *                  missing chunks and records the snapshot under the link's retention
 *   replication    for each selected source, the primary's recovery points made since the last
 *                  copied one, as missing chunks only, recorded and indexed like local ones
 *
 * and, on a primary that took ownership back, pull-recovery-points: the recovery points the
 * secondary made while switched, so that history has no gap (switch-protection.ts).
 *
 * Each recovery point is copied, then recorded in one transaction: a crash leaves at worst
 * chunks (or a header) nothing names yet, which the next round finds present and garbage
 * collection frees if it never does.
 */
import { and, eq, sql } from "drizzle-orm";
import { catalogSnapshots, dataSources, serverLinks, servers } from "@/db/schema";
import type { Services } from "@/server/services";
import { replicateRecoveryPoint } from "@/server/engine/replicate";
import { PeerClient } from "@/server/peer/peer-client";
import { raiseAlert, resolveAlert } from "@/server/domain/monitoring/alerts";
import { selfServer } from "@/server/domain/servers/peering";
import { snapshotProblem } from "@/server/domain/servers/catalog-snapshots";
import { copyPeerRecoveryPoint, lastCopiedAt, mirrorSources, selectedMirrors } from "@/server/domain/servers/secondary-protection";
import type { JobContext, JobHandler } from "./runner";

function peerOf(ctx: JobContext) {
  const id = ctx.job.peerServerId;
  const peer = id ? ctx.services.db.select().from(servers).where(eq(servers.id, id)).get() : undefined;
  if (!peer) throw new Error("the peer server of this job is no longer known");
  return { peer, client: new PeerClient(peer, ctx.services.protection.identity()) };
}

function updateLink(services: Services, primaryId: string, set: Partial<typeof serverLinks.$inferInsert> & { addBytes?: number }): void {
  const { addBytes, ...fields } = set;
  services.db
    .update(serverLinks)
    .set({ ...fields, ...(addBytes && { bytesReplicated: sql`${serverLinks.bytesReplicated} + ${addBytes}` }) })
    .where(and(eq(serverLinks.primaryId, primaryId), eq(serverLinks.secondaryId, selfServer(services.db).id)))
    .run();
}

const linkFailedKey = (peerId: string) => `link-replication-failed:${peerId}`;

function linkFailed(services: Services, peer: { id: string; name: string }, what: string, err: unknown): never {
  const message = (err as Error).message;
  raiseAlert(
    services.db,
    {
      key: linkFailedKey(peer.id),
      type: "link-replication-failed",
      severity: "critical",
      target: peer.name,
      title: `Secondary protection of ${peer.name} failed`,
      detail: `The ${what} failed: ${message}`,
      recommendedAction: `Check that ${peer.name} is reachable and see the job's log; the next scheduled round tries again, or use "Replicate now" on the link.`,
    },
    services.clock.now(),
  );
  throw err;
}

const catalogCopyJob: JobHandler = async (ctx) => {
  const { services } = ctx;
  const { peer, client } = peerOf(ctx);
  try {
    ctx.log("info", `asking ${peer.name} for a snapshot of its catalog`);
    const snap = await client.catalogSnapshot(ctx.signal);
    const source = client.replicationSource(ctx.signal);
    // The signature is checked against the header before a single chunk is copied.
    const header = await source.header(snap.manifestId);
    const problem = snap.serverId !== peer.id ? `it is the catalog of server ${snap.serverId}, not of ${peer.name}` : snapshotProblem(snap, header, peer.publicKey);
    if (problem) throw new Error(`the catalog snapshot ${snap.manifestId} is refused: ${problem}`);
    const pool = services.protection.pool();
    const r = await replicateRecoveryPoint(source, pool, snap.manifestId, { signal: ctx.signal, onProgress: (p) => ctx.progress({ files: p.chunksCopied, bytes: p.storedBytesCopied, bytesTotal: null, bytesPerSecond: 0 }) });
    const now = services.clock.now();
    services.db.transaction((tx) => {
      tx.insert(catalogSnapshots)
        .values({ serverId: peer.id, manifestId: snap.manifestId, takenAt: new Date(snap.takenAt), copiedAt: now, sizeBytes: snap.sizeBytes, sha256: snap.sha256, signature: snap.signature, keyId: snap.keyId })
        .onConflictDoNothing()
        .run();
    });
    updateLink(services, peer.id, { lastCatalogCopyAt: new Date(snap.takenAt), addBytes: source.storedBytesReceived });
    ctx.log("info", `catalog of ${snap.takenAt} copied: ${snap.sizeBytes} bytes, ${r.chunksCopied} new chunks (${r.storedBytesCopied} bytes travelled, ${r.chunksPresent} chunks already here); signature verified`);
    resolveAlert(services.db, linkFailedKey(peer.id), now);
    return { manifest: snap.manifestId, takenAt: snap.takenAt, sizeBytes: snap.sizeBytes, chunksCopied: r.chunksCopied, storedBytesCopied: r.storedBytesCopied, bytesReceived: source.storedBytesReceived };
  } catch (err) {
    linkFailed(services, peer, "catalog copy", err);
  }
};

const replicationJob: JobHandler = async (ctx) => {
  const { services } = ctx;
  const { peer, client } = peerOf(ctx);
  const started = services.clock.now();
  const source = client.replicationSource(ctx.signal);
  let copied = 0;
  let storedBytes = 0;
  try {
    // The primary's sources first: names, policies and agents follow the primary.
    const remote = await client.sources(ctx.signal);
    const selected = new Set(selectedMirrors(services.db, peer.id).map((m) => m.originSourceId!));
    services.db.transaction((tx) => mirrorSources(tx, peer, remote, selected, started));
    for (const m of selectedMirrors(services.db, peer.id)) {
      const after = lastCopiedAt(services.db, m.id, peer.id);
      const points = await client.recoveryPoints(m.originSourceId!, after, ctx.signal, { whose: "yours" });
      for (const rp of points) {
        ctx.signal.throwIfAborted();
        const r = await copyPeerRecoveryPoint(services, source, {
          dataSourceId: m.id,
          point: rp,
          madeByServerId: peer.id,
          jobId: ctx.job.id,
          signal: ctx.signal,
          onProgress: (p) => ctx.progress({ files: copied, bytes: storedBytes + p.storedBytesCopied, bytesTotal: null, bytesPerSecond: 0 }),
          // While switched, the replica here is this server's own (its synchronizations); before, it is the newest copy.
          alsoRecord: (header) => {
            if (!m.protectedHere) services.db.update(dataSources).set({ replicaManifest: header.id, lastSyncAt: new Date(rp.createdAt), replicaState: "ok", replicaStateAt: started }).where(eq(dataSources.id, m.id)).run();
          },
        });
        if (!r) continue;
        copied++;
        storedBytes += r.storedBytesCopied;
        ctx.log("info", `${m.name}: recovery point of ${rp.createdAt} copied (${r.chunksCopied} new chunks, ${r.storedBytesCopied} bytes; ${r.chunksPresent} chunks already here)`);
      }
    }
    // Everything the primary had when this round asked is here now: that is what the lag counts from.
    updateLink(services, peer.id, { inSyncAt: started, lastReplicationAt: services.clock.now(), lastReplicationError: null, addBytes: source.storedBytesReceived });
    resolveAlert(services.db, linkFailedKey(peer.id), services.clock.now());
    ctx.log("info", `${copied} recovery point(s) copied from ${peer.name}; ${storedBytes} stored bytes new here, ${source.storedBytesReceived} bytes received`);
    return { recoveryPoints: copied, storedBytesCopied: storedBytes, bytesReceived: source.storedBytesReceived };
  } catch (err) {
    updateLink(services, peer.id, { lastReplicationAt: services.clock.now(), lastReplicationError: (err as Error).message.slice(0, 500), addBytes: source.storedBytesReceived });
    linkFailed(services, peer, "replication", err);
  }
};

/**
 * On a primary that took ownership back: the recovery points its secondary made while
 * switched, copied into this pool and recorded on the source, so history has no gap.
 */
const pullJob: JobHandler = async (ctx) => {
  const { services, params } = ctx;
  const { peer, client } = peerOf(ctx);
  const ids = Array.isArray(params.dataSourceIds) ? (params.dataSourceIds as unknown[]).filter((x): x is number => typeof x === "number") : [];
  const source = client.replicationSource(ctx.signal);
  let copied = 0;
  for (const id of ids) {
    const own = services.db.select({ id: dataSources.id, name: dataSources.name }).from(dataSources).where(eq(dataSources.id, id)).get();
    if (!own) continue;
    const points = await client.recoveryPoints(id, null, ctx.signal, { whose: "mine" });
    for (const rp of points) {
      const r = await copyPeerRecoveryPoint(services, source, { dataSourceId: own.id, point: rp, madeByServerId: peer.id, jobId: ctx.job.id, signal: ctx.signal });
      if (!r) continue;
      copied++;
      ctx.log("info", `${own.name}: recovery point of ${rp.createdAt} made on ${peer.name} copied back (${r.chunksCopied} new chunks, ${r.storedBytesCopied} bytes)`);
    }
  }
  ctx.log("info", `${copied} recovery point(s) pulled from ${peer.name}`);
  return { recoveryPoints: copied, bytesReceived: source.storedBytesReceived };
};

export function linkJobHandlers(): Record<string, JobHandler> {
  return { "catalog-copy": catalogCopyJob, replication: replicationJob, "pull-recovery-points": pullJob };
}
