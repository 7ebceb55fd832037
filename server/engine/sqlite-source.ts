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
import { backupFolder, latestRecoveryPoint, type BackupOptions } from "./archiver";
import type { ChunkStore } from "./chunk-store";
import type { ManifestHeader } from "./manifest";
import { captureSqlite } from "./sqlite-capture";

export const sqliteSourceLabel = (dbPath: string) => `sqlite:${path.resolve(dbPath)}`;

export async function backupSqlite(store: ChunkStore, dbPath: string, o: Omit<BackupOptions, "sourceLabel"> = {}): Promise<ManifestHeader> {
  const label = sqliteSourceLabel(dbPath);
  const scratch = path.join(store.dir, "tmp", `sqlite-${randomUUID()}`);
  await fs.promises.mkdir(scratch, { recursive: true });
  try {
    await captureSqlite(dbPath, path.join(scratch, path.basename(dbPath)));
    return await backupFolder(store, scratch, { ...o, sourceLabel: label, parent: o.parent !== undefined ? o.parent : latestRecoveryPoint(store.dir, label) });
  } finally {
    await fs.promises.rm(scratch, { recursive: true, force: true });
  }
}
