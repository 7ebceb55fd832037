/**
 * Data sources as the catalog knows them: discovered from each computer's agent (the agent
 * declares its folders and databases; the server records them), and listed with their group,
 * replica state and health for the Protection pages.
 */
import { and, asc, eq, isNull, notInArray, sql } from "drizzle-orm";
import type { CatalogDb } from "@/db/client";
import { agents, dataSources, protectedComputers, protectionGroups, recoveryPoints } from "@/db/schema";
import type { AgentDescription } from "@/server/agent/agent-client";
import { healthOfSources } from "../monitoring/alerts";

/** Records what an agent reports: new sources are added, known ones updated, vanished ones marked absent. */
export function recordDiscoveredSources(db: CatalogDb, computerId: number, reported: AgentDescription["sources"], now: Date): { added: number; updated: number; absent: number } {
  return db.transaction((tx) => {
    let added = 0;
    let updated = 0;
    for (const s of reported) {
      const existing = tx
        .select({ id: dataSources.id })
        .from(dataSources)
        .where(and(eq(dataSources.computerId, computerId), eq(dataSources.name, s.name)))
        .get();
      if (existing) {
        tx.update(dataSources).set({ kind: s.kind, path: s.path, present: s.present }).where(eq(dataSources.id, existing.id)).run();
        updated++;
      } else {
        // A source renamed on the agent keeps its catalog row (and history) when its path matches.
        const samePath = tx.select({ id: dataSources.id }).from(dataSources).where(and(eq(dataSources.computerId, computerId), eq(dataSources.path, s.path))).get();
        if (samePath) tx.update(dataSources).set({ name: s.name, kind: s.kind, present: s.present }).where(eq(dataSources.id, samePath.id)).run();
        else tx.insert(dataSources).values({ computerId, name: s.name, kind: s.kind, path: s.path, present: s.present, createdAt: now }).run();
        added++;
      }
    }
    const names = reported.map((s) => s.name);
    const absent = tx
      .update(dataSources)
      .set({ present: false })
      .where(and(eq(dataSources.computerId, computerId), names.length ? notInArray(dataSources.name, names) : sql`1 = 1`))
      .run().changes;
    return { added, updated, absent };
  });
}

/** Computers with their data sources (for the group wizard and the Protection page). */
export function listComputersWithSources(db: CatalogDb) {
  const computers = db
    .select({ id: protectedComputers.id, name: protectedComputers.name, agentId: agents.id, builtIn: agents.builtIn, lastContactAt: agents.lastContactAt, url: agents.url })
    .from(protectedComputers)
    .leftJoin(agents, eq(agents.computerId, protectedComputers.id))
    .orderBy(asc(protectedComputers.name))
    .all();
  const sources = db
    .select({
      id: dataSources.id,
      computerId: dataSources.computerId,
      name: dataSources.name,
      kind: dataSources.kind,
      path: dataSources.path,
      present: dataSources.present,
      groupId: dataSources.groupId,
      group: protectionGroups.name,
    })
    .from(dataSources)
    .leftJoin(protectionGroups, eq(protectionGroups.id, dataSources.groupId))
    .orderBy(asc(dataSources.name))
    .all();
  return computers.map((c) => ({ ...c, sources: sources.filter((s) => s.computerId === c.id) }));
}

/** Data sources on protected computers that no group protects (DPM's "unprotected" list). */
export function listUnprotectedSources(db: CatalogDb) {
  return db
    .select({ id: dataSources.id, computer: protectedComputers.name, name: dataSources.name, kind: dataSources.kind, path: dataSources.path, present: dataSources.present })
    .from(dataSources)
    .innerJoin(protectedComputers, eq(protectedComputers.id, dataSources.computerId))
    .where(isNull(dataSources.groupId))
    .orderBy(asc(protectedComputers.name), asc(dataSources.name))
    .all();
}

/** One data source with what the jobs and pages need to know about it. */
export function loadSource(db: CatalogDb, id: number) {
  return db
    .select({
      id: dataSources.id,
      name: dataSources.name,
      kind: dataSources.kind,
      path: dataSources.path,
      present: dataSources.present,
      groupId: dataSources.groupId,
      replicaState: dataSources.replicaState,
      replicaManifest: dataSources.replicaManifest,
      lastSyncAt: dataSources.lastSyncAt,
      protectedSince: dataSources.protectedSince,
      computerId: dataSources.computerId,
      computer: protectedComputers.name,
      agentId: agents.id,
    })
    .from(dataSources)
    .innerJoin(protectedComputers, eq(protectedComputers.id, dataSources.computerId))
    .leftJoin(agents, eq(agents.computerId, dataSources.computerId))
    .where(eq(dataSources.id, id))
    .get();
}

export type LoadedSource = NonNullable<ReturnType<typeof loadSource>>;

/** Members of groups with their replica state, latest recovery point and health. */
export function listMembers(db: CatalogDb, groupId?: number) {
  const rows = db
    .select({
      id: dataSources.id,
      groupId: dataSources.groupId,
      name: dataSources.name,
      kind: dataSources.kind,
      path: dataSources.path,
      present: dataSources.present,
      computer: protectedComputers.name,
      replicaState: dataSources.replicaState,
      lastSyncAt: dataSources.lastSyncAt,
      protectedSince: dataSources.protectedSince,
      latestRecoveryPointAt: sql<number | null>`(select max(${recoveryPoints.createdAt}) from ${recoveryPoints} where ${recoveryPoints.dataSourceId} = ${dataSources.id})`,
      recoveryPoints: sql<number>`(select count(*) from ${recoveryPoints} where ${recoveryPoints.dataSourceId} = ${dataSources.id})`,
    })
    .from(dataSources)
    .innerJoin(protectedComputers, eq(protectedComputers.id, dataSources.computerId))
    .where(groupId === undefined ? sql`${dataSources.groupId} is not null` : eq(dataSources.groupId, groupId))
    .orderBy(asc(protectedComputers.name), asc(dataSources.name))
    .all();
  const health = healthOfSources(db, rows.map((r) => r.id));
  return rows.map((r) => ({
    ...r,
    latestRecoveryPointAt: r.latestRecoveryPointAt === null ? null : new Date(Number(r.latestRecoveryPointAt)),
    health: health.get(r.id) ?? ("ok" as const),
  }));
}
