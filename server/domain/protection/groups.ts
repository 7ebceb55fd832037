/**
 * Protection groups (SPEC §3, DPM-REFERENCE §2): create with members and a short-term
 * policy, change the policy, add and remove members, stop protection (keeping or deleting
 * the data), and run a job on the members now. Every refusal names its field and rule.
 */
import { and, asc, eq, inArray } from "drizzle-orm";
import type { CatalogDb } from "@/db/client";
import { dataSources, fileVersions, indexedFiles, protectionGroups, recoveryPoints } from "@/db/schema";
import type { Services } from "@/server/services";
import { removeHeader } from "@/server/engine/manifest";
import { DomainError } from "../errors";
import { checkAddMember, checkGroupName, checkShortTermPolicy, type PolicyIssue, type ShortTermPolicy } from "./short-term-policy";
import { parseStoredPolicy } from "./policy-schema";
import { listMembers } from "./data-sources";
import type { Health } from "../monitoring/alerts";
import { enqueueJob, pendingJobFor, type JobTrigger, type JobType } from "../jobs/job-queue";
import { replicaAllows } from "../scheduling/job-rules";

function refuse(issues: PolicyIssue[], subject?: string): never {
  const fieldErrors: Record<string, string[]> = {};
  for (const i of issues) (fieldErrors[i.field] ??= []).push(i.message);
  throw new DomainError("INVALID", issues.map((i) => i.message).join(" "), subject, fieldErrors);
}

function sourcesByIds(db: CatalogDb, ids: readonly number[]) {
  const rows = ids.length
    ? db
        .select({ id: dataSources.id, name: dataSources.name, path: dataSources.path, kind: dataSources.kind, groupId: dataSources.groupId, computerId: dataSources.computerId, group: protectionGroups.name })
        .from(dataSources)
        .leftJoin(protectionGroups, eq(protectionGroups.id, dataSources.groupId))
        .where(inArray(dataSources.id, [...ids]))
        .all()
    : [];
  const missing = ids.filter((id) => !rows.some((r) => r.id === id));
  if (missing.length) throw new DomainError("NOT_FOUND", `no data source ${missing.join(", ")}`, undefined, { members: [`unknown data source ${missing.join(", ")}`] });
  return rows;
}

/** The initial replica: a first synchronization that is also the first recovery point (DPM: replica creation "now"). */
function enqueueInitialReplica(db: CatalogDb, groupId: number, source: { id: number; name: string }, now: Date, by: string | null): void {
  enqueueJob(db, { type: "recovery-point", target: source.name, trigger: "system", dataSourceId: source.id, groupId, params: { initialReplica: true }, requestedBy: by }, now);
}

export interface CreateGroupInput {
  name: string;
  policy: ShortTermPolicy;
  members: number[];
  /** A key the form generated once: submitting it twice returns the first group. */
  requestKey?: string;
}

export function createGroup(db: CatalogDb, input: CreateGroupInput, now: Date, by: string | null = null): { id: number; created: boolean } {
  return db.transaction((tx) => {
    if (input.requestKey) {
      const done = tx.select({ id: protectionGroups.id }).from(protectionGroups).where(eq(protectionGroups.requestKey, input.requestKey)).get();
      if (done) return { id: done.id, created: false };
    }
    const name = input.name.trim();
    const issues = [...checkGroupName(name)];
    if (input.members.length === 0) issues.push({ field: "members", rule: "members-required", message: "Choose at least one data source to protect." });
    const members = sourcesByIds(tx, [...new Set(input.members)]);
    for (const m of members) issues.push(...checkAddMember({ path: `${m.name} (${m.path})`, groupName: m.group }, name));
    issues.push(...checkShortTermPolicy(input.policy, { hasDatabases: members.some((m) => m.kind === "sqlite") }));
    if (!issues.some((i) => i.field === "name") && tx.select({ id: protectionGroups.id }).from(protectionGroups).where(eq(protectionGroups.name, name)).get()) {
      issues.push({ field: "name", rule: "name-unique", message: `A protection group named ${name} exists already.` });
    }
    if (issues.length) refuse(issues, name);
    const id = tx.insert(protectionGroups).values({ name, policy: JSON.stringify(input.policy), createdAt: now, updatedAt: now, requestKey: input.requestKey ?? null }).returning({ id: protectionGroups.id }).get().id;
    for (const m of members) {
      tx.update(dataSources).set({ groupId: id, protectedSince: now, replicaState: "creation-pending", replicaStateAt: now }).where(eq(dataSources.id, m.id)).run();
      enqueueInitialReplica(tx, id, m, now, by);
    }
    return { id, created: true };
  });
}

export function updateGroupPolicy(db: CatalogDb, groupId: number, input: { name?: string; policy: ShortTermPolicy }, now: Date): void {
  db.transaction((tx) => {
    const group = tx.select().from(protectionGroups).where(eq(protectionGroups.id, groupId)).get();
    if (!group) throw new DomainError("NOT_FOUND", `no protection group ${groupId}`, String(groupId));
    const name = (input.name ?? group.name).trim();
    const members = tx.select({ kind: dataSources.kind }).from(dataSources).where(eq(dataSources.groupId, groupId)).all();
    const issues = [...checkGroupName(name), ...checkShortTermPolicy(input.policy, { hasDatabases: members.some((m) => m.kind === "sqlite") })];
    if (name !== group.name && tx.select({ id: protectionGroups.id }).from(protectionGroups).where(eq(protectionGroups.name, name)).get()) {
      issues.push({ field: "name", rule: "name-unique", message: `A protection group named ${name} exists already.` });
    }
    if (issues.length) refuse(issues, name);
    tx.update(protectionGroups).set({ name, policy: JSON.stringify(input.policy), updatedAt: now }).where(eq(protectionGroups.id, groupId)).run();
  });
}

export function addMembers(db: CatalogDb, groupId: number, ids: number[], now: Date, by: string | null = null): void {
  db.transaction((tx) => {
    const group = tx.select().from(protectionGroups).where(eq(protectionGroups.id, groupId)).get();
    if (!group) throw new DomainError("NOT_FOUND", `no protection group ${groupId}`, String(groupId));
    const members = sourcesByIds(tx, [...new Set(ids)]);
    const issues = members.flatMap((m) => checkAddMember({ path: `${m.name} (${m.path})`, groupName: m.group }, group.name));
    const policy = parseStoredPolicy(group.policy);
    // Express full needs a database among the members; removing the last one does not undo it, adding the first allows it.
    const all = [...tx.select({ kind: dataSources.kind }).from(dataSources).where(eq(dataSources.groupId, groupId)).all(), ...members];
    issues.push(...checkShortTermPolicy(policy, { hasDatabases: all.some((m) => m.kind === "sqlite") }).filter((i) => i.rule === "express-full-databases"));
    if (issues.length) refuse(issues, group.name);
    for (const m of members) {
      tx.update(dataSources).set({ groupId, protectedSince: now, replicaState: "creation-pending", replicaStateAt: now }).where(eq(dataSources.id, m.id)).run();
      enqueueInitialReplica(tx, groupId, m, now, by);
    }
  });
}

/**
 * Removes data sources from protection. With keepData their recovery points stay (and can
 * still be restored) until an admin deletes them; without, their recovery points leave the
 * catalog now and their manifests the pool (the chunks go at the next prune).
 */
export function removeMembers(services: Services, ids: number[], o: { keepData: boolean }): { removedRecoveryPoints: number } {
  const now = services.clock.now();
  let removedRecoveryPoints = 0;
  const manifests = services.db.transaction((tx) => {
    const rows = sourcesByIds(tx, ids);
    const notMember = rows.filter((r) => r.groupId === null);
    if (notMember.length) throw new DomainError("PRECONDITION", `${notMember.map((r) => r.name).join(", ")} is not protected`, undefined, { members: ["not in a protection group"] });
    const busy = rows.map((r) => pendingJobFor(tx, r.id, ["synchronization", "recovery-point", "express-full", "consistency-check", "restore"])).filter(Boolean);
    if (busy.length) throw new DomainError("CONFLICT", `a job is running or queued for this data source (job ${busy.map((b) => b!.id).join(", ")}): cancel it or wait for it to end`);
    const out: string[] = [];
    for (const r of rows) {
      tx.update(dataSources).set({ groupId: null, protectedSince: null, replicaState: "creation-pending", replicaStateAt: now }).where(eq(dataSources.id, r.id)).run();
      if (!o.keepData) {
        const rps = tx.select({ manifestId: recoveryPoints.manifestId }).from(recoveryPoints).where(eq(recoveryPoints.dataSourceId, r.id)).all();
        removedRecoveryPoints += rps.length;
        out.push(...rps.map((p) => p.manifestId).filter((m): m is string => !!m));
        const replica = tx.select({ m: dataSources.replicaManifest }).from(dataSources).where(eq(dataSources.id, r.id)).get()?.m;
        if (replica && !out.includes(replica)) out.push(replica);
        const files = tx.select({ id: indexedFiles.id }).from(indexedFiles).where(eq(indexedFiles.dataSourceId, r.id)).all().map((f) => f.id);
        for (let i = 0; i < files.length; i += 500) tx.delete(fileVersions).where(inArray(fileVersions.fileId, files.slice(i, i + 500))).run();
        tx.delete(indexedFiles).where(eq(indexedFiles.dataSourceId, r.id)).run();
        tx.delete(recoveryPoints).where(eq(recoveryPoints.dataSourceId, r.id)).run();
        tx.update(dataSources).set({ replicaManifest: null, lastSyncAt: null }).where(eq(dataSources.id, r.id)).run();
      }
    }
    return out;
  });
  // After the catalog forgot them: a crash in between leaves unreferenced manifests, which the next prune removes.
  const pool = services.protection.pool();
  for (const m of manifests) {
    try {
      removeHeader(pool.dir, m);
    } catch (err) {
      services.log.warn({ manifest: m, err: (err as Error).message }, "could not remove a recovery point's manifest; the next prune retries");
    }
  }
  return { removedRecoveryPoints };
}

/** Stops protection of the whole group: its members leave it (keeping or deleting data) and the group is deleted. */
export function stopProtection(services: Services, groupId: number, o: { keepData: boolean }): { removedRecoveryPoints: number } {
  const group = services.db.select().from(protectionGroups).where(eq(protectionGroups.id, groupId)).get();
  if (!group) throw new DomainError("NOT_FOUND", `no protection group ${groupId}`, String(groupId));
  const ids = services.db.select({ id: dataSources.id }).from(dataSources).where(eq(dataSources.groupId, groupId)).all().map((r) => r.id);
  const result = ids.length ? removeMembers(services, ids, o) : { removedRecoveryPoints: 0 };
  services.db.delete(protectionGroups).where(eq(protectionGroups.id, groupId)).run();
  return result;
}

type MemberRow = ReturnType<typeof listMembers>[number];

function groupView(g: typeof protectionGroups.$inferSelect, own: MemberRow[]) {
  const policy = parseStoredPolicy(g.policy, own.some((m) => m.kind === "sqlite"));
  const health: Health = own.some((m) => m.health === "critical") ? "critical" : own.some((m) => m.health === "warning") ? "warning" : "ok";
  return { id: g.id, name: g.name, createdAt: g.createdAt, updatedAt: g.updatedAt, policy, members: own, health };
}

export function listGroups(db: CatalogDb) {
  const groups = db.select().from(protectionGroups).orderBy(asc(protectionGroups.name)).all();
  const members = listMembers(db);
  return groups.map((g) => groupView(g, members.filter((m) => m.groupId === g.id)));
}

/** One group, reading only its own members. */
export function getGroup(db: CatalogDb, id: number) {
  const g = db.select().from(protectionGroups).where(eq(protectionGroups.id, id)).get();
  if (!g) throw new DomainError("NOT_FOUND", `no protection group ${id}`, String(id));
  return groupView(g, listMembers(db, id));
}

const ACTION_OF: Record<"synchronization" | "recovery-point" | "express-full" | "consistency-check", "synchronization" | "recovery-point" | "consistency-check"> = {
  synchronization: "synchronization",
  "recovery-point": "recovery-point",
  "express-full": "recovery-point",
  "consistency-check": "consistency-check",
};

/**
 * Runs a job now on one data source or on every member of a group. A member whose replica
 * state forbids it is skipped with the reason (DPM: an inconsistent replica gets no new
 * recovery point until a check succeeds).
 */
export function runNow(
  db: CatalogDb,
  input: { type: "synchronization" | "recovery-point" | "express-full" | "consistency-check"; groupId?: number; dataSourceId?: number; trigger?: JobTrigger },
  now: Date,
  by: string | null,
): { queued: number[]; skipped: { dataSourceId: number; name: string; reason: string }[] } {
  return db.transaction((tx) => {
    const where = input.dataSourceId !== undefined ? eq(dataSources.id, input.dataSourceId) : input.groupId !== undefined ? eq(dataSources.groupId, input.groupId) : undefined;
    if (!where) throw new DomainError("INVALID", "name a protection group or a data source");
    const rows = tx
      .select({ id: dataSources.id, name: dataSources.name, kind: dataSources.kind, groupId: dataSources.groupId, replicaState: dataSources.replicaState, protectedHere: dataSources.protectedHere, originServerId: dataSources.originServerId })
      .from(dataSources)
      .where(and(where))
      .all();
    if (rows.length === 0) throw new DomainError("NOT_FOUND", input.dataSourceId !== undefined ? `no data source ${input.dataSourceId}` : `no protection group ${input.groupId} or it has no members`);
    const queued: number[] = [];
    const skipped: { dataSourceId: number; name: string; reason: string }[] = [];
    for (const r of rows) {
      if (r.groupId === null) {
        skipped.push({ dataSourceId: r.id, name: r.name, reason: "the data source is not protected" });
        continue;
      }
      if (!r.protectedHere) {
        // Servers protecting servers (SPEC §4): one server protects a source at a time.
        skipped.push({
          dataSourceId: r.id,
          name: r.name,
          reason: r.originServerId
            ? "its primary server protects it; this server holds copies (switch protection to protect it from here)"
            : "protection is switched to the secondary server: take ownership back first (agent ownership required)",
        });
        continue;
      }
      if (input.type === "express-full" && r.kind !== "sqlite") {
        skipped.push({ dataSourceId: r.id, name: r.name, reason: "express full backups are for databases" });
        continue;
      }
      const allowed = replicaAllows(r.replicaState, ACTION_OF[input.type]);
      const initial = r.replicaState === "creation-pending" && input.type !== "consistency-check";
      if (!allowed.ok && !initial) {
        skipped.push({ dataSourceId: r.id, name: r.name, reason: allowed.reason });
        continue;
      }
      // A synchronization is covered by any data job waiting; the others only by one of their own type.
      const types: JobType[] = input.type === "synchronization" ? ["synchronization", "recovery-point", "express-full"] : [input.type];
      const pending = pendingJobFor(tx, r.id, types);
      if (pending) {
        skipped.push({ dataSourceId: r.id, name: r.name, reason: `job ${pending.id} (${pending.type}) is already ${pending.state}` });
        continue;
      }
      queued.push(enqueueJob(tx, { type: input.type, target: r.name, trigger: input.trigger ?? "user", dataSourceId: r.id, groupId: r.groupId, requestedBy: by, params: initial ? { initialReplica: true } : {} }, now));
    }
    if (input.dataSourceId !== undefined && queued.length === 0) throw new DomainError("PRECONDITION", `${rows[0]!.name}: ${skipped[0]!.reason}`);
    return { queued, skipped };
  });
}
