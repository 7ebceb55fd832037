/**
 * Read-only access to a server's catalog for the listing commands, safe while the server
 * runs: the catalog is in WAL mode, so a reader sees the last committed state and never
 * blocks the server's writer. Nothing here writes: no migration, no journal-mode change, no
 * folder created. A catalog this version cannot read (missing, damaged, from a newer
 * version, not yet migrated to this one) is refused with one line that says what to do.
 */
import fs from "node:fs";
import path from "node:path";
import { and, desc, eq, sql, type SQL } from "drizzle-orm";
import { CatalogOpenError, MIGRATIONS_FOLDER, openCatalog, type Catalog, type CatalogDb } from "@/db/client";
import { dataSources, protectedComputers, protectionGroups, recoveryPoints } from "@/db/schema";
import { UsageError } from "./pool";

/** The catalog cannot be read: exit code 1, with this message. */
export class CatalogUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CatalogUnavailable";
  }
}

const DAMAGED = /^SQLITE_(CORRUPT|NOTADB)/;

/** Refuses a catalog that misses migrations this version's queries rely on. */
function assertMigrated(catalog: Catalog, file: string, dataDir: string): void {
  const journal = JSON.parse(fs.readFileSync(path.join(MIGRATIONS_FOLDER, "meta", "_journal.json"), "utf8")) as { entries: { when: number }[] };
  const newestKnown = Math.max(0, ...journal.entries.map((e) => e.when));
  const c = catalog.$client;
  const hasTable = c.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '__drizzle_migrations'").get();
  const last = hasTable ? (c.prepare("SELECT MAX(created_at) AS last FROM __drizzle_migrations").get() as { last: number | null }).last : null;
  if (last === null || Number(last) < newestKnown) {
    throw new CatalogUnavailable(
      `the catalog ${file} ${last === null ? "has no Custodian schema yet" : "was written by an older version of Custodian"}: start \`custodian serve --data ${dataDir}\` once to bring it up to date, then list again`,
    );
  }
}

/**
 * Opens DIR/catalog.db read-only, runs `read` on it and closes it. SQLite's own damage
 * reports during the read become a CatalogUnavailable that names the file.
 */
export function withCatalog<T>(dataDir: string, read: (db: CatalogDb) => T): T {
  const file = path.join(dataDir, "catalog.db");
  if (!fs.existsSync(file)) throw new CatalogUnavailable(`no catalog at ${file}: is --data right? (custodian serve creates it)`);
  let catalog: Catalog;
  try {
    catalog = openCatalog(file, { readonly: true });
  } catch (err) {
    if (err instanceof CatalogOpenError) throw new CatalogUnavailable(err.message);
    throw err;
  }
  try {
    assertMigrated(catalog, file, dataDir);
    return read(catalog);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === "string" && DAMAGED.test(code)) {
      throw new CatalogUnavailable(`The catalog ${file} is damaged (${(err as Error).message}). Restore it from a catalog backup; it was not modified.`);
    }
    throw err;
  } finally {
    catalog.$client.close();
  }
}

export interface RecoveryPointFilter {
  dataSourceId?: number;
  computer?: string;
  since?: Date;
  limit: number;
}

/**
 * Recovery points of one data source, one computer or all of them, newest first, with the
 * source, computer and group they belong to. (The domain's listRecoveryPoints serves the
 * recovery calendar: one source, oldest first, its limit keeping the oldest.)
 */
export function listRecoveryPointsAcross(db: CatalogDb, f: RecoveryPointFilter) {
  if (f.dataSourceId !== undefined && !db.select({ id: dataSources.id }).from(dataSources).where(eq(dataSources.id, f.dataSourceId)).get()) {
    throw new UsageError(`no data source ${f.dataSourceId} in this catalog (\`custodian protection-groups list\` shows each member's id)`);
  }
  if (f.computer !== undefined && !db.select({ id: protectedComputers.id }).from(protectedComputers).where(eq(protectedComputers.name, f.computer)).get()) {
    const known = db.select({ name: protectedComputers.name }).from(protectedComputers).all().map((c) => c.name);
    throw new UsageError(`no protected computer named ${JSON.stringify(f.computer)} in this catalog${known.length ? ` (known: ${known.join(", ")})` : ""}`);
  }
  const where: SQL[] = [];
  if (f.dataSourceId !== undefined) where.push(eq(recoveryPoints.dataSourceId, f.dataSourceId));
  if (f.computer !== undefined) where.push(eq(protectedComputers.name, f.computer));
  if (f.since) where.push(sql`${recoveryPoints.createdAt} >= ${f.since.getTime()}`);
  return db
    .select({
      id: recoveryPoints.id,
      createdAt: recoveryPoints.createdAt,
      kind: recoveryPoints.kind,
      dataSourceId: recoveryPoints.dataSourceId,
      source: dataSources.name,
      sourceKind: dataSources.kind,
      path: dataSources.path,
      computer: protectedComputers.name,
      group: protectionGroups.name,
      files: recoveryPoints.files,
      sizeBytes: recoveryPoints.sizeBytes,
      addedBytes: recoveryPoints.addedBytes,
      manifestId: recoveryPoints.manifestId,
      jobId: recoveryPoints.jobId,
    })
    .from(recoveryPoints)
    .innerJoin(dataSources, eq(dataSources.id, recoveryPoints.dataSourceId))
    .innerJoin(protectedComputers, eq(protectedComputers.id, dataSources.computerId))
    .leftJoin(protectionGroups, eq(protectionGroups.id, dataSources.groupId))
    .where(where.length ? and(...where) : undefined)
    .orderBy(desc(recoveryPoints.createdAt), desc(recoveryPoints.id))
    .limit(f.limit)
    .all();
}
