/**
 * The backup engine: a leaf library (it imports nothing from the catalog, the API or the
 * domain; eslint enforces it). Everything a recovery point is lives in one storage pool:
 *
 *   DIR/config.json                       format "custodian-pool", version, pool id, chunker
 *                                         parameters, zstd level
 *   DIR/packs/<2 hex>/<sha256>.pack       chunks (zstd or raw) + a self-describing trailer;
 *                                         the name is the SHA-256 of the whole file (pack.ts)
 *   DIR/packs/.pack-<uuid>.tmp            a pack being written (ignored; GC deletes leftovers)
 *   DIR/index/<sha256>.json               which pack holds which chunk, one file per pack
 *                                         written, merged by garbage collection (chunk-store.ts)
 *   DIR/snapshots/<time>-<hex8>.json      a recovery point's header: source, parent, stats,
 *                                         and the chunk ids of its tree (manifest.ts)
 *   DIR/locks/<uuid>.json                 who is using the pool, and how (lock.ts)
 *   DIR/tmp/                              scratch (SQLite captures), deleted after use
 *
 * Data model: a chunk's id is the SHA-256 of its uncompressed bytes; files are cut into
 * chunks by a FastCDC gear hash (256 KiB min, 1 MiB average, 4 MiB max, restic's average:
 * on the benchmark's file server the pool comes out no larger than restic's; other averages
 * are not compared there yet). A recovery point's tree is NDJSON (one entry per file, folder or
 * symlink: path as bytes, type, mode, uid/gid, mtime, size, inode/ctime, symlink target,
 * chunk list), in walk order, cut by a small chunker and stored as chunks too. A file's
 * content hash is derived from its chunk list (manifest.ts, contentHash).
 *
 * Invariants:
 *   - Every file is written to a temp name, fsynced, renamed, and its directory fsynced;
 *     nothing is modified in place (index files and headers are only ever added or removed).
 *   - A pack is durable before any index names it; every chunk a header names (tree and
 *     data) is durable before the header is written. So a crash at any moment leaves only
 *     complete recovery points, plus unindexed packs and temp files that GC frees.
 *   - Every read re-hashes the chunk: damage is reported (BlobCorrupt, by chunk and pack),
 *     never returned as data. Anything read from disk or from an agent is validated first.
 *
 * Locking: backups, restores and verifies take a shared lock; prune, garbage collection and
 * index rebuilds an exclusive one. The two exclude each other, so GC can never free a chunk
 * an in-flight backup has deduplicated against but not yet named in a header. Locks of dead
 * processes (same host) or not refreshed for ten minutes are stale and ignored.
 */
export { ChunkStore, type PoolConfig } from "./chunk-store";
export { backupFolder, backupToTarget, latestRecoveryPoint, localTarget, type BackupOptions, type BackupProgress } from "./archiver";
export { restore, restoreFrom, unsafePathReason, type RestoreOptions, type RestoreOutcome, type RestoreResult } from "./restorer";
export { verifyPool, type VerifyReport } from "./checker";
export { prune, collectGarbage, type GcResult, type PruneResult } from "./gc";
export { replicateRecoveryPoint, localReplicationSource, type ReplicationSource, type ReplicationResult, type StoredChunk } from "./replicate";
export { applyRetention, validateRetentionPolicy, type RetentionPolicy, type RetentionDecision } from "./retention";
export { backupSqlite } from "./sqlite-source";
export { acquireLock, withLock, PoolLocked } from "./lock";
export { listManifestIds, readHeader, readEntries, type ManifestEntry, type ManifestHeader } from "./manifest";
export type { BackupTarget, ChunkReader, ChunkWriter } from "./target";
export * from "./errors";
