/**
 * SQLite databases as data sources: the database is first captured application-consistently
 * through SQLite's online backup API (sqlite-capture.ts; writers may keep writing), into a
 * scratch folder inside the pool (same file system, so no other disk fills up), and that
 * capture is backed up like a folder under the label "sqlite:<absolute path>". The scratch
 * copy is removed whatever happens.
 */
import fs from "node:fs";
import path from "node:path";
import { randomUUID } from "node:crypto";
import { backupToTarget, withLocalTarget, type BackupOptions } from "./archiver";
import type { BackupTarget } from "./target";
import type { ChunkStore } from "./chunk-store";
import type { ManifestHeader } from "./manifest";
import { captureSqlite } from "./sqlite-capture";

export const sqliteSourceLabel = (dbPath: string) => `sqlite:${path.resolve(dbPath)}`;

/**
 * Captures the database into a scratch folder under `scratchRoot` and backs that folder up
 * into `target` (a local pool, or a server through an agent's link); the scratch copy is
 * removed whatever happens.
 */
export async function backupSqliteTo(target: BackupTarget, dbPath: string, scratchRoot: string, o: BackupOptions & { sourceLabel: string }): Promise<ManifestHeader> {
  const scratch = path.join(scratchRoot, `sqlite-${randomUUID()}`);
  await fs.promises.mkdir(scratch, { recursive: true });
  try {
    await captureSqlite(dbPath, path.join(scratch, path.basename(dbPath)));
    return await backupToTarget(target, scratch, o);
  } finally {
    await fs.promises.rm(scratch, { recursive: true, force: true });
  }
}

/** A database into a local pool (scratch space inside the pool: same file system). */
export function backupSqlite(store: ChunkStore, dbPath: string, o: Omit<BackupOptions, "sourceLabel"> = {}): Promise<ManifestHeader> {
  const label = sqliteSourceLabel(dbPath);
  return withLocalTarget(store, `backup of ${label}`, (target) => backupSqliteTo(target, dbPath, path.join(store.dir, "tmp"), { ...o, sourceLabel: label }));
}
