import { asc, count, eq, isNull } from "drizzle-orm";
import type { CatalogDb } from "@/db/client";
import { dataSources, protectedComputers, protectionGroups } from "@/db/schema";

/** Groups with their member counts, and the computers' data sources no group protects yet. */
export function listProtectionOverview(db: CatalogDb) {
  const groups = db
    .select({ id: protectionGroups.id, name: protectionGroups.name, members: count(dataSources.id) })
    .from(protectionGroups)
    .leftJoin(dataSources, eq(dataSources.groupId, protectionGroups.id))
    .groupBy(protectionGroups.id)
    .orderBy(asc(protectionGroups.name))
    .all();
  const unprotected = db
    .select({ id: dataSources.id, computer: protectedComputers.name, kind: dataSources.kind, path: dataSources.path })
    .from(dataSources)
    .innerJoin(protectedComputers, eq(protectedComputers.id, dataSources.computerId))
    .where(isNull(dataSources.groupId))
    .orderBy(asc(protectedComputers.name), asc(dataSources.path))
    .all();
  const computers = db.select({ n: count() }).from(protectedComputers).get()?.n ?? 0;
  return { groups, unprotected, computers };
}
