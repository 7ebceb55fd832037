/**
 * Application-consistent capture of a live SQLite database through SQLite's online backup API
 * (sqlite3_backup_*, via better-sqlite3), the SQLite counterpart of a VSS writer: the copy is the
 * database exactly as one committed transaction left it, even while other processes write.
 *
 * How the copy stays consistent: we open the source read-only and start a read transaction
 * before the backup begins. sqlite3_backup_step then copies every page inside that one
 * snapshot. Without it, better-sqlite3 steps 100 pages at a time, each step in its own read
 * transaction, and SQLite restarts the whole backup whenever another process commits between
 * two steps: against a busy writer it never finishes (measured: 80k steps in 5 s, no end).
 *  - WAL source: writers go on committing while we copy; we simply do not see their frames,
 *    and checkpoints stop at our snapshot until we finish (the -wal grows meanwhile).
 *  - Rollback-journal source: our SHARED lock holds writers' commits (they wait in their busy
 *    handler) for the length of the copy. That is the price of a consistent copy in this mode;
 *    the copy runs at disk speed, and a writer whose busy timeout is shorter than that gets
 *    SQLITE_BUSY, as it would from any reader.
 *
 * Output: a temp file beside destFile, checked with PRAGMA quick_check, fsynced, renamed; on any
 * failure the temp file (and the -journal/-wal/-shm SQLite may have made for it) is removed.
 */
import fs from "node:fs";
import path from "node:path";
import { randomBytes } from "node:crypto";
import Database from "better-sqlite3";
import { SqliteSourceError } from "./errors";

export interface SqliteCaptureResult {
  pages: number;
  bytes: number;
}

export interface SqliteCaptureProgress {
  totalPages: number;
  remainingPages: number;
}

const MAGIC = Buffer.from("SQLite format 3\0", "latin1");
/** Pages per backup step. Inside one snapshot this only trades event-loop latency for speed. */
const STEP_PAGES = 256;
/** How long we wait for a writer holding the source locked (rollback mode) before giving up. */
const BUSY_TIMEOUT_MS = 10_000;

export async function captureSqlite(
  dbPath: string,
  destFile: string,
  o: { onProgress?: (p: SqliteCaptureProgress) => void } = {},
): Promise<SqliteCaptureResult> {
  await checkHeader(dbPath);
  const [realSrc, realDest] = await Promise.all([fs.promises.realpath(dbPath), fs.promises.realpath(destFile).catch(() => path.resolve(destFile))]);
  if (realSrc === realDest) throw new Error(`captureSqlite: the destination ${destFile} is the source itself`); // the rename would replace it
  const dir = path.dirname(path.resolve(destFile));
  await fs.promises.mkdir(dir, { recursive: true });
  const tmp = path.join(dir, `.${path.basename(destFile)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
  try {
    const pages = await copy(dbPath, tmp, o.onProgress);
    quickCheck(dbPath, tmp);
    const fh = await fs.promises.open(tmp, "r+");
    let bytes: number;
    try {
      await fh.sync(); // SQLite synced its commit, per its synchronous setting; we do not rely on that setting
      bytes = (await fh.stat()).size;
    } finally {
      await fh.close();
    }
    await fs.promises.rename(tmp, destFile);
    const dh = await fs.promises.open(dir, "r");
    try {
      await dh.sync();
    } finally {
      await dh.close();
    }
    return { pages, bytes };
  } catch (err) {
    await Promise.all(["", "-journal", "-wal", "-shm"].map((s) => fs.promises.rm(tmp + s, { force: true })));
    throw err;
  }
}

/** Refuses what is not a readable SQLite file before SQLite sees it (it would call an empty file a valid empty database). */
async function checkHeader(dbPath: string): Promise<void> {
  let fh: fs.promises.FileHandle;
  try {
    fh = await fs.promises.open(dbPath, "r");
  } catch (err) {
    throw new SqliteSourceError(dbPath, describeFsError(err), { cause: err });
  }
  try {
    const st = await fh.stat();
    if (st.isDirectory()) throw new SqliteSourceError(dbPath, "is a directory, not a database file");
    if (!st.isFile()) throw new SqliteSourceError(dbPath, "is not a regular file");
    if (st.size === 0) throw new SqliteSourceError(dbPath, "is empty (0 bytes), not a SQLite database");
    const head = Buffer.alloc(100);
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    if (bytesRead < 16 || !head.subarray(0, 16).equals(MAGIC)) {
      throw new SqliteSourceError(dbPath, 'is not a SQLite database (its header is not "SQLite format 3")');
    }
    if (bytesRead < head.length) throw new SqliteSourceError(dbPath, `is truncated: ${bytesRead} bytes, shorter than a SQLite header`);
  } catch (err) {
    if (err instanceof SqliteSourceError) throw err;
    throw new SqliteSourceError(dbPath, describeFsError(err), { cause: err });
  } finally {
    await fh.close();
  }
}

/** Copies the source into `tmp` (which SQLite creates) inside one read snapshot; returns the page count. */
async function copy(dbPath: string, tmp: string, onProgress?: (p: SqliteCaptureProgress) => void): Promise<number> {
  let src: Database.Database | undefined;
  try {
    // Read-only, so SQLite can never write the source: no hot-journal rollback, no WAL
    // checkpoint or recovery into the main file. A WAL source still needs its -shm (the
    // wal-index): it is how a reader and writers in other processes agree which WAL frames are
    // committed and how far a checkpoint may go, so SQLite opens, or creates, -shm and -wal even
    // for a read-only connection (as root it gives them the database file's owner). When no
    // other connection had them, they stay behind, -wal empty, after we close: a read-only
    // connection may not delete them, and deleting them ourselves would be unsafe, since a
    // process may have opened the database meanwhile; its next read-write close removes them.
    // A -shm we may read but not write (another user's) still works: SQLite reads it into
    // private memory and sees the committed frames. A missing -shm we may not create
    // (read-only directory) makes SQLite refuse (SQLITE_READONLY_DIRECTORY), and so do we.
    src = new Database(dbPath, { readonly: true, fileMustExist: true, timeout: BUSY_TIMEOUT_MS });
    src.exec("BEGIN"); // deferred: the read below takes the snapshot every backup step will use
    src.prepare("SELECT count(*) FROM sqlite_schema").pluck().get();
  } catch (err) {
    src?.close();
    throw sourceError(dbPath, err);
  }
  try {
    const done = await src.backup(tmp, {
      progress: (p) => {
        onProgress?.({ totalPages: p.totalPages, remainingPages: p.remainingPages });
        return STEP_PAGES;
      },
    });
    onProgress?.({ totalPages: done.totalPages, remainingPages: 0 });
    return done.totalPages;
  } catch (err) {
    // Only damage is unambiguously the source's here; other errors may be the destination's (disk full).
    throw isDamage(err) ? sourceError(dbPath, err) : err;
  } finally {
    src.close(); // ends the read transaction, releasing writers in rollback mode
  }
}

/** The backup copies pages blindly; quick_check on the copy is what finds a damaged source. Synchronous: it blocks the event loop for about a read of the copy. */
function quickCheck(dbPath: string, tmp: string): void {
  let db: Database.Database | undefined;
  try {
    // Read-write on our own temp file, so that for a WAL copy SQLite deletes the -wal/-shm it makes here on close.
    db = new Database(tmp, { fileMustExist: true });
    const problems = (db.pragma("quick_check(10)", { simple: false }) as { quick_check: string }[]).map((r) => r.quick_check);
    if (problems.length !== 1 || problems[0] !== "ok") {
      throw new SqliteSourceError(dbPath, `is damaged: PRAGMA quick_check on the copy says: ${problems.join("; ")}`);
    }
  } catch (err) {
    if (err instanceof SqliteSourceError) throw err;
    throw isDamage(err) ? sourceError(dbPath, err) : err;
  } finally {
    db?.close();
  }
}

const codeOf = (err: unknown): string => (err instanceof Database.SqliteError ? err.code : "");
const isDamage = (err: unknown) => /^SQLITE_(CORRUPT|NOTADB)/.test(codeOf(err));

function sourceError(dbPath: string, err: unknown): Error {
  if (!(err instanceof Database.SqliteError)) return err instanceof Error ? err : new Error(String(err));
  const code = err.code;
  const says = `(${code}: ${err.message})`;
  let reason: string;
  if (code.startsWith("SQLITE_NOTADB")) reason = `is not a SQLite database ${says}`;
  else if (code.startsWith("SQLITE_CORRUPT")) reason = `is damaged ${says}`;
  else if (code.startsWith("SQLITE_BUSY")) reason = `stayed locked by another connection for ${BUSY_TIMEOUT_MS / 1000} s ${says}`;
  else if (code === "SQLITE_READONLY_ROLLBACK") {
    reason = `has a hot journal (a writer died mid-transaction) that only a read-write connection may roll back; open it once with its application or sqlite3, then capture again ${says}`;
  } else if (code.startsWith("SQLITE_READONLY")) {
    reason = `is in WAL mode and its -shm file cannot be created or written by this process, so a read-only reader cannot coordinate with its writers; capture as the database's owner ${says}`;
  } else if (code.startsWith("SQLITE_CANTOPEN") || code.startsWith("SQLITE_PERM") || code.startsWith("SQLITE_AUTH")) reason = `cannot be opened ${says}`;
  else if (code.startsWith("SQLITE_IOERR")) reason = `cannot be read ${says}`;
  else reason = `cannot be opened for a consistent read ${says}`;
  return new SqliteSourceError(dbPath, reason, { cause: err });
}

function describeFsError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (code === "ENOENT") return "does not exist";
  if (code === "EACCES" || code === "EPERM") return "cannot be read: permission denied";
  if (code === "EISDIR") return "is a directory, not a database file";
  return `cannot be read: ${err instanceof Error ? err.message : String(err)}`;
}
