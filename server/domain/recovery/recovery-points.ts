/**
 * Recovery points in the catalog and the file index beside them.
 *
 * Each recovery point is a row that names its pool manifest. Its files go into the index:
 * every path once per data source (`indexed_files`, searched through an FTS5 trigram table)
 * and every version of a file as a run of consecutive recovery points with the same content
 * (`file_versions`), so a file's timeline is a handful of rows however many recovery points
 * hold it, and recording a recovery point touches one row per file.
 */
import { and, asc, desc, eq, gte, inArray, lte, sql } from "drizzle-orm";
import type { Catalog, CatalogDb } from "@/db/client";
import { dataSources, fileVersions, indexedFiles, protectedComputers, recoveryPoints, type RECOVERY_POINT_KINDS } from "@/db/schema";
import { readEntries, type ManifestHeader } from "@/server/engine/manifest";
import type { ChunkReader } from "@/server/engine/target";
import { DomainError } from "../errors";

export type RecoveryPointKind = (typeof RECOVERY_POINT_KINDS)[number];

/** A file as the index keeps it. */
export interface IndexedFile {
  path: string;
  size: number;
  mtimeMs: number;
  hash: string;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** The files of a recovery point, for the index (names that are not UTF-8 are not searchable; they restore all the same). */
export async function indexableFiles(pool: ChunkReader, header: ManifestHeader): Promise<IndexedFile[]> {
  const out: IndexedFile[] = [];
  for await (const e of readEntries(pool, header)) {
    if (e.type !== "file" || !e.hash) continue;
    let p: string;
    try {
      p = utf8.decode(e.path);
    } catch {
      continue;
    }
    out.push({ path: p, size: e.size, mtimeMs: e.mtimeMs, hash: e.hash });
  }
  return out;
}

/**
 * Records a recovery point and indexes its files, in one transaction: after a crash either
 * both are there or neither is.
 */
export function recordRecoveryPoint(
  catalog: Catalog,
  rp: { dataSourceId: number; header: ManifestHeader; kind: RecoveryPointKind; jobId: number | null; createdAt: Date; madeByServerId?: string | null },
  files: readonly IndexedFile[],
): number {
  const c = catalog.$client;
  const prev = c.prepare("SELECT id FROM recovery_points WHERE data_source_id = ? ORDER BY created_at DESC, id DESC LIMIT 1").pluck();
  const insertRp = c.prepare(
    "INSERT INTO recovery_points (data_source_id, created_at, kind, size_bytes, manifest_id, files, added_bytes, job_id, made_by_server_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
  ).pluck();
  const fileId = c.prepare("SELECT id FROM indexed_files WHERE data_source_id = ? AND path = ?").pluck();
  const insertFile = c.prepare("INSERT INTO indexed_files (data_source_id, path) VALUES (?, ?) RETURNING id").pluck();
  const extend = c.prepare("UPDATE file_versions SET last_recovery_point_id = ? WHERE file_id = ? AND last_recovery_point_id = ? AND content_hash = ? AND size = ?");
  const insertVersion = c.prepare("INSERT INTO file_versions (file_id, first_recovery_point_id, last_recovery_point_id, size, mtime_ms, content_hash) VALUES (?, ?, ?, ?, ?, ?)");
  return c.transaction(() => {
    const previous = (prev.get(rp.dataSourceId) as number | undefined) ?? -1;
    const h = rp.header;
    const id = insertRp.get(rp.dataSourceId, rp.createdAt.getTime(), rp.kind, h.stats.bytes, h.id, h.stats.files, h.stats.newStoredBytes, rp.jobId, rp.madeByServerId ?? null) as number;
    for (const f of files) {
      const fid = (fileId.get(rp.dataSourceId, f.path) as number | undefined) ?? (insertFile.get(rp.dataSourceId, f.path) as number);
      if (extend.run(id, fid, previous, f.hash, f.size).changes === 0) insertVersion.run(fid, id, id, f.size, Math.trunc(f.mtimeMs), f.hash);
    }
    return id;
  })();
}

/**
 * Removes recovery points from the catalog (retention or an admin), keeping the file index
 * true: a version that started or ended at a removed point now starts or ends at its
 * neighbour; one that lived only there goes, and so does a path with no version left.
 * Returns the manifests to remove from the pool.
 */
export function forgetRecoveryPoints(catalog: Catalog, dataSourceId: number, ids: readonly number[]): string[] {
  if (ids.length === 0) return [];
  const c = catalog.$client;
  return c.transaction(() => {
    const manifests: string[] = [];
    const all = c.prepare("SELECT id, manifest_id AS manifestId FROM recovery_points WHERE data_source_id = ? ORDER BY created_at, id").all(dataSourceId) as { id: number; manifestId: string | null }[];
    const removing = new Set(ids);
    const kept = all.filter((r) => !removing.has(r.id));
    for (const r of all) {
      if (!removing.has(r.id)) continue;
      const pos = all.indexOf(r);
      const next = all.slice(pos + 1).find((x) => !removing.has(x.id))?.id ?? null;
      const prevKept = [...all.slice(0, pos)].reverse().find((x) => !removing.has(x.id))?.id ?? null;
      c.prepare("DELETE FROM file_versions WHERE first_recovery_point_id = ? AND last_recovery_point_id = ?").run(r.id, r.id);
      if (next !== null) c.prepare("UPDATE file_versions SET first_recovery_point_id = ? WHERE first_recovery_point_id = ?").run(next, r.id);
      else c.prepare("DELETE FROM file_versions WHERE first_recovery_point_id = ?").run(r.id);
      if (prevKept !== null) c.prepare("UPDATE file_versions SET last_recovery_point_id = ? WHERE last_recovery_point_id = ?").run(prevKept, r.id);
      else c.prepare("DELETE FROM file_versions WHERE last_recovery_point_id = ?").run(r.id);
      c.prepare("DELETE FROM recovery_points WHERE id = ?").run(r.id);
      if (r.manifestId) manifests.push(r.manifestId);
    }
    // Versions that spanned only removed points collapsed onto a neighbour beyond them: drop the inverted ones.
    c.prepare("DELETE FROM file_versions WHERE first_recovery_point_id > last_recovery_point_id AND file_id IN (SELECT id FROM indexed_files WHERE data_source_id = ?)").run(dataSourceId);
    c.prepare("DELETE FROM indexed_files WHERE data_source_id = ? AND NOT EXISTS (SELECT 1 FROM file_versions v WHERE v.file_id = indexed_files.id)").run(dataSourceId);
    void kept;
    return manifests;
  })();
}

/**
 * What retention says to remove: recovery points older than the range, except the newest
 * one (a source is never left without a recovery point by age alone).
 */
export function expiredRecoveryPoints(db: CatalogDb, dataSourceId: number, retentionDays: number, now: Date): number[] {
  const cutoff = new Date(now.getTime() - retentionDays * 24 * 3600_000);
  const newest = db.select({ id: recoveryPoints.id }).from(recoveryPoints).where(eq(recoveryPoints.dataSourceId, dataSourceId)).orderBy(desc(recoveryPoints.createdAt), desc(recoveryPoints.id)).limit(1).get();
  return db
    .select({ id: recoveryPoints.id })
    .from(recoveryPoints)
    .where(and(eq(recoveryPoints.dataSourceId, dataSourceId), sql`${recoveryPoints.createdAt} < ${cutoff.getTime()}`))
    .all()
    .map((r) => r.id)
    .filter((id) => id !== newest?.id);
}

/** Recovery points of a data source in a time range (the recovery calendar), oldest first. */
export function listRecoveryPoints(db: CatalogDb, o: { dataSourceId: number; from?: Date; to?: Date; limit?: number }) {
  const where = [eq(recoveryPoints.dataSourceId, o.dataSourceId)];
  if (o.from) where.push(gte(recoveryPoints.createdAt, o.from));
  if (o.to) where.push(lte(recoveryPoints.createdAt, o.to));
  return db
    .select({ id: recoveryPoints.id, createdAt: recoveryPoints.createdAt, kind: recoveryPoints.kind, sizeBytes: recoveryPoints.sizeBytes, files: recoveryPoints.files, addedBytes: recoveryPoints.addedBytes, manifestId: recoveryPoints.manifestId })
    .from(recoveryPoints)
    .where(and(...where))
    .orderBy(asc(recoveryPoints.createdAt))
    .limit(o.limit ?? 5000)
    .all();
}

export function getRecoveryPoint(db: CatalogDb, id: number) {
  const row = db
    .select({ id: recoveryPoints.id, dataSourceId: recoveryPoints.dataSourceId, createdAt: recoveryPoints.createdAt, kind: recoveryPoints.kind, manifestId: recoveryPoints.manifestId, files: recoveryPoints.files, sizeBytes: recoveryPoints.sizeBytes })
    .from(recoveryPoints)
    .where(eq(recoveryPoints.id, id))
    .get();
  if (!row) throw new DomainError("NOT_FOUND", `no recovery point ${id}`, String(id));
  if (!row.manifestId) throw new DomainError("PRECONDITION", `recovery point ${id} has no data in the storage pool`, String(id));
  return row as typeof row & { manifestId: string };
}

/** Below this many indexed paths, a one-source search reads the source's paths directly. */
const SMALL_SOURCE_FILES = 50_000;

/** Escapes a user's words for an FTS5 query: each becomes a quoted string, all must match. */
function ftsQuery(q: string): string | null {
  const words = q.split(/\s+/).filter((w) => w.length >= 3);
  if (words.length === 0) return null;
  return words.map((w) => `"${w.replace(/"/g, '""')}"`).join(" AND ");
}

/**
 * Searches file paths across all recovery points of one data source or of all of them.
 * Every word must appear in the path (case-insensitive). Words of three characters or more
 * use the trigram index; a query of only shorter words, or one limited to a data source of
 * modest size, reads paths with LIKE instead.
 */
export function searchFiles(db: CatalogDb, o: { query: string; dataSourceId?: number; limit: number }) {
  const q = o.query.trim();
  if (q.length === 0) return [];
  const match = ftsQuery(q);
  const sourceFilter = o.dataSourceId !== undefined ? sql`AND f.data_source_id = ${o.dataSourceId}` : sql``;
  const likeOf = (w: string) => `%${w.replace(/[\\%_]/g, (m) => `\\${m}`)}%`;
  const wordsLike = (words: string[]) => sql.join(words.map((w) => sql`AND f.path LIKE ${likeOf(w)} ESCAPE '\\'`), sql` `);
  const words = q.split(/\s+/).filter((w) => w.length > 0);
  // Words too short for the trigram index must still match: checked on the rows the index found.
  const shortFilter = wordsLike(words.filter((w) => w.length < 3));
  // Within one data source of modest size, reading its own paths beats walking every source's
  // matches in the index (a common word matches hundreds of thousands of paths elsewhere).
  const smallSource =
    o.dataSourceId !== undefined &&
    Number(db.get<{ n: number }>(sql`SELECT count(*) AS n FROM (SELECT 1 FROM indexed_files WHERE data_source_id = ${o.dataSourceId} LIMIT ${SMALL_SOURCE_FILES})`)?.n ?? 0) < SMALL_SOURCE_FILES;
  // Ordered by the FTS table's own rowid (the indexed file's id): FTS5 walks its lists in that
  // order and stops at the limit, where ordering by the joined table's id sorted every match.
  const rows =
    match && !smallSource
      ? db.all<{ id: number; dataSourceId: number; path: string }>(
          sql`SELECT f.id AS id, f.data_source_id AS dataSourceId, f.path AS path FROM indexed_files_fts JOIN indexed_files f ON f.id = indexed_files_fts.rowid WHERE indexed_files_fts MATCH ${match} ${sourceFilter} ${shortFilter} ORDER BY indexed_files_fts.rowid DESC LIMIT ${o.limit}`,
        )
      : db.all<{ id: number; dataSourceId: number; path: string }>(sql`SELECT f.id AS id, f.data_source_id AS dataSourceId, f.path AS path FROM indexed_files f WHERE 1 = 1 ${sourceFilter} ${wordsLike(words)} ORDER BY f.id DESC LIMIT ${o.limit}`);
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const stats = db
    .select({
      fileId: fileVersions.fileId,
      versions: sql<number>`count(*)`,
      latestAt: sql<number>`max((select created_at from recovery_points where id = ${fileVersions.lastRecoveryPointId}))`,
    })
    .from(fileVersions)
    .where(inArray(fileVersions.fileId, ids))
    .groupBy(fileVersions.fileId)
    .all();
  const sources = db
    .select({ id: dataSources.id, name: dataSources.name, computer: protectedComputers.name })
    .from(dataSources)
    .innerJoin(protectedComputers, eq(protectedComputers.id, dataSources.computerId))
    .where(inArray(dataSources.id, [...new Set(rows.map((r) => r.dataSourceId))]))
    .all();
  return rows.map((r) => {
    const s = stats.find((x) => x.fileId === r.id);
    const src = sources.find((x) => x.id === r.dataSourceId);
    return { fileId: r.id, dataSourceId: r.dataSourceId, source: src?.name ?? "", computer: src?.computer ?? "", path: r.path, versions: Number(s?.versions ?? 0), latestAt: s?.latestAt ? new Date(Number(s.latestAt)) : null };
  });
}

/** Every version of one file: when it first and last appeared, its size, and a recovery point to restore it from. */
export function fileTimeline(db: CatalogDb, fileId: number) {
  const file = db.select({ id: indexedFiles.id, path: indexedFiles.path, dataSourceId: indexedFiles.dataSourceId }).from(indexedFiles).where(eq(indexedFiles.id, fileId)).get();
  if (!file) throw new DomainError("NOT_FOUND", `no indexed file ${fileId}`, String(fileId));
  const versions = db.all<{ id: number; size: number; mtimeMs: number; contentHash: string; firstId: number; lastId: number; firstAt: number; lastAt: number; points: number }>(sql`
    SELECT v.id AS id, v.size AS size, v.mtime_ms AS mtimeMs, v.content_hash AS contentHash,
           v.first_recovery_point_id AS firstId, v.last_recovery_point_id AS lastId,
           a.created_at AS firstAt, b.created_at AS lastAt,
           (SELECT count(*) FROM recovery_points r WHERE r.data_source_id = ${file.dataSourceId} AND r.created_at BETWEEN a.created_at AND b.created_at) AS points
    FROM file_versions v JOIN recovery_points a ON a.id = v.first_recovery_point_id JOIN recovery_points b ON b.id = v.last_recovery_point_id
    WHERE v.file_id = ${fileId} ORDER BY a.created_at DESC`);
  return {
    ...file,
    versions: versions.map((v) => ({ ...v, firstAt: new Date(v.firstAt), lastAt: new Date(v.lastAt), restoreFrom: v.lastId })),
  };
}
