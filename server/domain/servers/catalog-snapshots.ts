/**
 * Catalog snapshots (SPEC §4): a consistent online copy of a server's SQLite catalog, stored
 * in its pool as a recovery point labelled `catalog:<server id>`, so that successive
 * snapshots deduplicate against each other and copy to a secondary as missing chunks only.
 *
 * The server signs each snapshot with its identity key. The statement binds the server, the
 * manifest, its time, the file's size and SHA-256, and the tree's chunk ids; chunks are named
 * by their hashes, so the signature covers every byte. A copy altered anywhere (header, tree,
 * a chunk, the file) is refused before it is restored, and a snapshot of another server's
 * catalog cannot pass as this one's.
 */
import fs from "node:fs";
import path from "node:path";
import { createHash, randomBytes, sign, verify } from "node:crypto";
import Database from "better-sqlite3";
import { and, desc, eq, inArray, lt } from "drizzle-orm";
import { catalogSnapshots, servers } from "@/db/schema";
import type { Services } from "@/server/services";
import { keyIdOf, parsePublicKey } from "@/server/agent/protocol";
import { captureSqlite } from "@/server/engine/sqlite-capture";
import { backupFolder } from "@/server/engine/archiver";
import { readHeader, removeHeader, type ManifestHeader } from "@/server/engine/manifest";
import { restore } from "@/server/engine/restorer";
import type { CatalogSnapshotAnswer } from "@/server/peer/peer-protocol";
import type { ChunkStore } from "@/server/engine/chunk-store";
import { DomainError } from "../errors";
import { selfServer } from "./peering";

export const CATALOG_SNAPSHOT_FILE = "catalog.db";
export const catalogLabel = (serverId: string) => `catalog:${serverId}`;
/** A server's own snapshots: kept this long, and never fewer than the newest few. */
export const OWN_SNAPSHOT_RETENTION_DAYS = 7;
export const KEEP_NEWEST_SNAPSHOTS = 3;

type Snapshot = Omit<CatalogSnapshotAnswer, "signature" | "keyId">;

/** What the server signs: one line per field, then the tree's chunk ids. */
export function snapshotStatement(s: Snapshot, tree: readonly string[]): Buffer {
  return Buffer.from(["custodian-catalog-snapshot/1", s.serverId, s.manifestId, s.takenAt, String(s.sizeBytes), s.sha256, ...tree].join("\n"), "utf8");
}

/** Why a copy of a snapshot cannot be trusted, or null when its signature and header agree. */
export function snapshotProblem(s: CatalogSnapshotAnswer, header: ManifestHeader, publicKey: string): string | null {
  if (header.id !== s.manifestId) return `the manifest is ${header.id}, the snapshot names ${s.manifestId}`;
  if (header.source !== catalogLabel(s.serverId)) return `the manifest holds ${JSON.stringify(header.source)}, not the catalog of server ${s.serverId}`;
  if (keyIdOf(publicKey) !== s.keyId) return "it was signed with another key than the server's";
  let ok: boolean;
  try {
    ok = verify(null, snapshotStatement(s, header.tree), parsePublicKey(publicKey), Buffer.from(s.signature, "base64"));
  } catch {
    ok = false; // a malformed key or signature is a bad signature
  }
  return ok ? null : "its signature does not match its content (it was altered after the server signed it)";
}

async function fileSha256(file: string): Promise<string> {
  const h = createHash("sha256");
  for await (const part of fs.createReadStream(file)) h.update(part as Buffer);
  return h.digest("hex");
}

let running: Promise<unknown> = Promise.resolve();

/** Takes, stores and signs a snapshot of this server's catalog (one at a time). */
export function takeCatalogSnapshot(services: Services): Promise<CatalogSnapshotAnswer> {
  const next = running.then(() => take(services));
  running = next.catch(() => undefined);
  return next;
}

async function take(services: Services): Promise<CatalogSnapshotAnswer> {
  const self = selfServer(services.db);
  const identity = services.protection.identity();
  const pool = services.protection.pool();
  const dir = path.join(services.protection.dataDir, "tmp", `catalog-snapshot-${randomBytes(6).toString("hex")}`);
  await fs.promises.mkdir(dir, { recursive: true });
  try {
    const file = path.join(dir, CATALOG_SNAPSHOT_FILE);
    const takenAt = services.clock.now();
    const { bytes } = await captureSqlite(services.protection.catalogFile, file);
    const sha256 = await fileSha256(file);
    const header = await backupFolder(pool, dir, { sourceLabel: catalogLabel(self.id), now: takenAt, threads: 0 });
    const snapshot: Snapshot = { serverId: self.id, manifestId: header.id, takenAt: takenAt.toISOString(), sizeBytes: bytes, sha256 };
    const signature = sign(null, snapshotStatement(snapshot, header.tree), identity.privateKey).toString("base64");
    services.db
      .insert(catalogSnapshots)
      .values({ serverId: self.id, manifestId: header.id, takenAt, sizeBytes: bytes, sha256, signature, keyId: identity.keyId })
      .run();
    services.log.info({ manifest: header.id, bytes, newStoredBytes: header.stats.newStoredBytes }, "catalog snapshot taken");
    return { ...snapshot, signature, keyId: identity.keyId };
  } finally {
    await fs.promises.rm(dir, { recursive: true, force: true });
  }
}

/** A snapshot as the catalog records it, in the form it was signed. */
export function snapshotAnswer(row: typeof catalogSnapshots.$inferSelect): CatalogSnapshotAnswer {
  return { serverId: row.serverId, manifestId: row.manifestId, takenAt: row.takenAt.toISOString(), sizeBytes: row.sizeBytes, sha256: row.sha256, signature: row.signature, keyId: row.keyId };
}

/**
 * Restores a catalog snapshot held in this server's pool to `destFile` (restoreSnapshotFile
 * says what is checked first).
 */
export async function restoreCatalogSnapshot(services: Services, o: { snapshotId: number; destFile: string; publicKey: string; expectServerId: string }): Promise<{ sizeBytes: number; takenAt: Date }> {
  const row = services.db.select().from(catalogSnapshots).where(eq(catalogSnapshots.id, o.snapshotId)).get();
  if (!row) throw new DomainError("NOT_FOUND", "no such catalog snapshot", String(o.snapshotId));
  const pool = services.protection.pool();
  await restoreSnapshotFile({ pool, workDir: path.join(services.protection.dataDir, "tmp"), snapshot: snapshotAnswer(row), publicKey: o.publicKey, expectServerId: o.expectServerId, destFile: o.destFile });
  return { sizeBytes: row.sizeBytes, takenAt: row.takenAt };
}

/**
 * Restores a catalog snapshot from `pool` to `destFile` after checking, in order: the signature
 * against the catalog's server key, the file's hash and size, SQLite's integrity check, and
 * that the catalog is the expected server's. Nothing is written at destFile unless every check
 * passed (the file is restored beside it, then renamed).
 */
export async function restoreSnapshotFile(o: { pool: ChunkStore; workDir: string; snapshot: CatalogSnapshotAnswer; publicKey: string; expectServerId: string; destFile: string }): Promise<void> {
  const header = readHeader(o.pool.dir, o.snapshot.manifestId);
  const problem = snapshotProblem(o.snapshot, header, o.publicKey);
  if (problem) throw new DomainError("CONFLICT", `the catalog snapshot of ${o.snapshot.takenAt} is refused: ${problem}`);
  const dir = path.join(o.workDir, `catalog-restore-${randomBytes(6).toString("hex")}`);
  try {
    const result = await restore(o.pool, header, dir, { existing: "overwrite" });
    if (result.counts.failed || result.counts.refused) throw new DomainError("CONFLICT", `the catalog snapshot could not be read back: ${result.problems[0]?.detail ?? "damaged"}`);
    const file = path.join(dir, CATALOG_SNAPSHOT_FILE);
    const sha = await fileSha256(file);
    if (sha !== o.snapshot.sha256 || fs.statSync(file).size !== o.snapshot.sizeBytes) throw new DomainError("CONFLICT", "the restored catalog's hash differs from the signed one: the snapshot is damaged");
    const db = new Database(file, { readonly: true });
    try {
      const check = db.pragma("integrity_check", { simple: true });
      if (check !== "ok") throw new DomainError("CONFLICT", `the restored catalog fails SQLite's integrity check: ${String(check)}`);
      const self = db.prepare("SELECT id, name FROM servers WHERE is_self = 1").get() as { id: string; name: string } | undefined;
      if (!self || self.id !== o.expectServerId) {
        throw new DomainError("CONFLICT", `this catalog belongs to ${self ? `${self.name} (${self.id})` : "no server"}, not to server ${o.expectServerId}: a rebuild restores only its own server's catalog`);
      }
    } finally {
      db.close();
    }
    await fs.promises.mkdir(path.dirname(o.destFile), { recursive: true });
    await fs.promises.rename(file, o.destFile);
  } finally {
    await fs.promises.rm(dir, { recursive: true, force: true });
  }
}

/**
 * Retention of catalog snapshots: this server's own after OWN_SNAPSHOT_RETENTION_DAYS, a
 * primary's copies after the link's retention, never the newest KEEP_NEWEST_SNAPSHOTS of a
 * server. Returns the manifests removed (their chunks go at the next garbage collection).
 */
export function pruneCatalogSnapshots(services: Services, now: Date, retentionDaysOf: (serverId: string) => number): string[] {
  const selfId = selfServer(services.db).id;
  const removed: string[] = [];
  const serverIds = services.db.selectDistinct({ id: catalogSnapshots.serverId }).from(catalogSnapshots).all();
  for (const { id } of serverIds) {
    const days = id === selfId ? OWN_SNAPSHOT_RETENTION_DAYS : retentionDaysOf(id);
    const keep = services.db
      .select({ id: catalogSnapshots.id })
      .from(catalogSnapshots)
      .where(eq(catalogSnapshots.serverId, id))
      .orderBy(desc(catalogSnapshots.takenAt))
      .limit(KEEP_NEWEST_SNAPSHOTS)
      .all()
      .map((r) => r.id);
    const cutoff = new Date(now.getTime() - days * 86_400_000);
    const old = services.db
      .select({ id: catalogSnapshots.id, manifestId: catalogSnapshots.manifestId })
      .from(catalogSnapshots)
      .where(and(eq(catalogSnapshots.serverId, id), lt(catalogSnapshots.takenAt, cutoff)))
      .all()
      .filter((r) => !keep.includes(r.id));
    if (!old.length) continue;
    services.db.delete(catalogSnapshots).where(inArray(catalogSnapshots.id, old.map((r) => r.id))).run();
    for (const r of old) {
      removeHeader(services.protection.pool().dir, r.manifestId);
      removed.push(r.manifestId);
    }
  }
  return removed;
}

/** The public key a snapshot of `serverId` must verify against: this server's own, or the peer's recorded one. */
export function snapshotKeyOf(services: Services, serverId: string): string {
  const row = services.db.select({ isSelf: servers.isSelf, publicKey: servers.publicKey }).from(servers).where(eq(servers.id, serverId)).get();
  if (!row) throw new DomainError("NOT_FOUND", "this server does not know that server", serverId);
  return row.isSelf ? services.protection.identity().publicKey : row.publicKey;
}
