import { asc, count, eq, max } from "drizzle-orm";
import type { CatalogDb } from "@/db/client";
import { dataSources, protectedComputers, recoveryPoints, servers } from "@/db/schema";

/**
 * Data sources that have recovery points, with how many and the latest one: where a restore
 * starts. A copy of a primary server's source (secondary protection) names that primary, and
 * says whether this server protects it now (after a switch).
 */
export function listRecoverableSources(db: CatalogDb) {
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
      protectedHere: dataSources.protectedHere,
    })
    .from(dataSources)
    .innerJoin(protectedComputers, eq(protectedComputers.id, dataSources.computerId))
    .innerJoin(recoveryPoints, eq(recoveryPoints.dataSourceId, dataSources.id))
    .leftJoin(servers, eq(servers.id, dataSources.originServerId))
    .groupBy(dataSources.id)
    .orderBy(asc(protectedComputers.name), asc(dataSources.path))
    .all()
    .map((r) => ({ ...r, latest: r.latest === null ? null : new Date(Number(r.latest)) }));
}
