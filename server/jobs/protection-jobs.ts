/**
 * What each job type does. The data jobs of a data source all run the agent's backup (it
 * walks, chunks and sends only what the pool lacks); they differ in what they compare with
 * and what they keep (DPM-REFERENCE §3):
 *
 *   synchronization     incremental (against the replica); the result becomes the replica
 *   recovery point      a synchronization whose result is also kept as a recovery point
 *   express full        a full re-read (no parent), kept as a recovery point (databases)
 *   consistency check   a full re-read that repairs the replica: it trusts nothing of the last one
 *
 * The replica is the latest synchronization's manifest; a manifest that is neither the
 * replica nor a recovery point is removed (its chunks go at the next garbage collection).
 */
import { eq, isNotNull } from "drizzle-orm";
import { dataSources, protectionGroups, recoveryPoints, serverLinks } from "@/db/schema";
import { pruneCatalogSnapshots } from "@/server/domain/servers/catalog-snapshots";
import { keptCatalogRetentionDays } from "@/server/domain/servers/remove-link";
import { keptCopyOrigin, restoreKeptCopy } from "@/server/domain/recovery/kept-copies";
import type { Services } from "@/server/services";
import type { AgentClient } from "@/server/agent/agent-client";
import { listManifestIds, readHeader, removeHeader, type ManifestHeader } from "@/server/engine/manifest";
import { verifyPool } from "@/server/engine/checker";
import { collectGarbage } from "@/server/engine/gc";
import { clientFor } from "@/server/domain/agents/agents";
import { loadSource, type LoadedSource } from "@/server/domain/protection/data-sources";
import { parseStoredPolicy } from "@/server/domain/protection/policy-schema";
import { replicaAfter, replicaAllows, type ReplicaState } from "@/server/domain/scheduling/job-rules";
import { expiredRecoveryPoints, forgetRecoveryPoints, getRecoveryPoint, indexableFiles, recordRecoveryPoint } from "@/server/domain/recovery/recovery-points";
import { raiseAlert } from "@/server/domain/monitoring/alerts";
import { recordAuditEvent } from "@/server/domain/audit/record-audit-event";
import { JobFailure, type JobContext, type JobHandler } from "./runner";

type DataJob = "synchronization" | "recovery-point" | "express-full" | "consistency-check";

function setReplicaState(services: Services, id: number, state: ReplicaState): void {
  services.db.update(dataSources).set({ replicaState: state, replicaStateAt: services.clock.now() }).where(eq(dataSources.id, id)).run();
}

function agentOf(services: Services, source: LoadedSource): AgentClient {
  if (!source.agentId) throw new Error(`${source.computer} has no paired protection agent`);
  return clientFor(services, source.agentId);
}


function dataJob(type: DataJob): JobHandler {
  return async (ctx: JobContext) => {
    const { services, job, params } = ctx;
    const source = job.dataSourceId === null ? undefined : loadSource(services.db, job.dataSourceId);
    if (!source) throw new Error("the data source no longer exists");
    if (source.groupId === null) throw new Error(`${source.name} is no longer protected`);
    const initial = params.initialReplica === true || source.replicaState === "creation-pending";
    const action = type === "consistency-check" ? "consistency-check" : type === "synchronization" ? "synchronization" : "recovery-point";
    if (!initial) {
      const allowed = replicaAllows(source.replicaState, action);
      if (!allowed.ok) throw new Error(allowed.reason);
    }
    const full = initial || type === "express-full" || type === "consistency-check";
    const pin = type === "recovery-point" || type === "express-full";
    const before = source.replicaState;
    if (type === "consistency-check") setReplicaState(services, source.id, "checking");
    ctx.log("info", `${full ? "full read" : "incremental"} of ${source.name} (${source.kind} ${source.path}) on ${source.computer}${initial ? ": initial replica" : ""}`);

    let started = false;
    let header: ManifestHeader;
    // A check started by the group's window runs for at most its maximum duration (DPM's CC window).
    const signal = typeof params.maxHours === "number" ? AbortSignal.any([ctx.signal, AbortSignal.timeout(params.maxHours * 3600_000)]) : ctx.signal;
    try {
      header = await agentOf(services, source).backup(source.name, {
        parent: full ? null : undefined,
        signal,
        onProgress: (p) => {
          started = true;
          // Files finish in walk order while later ones are already being read: what was read is the better "done" mid-file.
          ctx.progress({ files: p.files, bytes: Math.max(p.bytes, p.bytesRead), bytesTotal: p.estimatedBytes, bytesPerSecond: p.rate });
        },
      });
    } catch (err) {
      // DPM: a synchronization that failed midway leaves the replica inconsistent. One that
      // never reached the data (agent unreachable, refused) leaves it as it was.
      const after: ReplicaState = type === "consistency-check" ? "inconsistent" : started && before !== "creation-pending" ? replicaAfter(before, "synchronization", "failed") : before;
      setReplicaState(services, source.id, after);
      if (after !== before && after === "inconsistent") ctx.log("warn", "the replica is now inconsistent: a consistency check must succeed before new recovery points");
      throw err;
    }
    ctx.progress({ files: header.stats.files, bytes: header.stats.bytes, bytesTotal: header.stats.bytes, bytesPerSecond: 0 });
    ctx.log("info", `${header.stats.files} files, ${header.stats.bytes} bytes; ${header.stats.newChunks} new chunks (${header.stats.newStoredBytes} bytes stored)`);

    const files = pin ? await indexableFiles(services.protection.pool(), header) : [];
    const now = services.clock.now();
    const previousReplica = source.replicaManifest;
    let recoveryPointId: number | null = null;
    services.db.$client.transaction(() => {
      if (pin) recoveryPointId = recordRecoveryPoint(services.db, { dataSourceId: source.id, header, kind: type === "express-full" ? "express-full" : "incremental", jobId: job.id, createdAt: now }, files);
      services.db.update(dataSources).set({ replicaManifest: header.id, lastSyncAt: now, replicaState: "ok", replicaStateAt: now }).where(eq(dataSources.id, source.id)).run();
    })();
    // The previous replica goes unless a recovery point keeps it (after the catalog moved on: a crash here leaves a manifest the next prune removes).
    if (previousReplica && previousReplica !== header.id) {
      const pinned = services.db.select({ id: recoveryPoints.id }).from(recoveryPoints).where(eq(recoveryPoints.manifestId, previousReplica)).get();
      if (!pinned) {
        try {
          removeHeader(services.protection.pool().dir, previousReplica);
        } catch (err) {
          ctx.log("warn", `the previous replica's manifest stays until the next prune: ${(err as Error).message}`);
        }
      }
    }
    if (recoveryPointId !== null) ctx.log("info", `recovery point ${recoveryPointId} made (manifest ${header.id})`);
    return { manifest: header.id, recoveryPointId, files: header.stats.files, bytes: header.stats.bytes, newChunks: header.stats.newChunks, newStoredBytes: header.stats.newStoredBytes };
  };
}

/** Restores a recovery point (or some of its paths) through the data source's agent. */
const restoreJob: JobHandler = async (ctx) => {
  const { services, job, params } = ctx;
  const source = job.dataSourceId === null ? undefined : loadSource(services.db, job.dataSourceId);
  if (!source) throw new Error("the data source no longer exists");
  const rp = getRecoveryPoint(services.db, Number(params.recoveryPointId));
  const target = typeof params.target === "string" ? params.target : undefined;
  const paths = Array.isArray(params.paths) ? (params.paths as string[]).map((p) => Buffer.from(p, "utf8")) : undefined;
  const existing = (params.existing as "overwrite" | "skip" | "copy" | undefined) ?? "copy";
  const bytesTotal = typeof params.bytesTotal === "number" ? params.bytesTotal : rp.sizeBytes;
  ctx.log("info", `restoring recovery point ${rp.id} of ${source.name} (${rp.createdAt.toISOString()}) to ${target ?? `the original location ${source.path}`}${paths ? `, ${paths.length} selected path(s)` : ""}; existing files: ${existing}`);
  const started = Date.now();
  const at = () => services.clock.now();
  let report;
  const onProgress = (p: { files: number; bytes: number }) => ctx.progress({ files: p.files, bytes: p.bytes, bytesTotal, bytesPerSecond: p.bytes / Math.max(0.001, (Date.now() - started) / 1000) });
  // A copy kept after its link was removed: its agent no longer accepts this server, so it restores to a folder here.
  const keptFrom = keptCopyOrigin(services.db, source.id);
  try {
    if (keptFrom !== null) {
      if (!target) throw new Error(`a copy kept from ${keptFrom} restores to a folder on this server: the job names none`);
      ctx.log("info", `a copy kept when the link with ${keptFrom} was removed: restoring from this server's pool to ${target} on this server`);
      report = await restoreKeptCopy(services, rp.manifestId, target, { paths, existing, onProgress });
    } else {
      report = await agentOf(services, source).restore(source.name, rp.manifestId, { target, paths, existing, signal: ctx.signal, onProgress });
    }
  } catch (err) {
    raiseAlert(services.db, { key: `restore-failed:${job.id}`, type: "restore-failed", severity: "critical", title: `Recovery failed: ${source.name}`, detail: (err as Error).message, dataSourceId: source.id, groupId: source.groupId, computerId: source.computerId, target: source.name, recommendedAction: `See job ${job.id}.` }, at());
    recordAuditEvent(services.db, { at: at(), username: job.requestedBy ?? "system", action: "restore.finished", target: `${source.computer}:${source.name}`, outcome: "failed", detail: `job ${job.id}: ${(err as Error).message}` });
    ctx.log("info", "recorded in the audit log (restore.finished)");
    throw err;
  }
  // Entries the restorer refused (they would have left the target, or met a symlink there) did not arrive either.
  const failed = report.problems.filter((p) => p.outcome === "failed" || p.outcome === "refused");
  for (const p of report.problems.slice(0, 200)) ctx.log(p.outcome === "failed" ? "error" : "info", `${Buffer.from(p.path, "base64").toString("utf8")}: ${p.outcome}${p.detail ? ` (${p.detail})` : ""}`);
  ctx.progress({ files: Object.values(report.counts).reduce((a, b) => a + b, 0), bytes: report.bytes, bytesTotal: report.bytes, bytesPerSecond: 0 });
  const summary = Object.entries(report.counts).map(([k, v]) => `${v} ${k}`).join(", ");
  recordAuditEvent(services.db, { at: at(), username: job.requestedBy ?? "system", action: "restore.finished", target: `${source.computer}:${source.name}`, outcome: failed.length ? "failed" : "ok", detail: `job ${job.id}: recovery point ${rp.id} to ${report.target}: ${summary}` });
  ctx.log("info", "recorded in the audit log (restore.finished)");
  const result = { target: report.target, counts: report.counts, bytes: report.bytes, problems: report.problems.length, audited: true };
  if (failed.length) {
    raiseAlert(services.db, { key: `restore-failed:${job.id}`, type: "restore-failed", severity: "critical", title: `Recovery partly failed: ${source.name}`, detail: `${failed.length} entries could not be restored to ${report.target}.`, dataSourceId: source.id, groupId: source.groupId, computerId: source.computerId, target: source.name }, at());
    throw new JobFailure(`${failed.length} entries could not be restored (${summary}); see the log`, result);
  }
  raiseAlert(services.db, { key: `restore-succeeded:${job.id}`, type: "restore-succeeded", severity: "info", title: `Recovery succeeded: ${source.name}`, detail: `Recovery point of ${rp.createdAt.toISOString()} restored to ${report.target}: ${summary}.`, dataSourceId: source.id, groupId: source.groupId, computerId: source.computerId, target: source.name }, at());
  return result;
};

/** Re-reads the pool (all of it or a sample of packs) and checks every chunk against its id. */
const verifyJob: JobHandler = async (ctx) => {
  const { services, params } = ctx;
  const sample = typeof params.samplePercent === "number" ? params.samplePercent / 100 : 1;
  const report = await verifyPool(services.protection.pool(), {
    sample,
    onProgress: (p) => ctx.progress({ files: p.packsRead, bytes: p.bytesRead, bytesTotal: null, bytesPerSecond: 0 }),
  });
  const problems = report.chunkProblems.length + report.packProblems.length + report.recoveryPointProblems.length;
  ctx.log(problems ? "error" : "info", `${report.packsRead}/${report.packsTotal} packs, ${report.chunksRead} chunks, ${report.recoveryPoints} recovery points read; ${problems} problems`);
  for (const p of report.chunkProblems.slice(0, 50)) ctx.log("error", `chunk ${p.chunk} ${p.kind} in pack ${p.pack ?? "?"}: ${p.detail}; ${p.fileCount} files in ${p.recoveryPoints.length} recovery points`);
  const now = services.clock.now();
  if (problems) {
    raiseAlert(services.db, { key: "pool-damaged:pool", type: "pool-damaged", severity: "critical", title: "Storage pool damage found", detail: `${problems} problems; see job ${ctx.job.id}.`, recommendedAction: "Run a consistency check of the affected data sources, then `custodian pool verify --rebuild-index` if the index is at fault." }, now);
    throw new Error(`${problems} problems found in the storage pool`);
  }
  return { packsRead: report.packsRead, packsTotal: report.packsTotal, chunksRead: report.chunksRead, bytesRead: report.bytesRead, sampled: report.sampled };
};

/**
 * Retention, then garbage collection: each protected data source loses the recovery points
 * older than its group's range (never its newest); manifests no recovery point or replica
 * names are removed; then the chunks nothing uses are freed.
 */
const pruneJob: JobHandler = async (ctx) => {
  const { services } = ctx;
  const now = services.clock.now();
  const pool = services.protection.pool();
  const members = services.db
    .select({ id: dataSources.id, name: dataSources.name, policy: protectionGroups.policy })
    .from(dataSources)
    .innerJoin(protectionGroups, eq(protectionGroups.id, dataSources.groupId))
    .all();
  let expired = 0;
  const manifests: string[] = [];
  for (const m of members) {
    const policy = parseStoredPolicy(m.policy);
    const ids = expiredRecoveryPoints(services.db, m.id, policy.retentionDays, now);
    if (!ids.length) continue;
    manifests.push(...forgetRecoveryPoints(services.db, m.id, ids));
    expired += ids.length;
    ctx.log("info", `${m.name}: ${ids.length} recovery points older than ${policy.retentionDays} days expired`);
  }
  for (const id of manifests) removeHeader(pool.dir, id);
  // Catalog snapshots: this server's own, and the copies it holds of its primaries' under each link's retention (or, kept after the link was removed, the retention it had).
  const links = new Map(services.db.select({ id: serverLinks.primaryId, days: serverLinks.catalogRetentionDays }).from(serverLinks).all().map((l) => [l.id, l.days]));
  const snapshots = pruneCatalogSnapshots(services, now, (serverId) => links.get(serverId) ?? keptCatalogRetentionDays(services.db, serverId) ?? 14);
  if (snapshots.length) ctx.log("info", `${snapshots.length} catalog snapshot(s) past their retention removed`);
  // Manifests the catalog does not name (a crash between a job's catalog write and its clean-up).
  const named = new Set<string>([
    ...services.db.select({ m: recoveryPoints.manifestId }).from(recoveryPoints).where(isNotNull(recoveryPoints.manifestId)).all().map((r) => r.m!),
    ...services.db.select({ m: dataSources.replicaManifest }).from(dataSources).where(isNotNull(dataSources.replicaManifest)).all().map((r) => r.m!),
  ]);
  let orphans = 0;
  const guard = now.getTime() - 10 * 60_000;
  for (const id of listManifestIds(pool.dir)) {
    if (named.has(id)) continue;
    const h = readHeader(pool.dir, id);
    if (!h.source.startsWith("agent:") || Date.parse(h.time) > guard) continue; // only what agents made, and not a backup just finishing
    removeHeader(pool.dir, id);
    orphans++;
  }
  if (orphans) ctx.log("info", `${orphans} manifests no recovery point or replica uses were removed`);
  const gc = await collectGarbage(pool);
  ctx.log("info", `garbage collection: ${gc.packsDeleted} packs deleted, ${gc.packsRewritten} rewritten, ${gc.bytesFreed} bytes freed`);
  return { expired, orphans, ...gc, damagedChunksKept: gc.damagedChunksKept.length };
};

export function protectionJobHandlers(): Record<string, JobHandler> {
  return {
    synchronization: dataJob("synchronization"),
    "recovery-point": dataJob("recovery-point"),
    "express-full": dataJob("express-full"),
    "consistency-check": dataJob("consistency-check"),
    restore: restoreJob,
    verify: verifyJob,
    prune: pruneJob,
  };
}
