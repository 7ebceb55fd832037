import { asc, count, eq, max } from "drizzle-orm";
import type { CatalogDb } from "@/db/client";
import { agents, dataSources, protectedComputers, recoveryPoints, servers } from "@/db/schema";
import { linkedPrimaries } from "./kept-copies";

/**
 * Data sources that have recovery points, with how many and the latest one: where a restore
 * starts. A copy of a primary server's source (secondary protection) names that primary, and
 * says whether this server protects it now (after a switch), or keeps it after the link with
 * that primary was removed (it then restores to a folder on this server: kept-copies.ts).
 */
export function listRecoverableSources(db: CatalogDb) {
  const linked = linkedPrimaries(db);
  return db
    .select({
      id: dataSources.id,
      computer: protectedComputers.name,
      name: dataSources.name,
      kind: dataSources.kind,
      path: dataSources.path,
      recoveryPoints: count(recoveryPoints.id),
      latest: max(recoveryPoints.createdAt),
      originServer: servers.name,
      originServerId: dataSources.originServerId,
      agentId: agents.id,
      protectedHere: dataSources.protectedHere,
    })
    .from(dataSources)
    .innerJoin(protectedComputers, eq(protectedComputers.id, dataSources.computerId))
    .innerJoin(recoveryPoints, eq(recoveryPoints.dataSourceId, dataSources.id))
    .leftJoin(servers, eq(servers.id, dataSources.originServerId))
    .leftJoin(agents, eq(agents.computerId, dataSources.computerId))
    .groupBy(dataSources.id)
    .orderBy(asc(protectedComputers.name), asc(dataSources.path))
    .all()
    .map(({ originServerId, agentId, ...r }) => ({
      ...r,
      latest: r.latest === null ? null : new Date(Number(r.latest)),
      originUnlinked: originServerId !== null && !linked.has(originServerId),
      /** A copy of a primary's own computer (its built-in agent is the primary's alone): it restores to a folder on this server. */
      originAgentless: originServerId !== null && linked.has(originServerId) && agentId === null,
    }));
}
