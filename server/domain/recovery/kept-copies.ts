/**
 * Copies of another server's data sources that cannot go back through their computer's agent:
 * - kept when the link with their primary was removed (servers/remove-link.ts, DPM's "retain
 *   replica"): the primary's agents dropped this server as a standby;
 * - of a computer with no agent this server may call: the primary's own computer, protected by
 *   its built-in agent, which is the primary's alone (in a mutual pair, each server's own data).
 * A recovery point of such a copy is restored from this server's pool to a folder on this
 * server itself (DPM's recovery to an alternate location), and only by an administrator: a
 * folder on the backup server is not a protected computer, and help desk restores to protected
 * computers. The server's own data folder is never a target.
 */
import path from "node:path";
import { and, eq } from "drizzle-orm";
import type { CatalogDb } from "@/db/client";
import { agents, dataSources, serverLinks, servers } from "@/db/schema";
import type { Services } from "@/server/services";
import { readHeader } from "@/server/engine/manifest";
import { restore, type ExistingPolicy } from "@/server/engine/restorer";

/** The servers this one protects now (its primaries): a copy of any other's sources is a kept copy. */
export function linkedPrimaries(db: CatalogDb): Set<string> {
  const self = db.select({ id: servers.id }).from(servers).where(eq(servers.isSelf, true)).get();
  if (!self) return new Set();
  return new Set(db.select({ id: serverLinks.primaryId }).from(serverLinks).where(eq(serverLinks.secondaryId, self.id)).all().map((l) => l.id));
}

export type LocalRestoreReason = "link-removed" | "no-agent";

/** Why `dataSourceId`, a copy of another server's source, restores to a folder on this server (with that server's name); null when it goes back through its agent. */
export function localRestoreOf(db: CatalogDb, dataSourceId: number): { origin: string; reason: LocalRestoreReason } | null {
  const row = db
    .select({ origin: dataSources.originServerId, name: servers.name, agentId: agents.id })
    .from(dataSources)
    .leftJoin(servers, eq(servers.id, dataSources.originServerId))
    .leftJoin(agents, eq(agents.computerId, dataSources.computerId))
    .where(eq(dataSources.id, dataSourceId))
    .get();
  if (!row?.origin) return null;
  const origin = row.name ?? row.origin;
  const self = db.select({ id: servers.id }).from(servers).where(eq(servers.isSelf, true)).get();
  const linked = self && db.select({ p: serverLinks.primaryId }).from(serverLinks).where(and(eq(serverLinks.primaryId, row.origin), eq(serverLinks.secondaryId, self.id))).get();
  if (!linked) return { origin, reason: "link-removed" };
  return row.agentId === null ? { origin, reason: "no-agent" } : null;
}

/** The other server's name when `dataSourceId` is a copy restored to a folder on this server, else null. */
export function keptCopyOrigin(db: CatalogDb, dataSourceId: number): string | null {
  return localRestoreOf(db, dataSourceId)?.origin ?? null;
}

/** Why a copy of `origin` that restores on this server may not be restored as asked, with the field it concerns; null when it may. */
export function keptCopyRestoreRefusal(origin: string, r: { target?: string; role: string }, reason: LocalRestoreReason = "link-removed"): { code: "FORBIDDEN" | "INVALID"; field: "target"; message: string } | null {
  const why =
    reason === "link-removed"
      ? `this copy of ${origin}'s data source was kept when the link with ${origin} was removed, so its computer's agent no longer accepts this server`
      : `this copy is of a data source on ${origin}'s own computer, whose built-in agent answers ${origin} only`;
  if (r.role !== "admin") return { code: "FORBIDDEN", field: "target", message: `${why}: it restores to a folder on this server, which only an administrator may do` };
  if (r.target === undefined) return { code: "INVALID", field: "target", message: `${why}: give a folder on this server to restore into` };
  return null;
}

export interface LocalRestoreReport {
  counts: Record<string, number>;
  bytes: number;
  target: string;
  problems: { path: string; outcome: string; detail?: string }[];
}

/** Restores a recovery point of a kept copy from this server's pool into `target` on this server. */
export async function restoreKeptCopy(
  services: Services,
  manifestId: string,
  target: string,
  o: { paths?: Buffer[]; existing: ExistingPolicy; onProgress?: (p: { files: number; bytes: number }) => void },
): Promise<LocalRestoreReport> {
  const abs = path.resolve(target);
  const dataDir = path.resolve(services.protection.dataDir);
  if (abs === dataDir || abs.startsWith(dataDir + path.sep) || dataDir.startsWith(abs + path.sep)) {
    throw new Error(`${abs} holds or is inside this server's data folder: restore a kept copy to another folder on this server`);
  }
  const pool = services.protection.pool();
  const r = await restore(pool, readHeader(pool.dir, manifestId), abs, { paths: o.paths, existing: o.existing, onProgress: o.onProgress });
  return { counts: r.counts, bytes: r.bytes, target: abs, problems: r.problems.map((p) => ({ path: p.path.toString("base64"), outcome: p.outcome, ...(p.detail && { detail: p.detail }) })) };
}
