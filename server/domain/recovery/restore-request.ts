/**
 * A restore request becomes a restore job once it passes the rules: the recovery point
 * belongs to the data source; a target is an absolute folder without `.` or `..` segments
 * (the agent's restorer also refuses any entry that would land outside it); selected paths
 * are relative paths inside the recovery point; help desk restores go to an alternate
 * location (DPM's recovery operator) unless an admin allowed the original location.
 */
import { and, eq, gte, lte, or, sql } from "drizzle-orm";
import type { CatalogDb } from "@/db/client";
import { dataSources, fileVersions, indexedFiles } from "@/db/schema";
import type { Role } from "@/db/schema";
import { DomainError } from "../errors";
import { enqueueJob } from "../jobs/job-queue";
import { getRecoveryPoint } from "./recovery-points";
import { getRecoverySettings } from "./recovery-settings";
import { keptCopyRestoreRefusal, localRestoreOf } from "./kept-copies";

export interface RestoreRequest {
  dataSourceId: number;
  recoveryPointId: number;
  /** Absolute folder on the protected computer; absent = the original location. */
  target?: string;
  /** Relative paths inside the recovery point; absent = all of it. */
  paths?: string[];
  existing: "overwrite" | "skip" | "copy";
}

/** Why a target folder is refused, or null. */
export function targetRefusal(target: string): string | null {
  if (!target.startsWith("/")) return "an absolute path on the protected computer, e.g. /srv/restores";
  if (target.includes("\0")) return "a path without NUL characters";
  if (target.split("/").some((s) => s === ".." || s === ".")) return "a path without . or .. segments (a restore never leaves its target)";
  return null;
}

export function pathRefusal(p: string): string | null {
  if (p.length === 0) return "an empty path";
  if (p.startsWith("/")) return `${p}: paths are relative to the recovery point's root`;
  if (p.includes("\0")) return `${p}: contains a NUL character`;
  if (p.split("/").some((s) => s === ".." || s === "." || s === "")) return `${p}: no . or .. or empty segments`;
  return null;
}

export function requestRestore(db: CatalogDb, r: RestoreRequest, by: { username: string; role: Role }, now: Date): number {
  const fieldErrors: Record<string, string[]> = {};
  const mayUseOriginal = by.role === "admin" || getRecoverySettings(db).helpdeskMayRestoreToOriginal;
  if (r.target !== undefined) {
    const why = targetRefusal(r.target);
    if (why) fieldErrors.target = [why];
  } else if (!mayUseOriginal) {
    fieldErrors.target = ["help desk restores go to an alternate location: give a target folder (an admin can allow the original location)"];
  }
  for (const p of r.paths ?? []) {
    const why = pathRefusal(p);
    if (why) (fieldErrors.paths ??= []).push(why);
  }
  if (Object.keys(fieldErrors).length) {
    throw new DomainError(!mayUseOriginal && fieldErrors.target && r.target === undefined ? "FORBIDDEN" : "INVALID", Object.values(fieldErrors).flat().join("; "), undefined, fieldErrors);
  }
  const source = db.select({ id: dataSources.id, name: dataSources.name, kind: dataSources.kind, groupId: dataSources.groupId }).from(dataSources).where(eq(dataSources.id, r.dataSourceId)).get();
  if (!source) throw new DomainError("NOT_FOUND", `no data source ${r.dataSourceId}`);
  const rp = getRecoveryPoint(db, r.recoveryPointId);
  if (rp.dataSourceId !== source.id) throw new DomainError("INVALID", `recovery point ${rp.id} is not one of ${source.name}'s`, undefined, { recoveryPointId: ["not a recovery point of this data source"] });
  const local = localRestoreOf(db, source.id);
  const keptRefusal = local === null ? null : keptCopyRestoreRefusal(local.origin, { target: r.target, role: by.role }, local.reason);
  if (keptRefusal) throw new DomainError(keptRefusal.code, keptRefusal.message, undefined, { [keptRefusal.field]: [keptRefusal.message] });
  if (source.kind === "sqlite" && r.target === undefined) throw new DomainError("INVALID", "a database is restored to an alternate folder, never over the live file", undefined, { target: ["required for a database"] });
  // The total for the progress bar: the sizes of this source's files, at the version this
  // recovery point holds, that the selection covers (a path or anything under it).
  let bytesTotal = rp.sizeBytes;
  if (r.paths?.length) {
    const covered = or(...r.paths.map((p) => or(eq(indexedFiles.path, p), sql`${indexedFiles.path} LIKE ${`${p.replace(/[\\%_]/g, (m) => `\\${m}`)}/%`} ESCAPE '\\'`)));
    bytesTotal = Number(
      db
        .select({ total: sql<number>`coalesce(sum(${fileVersions.size}), 0)` })
        .from(fileVersions)
        .innerJoin(indexedFiles, eq(indexedFiles.id, fileVersions.fileId))
        .where(and(eq(indexedFiles.dataSourceId, source.id), lte(fileVersions.firstRecoveryPointId, rp.id), gte(fileVersions.lastRecoveryPointId, rp.id), covered))
        .get()?.total ?? 0,
    );
  }
  return enqueueJob(
    db,
    {
      type: "restore",
      target: `${source.name} → ${r.target ?? "original location"}`,
      trigger: "user",
      dataSourceId: source.id,
      groupId: source.groupId,
      requestedBy: by.username,
      params: { recoveryPointId: rp.id, target: r.target ?? null, paths: r.paths ?? null, existing: r.existing, bytesTotal },
    },
    now,
  );
}
