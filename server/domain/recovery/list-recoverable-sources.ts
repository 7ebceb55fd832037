import { asc, count, eq, max } from "drizzle-orm";
import type { CatalogDb } from "@/db/client";
import { dataSources, protectedComputers, recoveryPoints } from "@/db/schema";

/** Data sources that have recovery points, with how many and the latest one: where a restore starts. */
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
    })
    .from(dataSources)
    .innerJoin(protectedComputers, eq(protectedComputers.id, dataSources.computerId))
    .innerJoin(recoveryPoints, eq(recoveryPoints.dataSourceId, dataSources.id))
    .groupBy(dataSources.id)
    .orderBy(asc(protectedComputers.name), asc(dataSources.path))
    .all()
    .map((r) => ({ ...r, latest: r.latest === null ? null : new Date(Number(r.latest)) }));
}
