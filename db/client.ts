import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { drizzle, type BetterSQLite3Database } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import type { BaseSQLiteDatabase } from "drizzle-orm/sqlite-core";
import * as schema from "./schema";

export type Catalog = BetterSQLite3Database<typeof schema> & { $client: Database.Database };
/** What queries need: the catalog itself or a transaction on it. */
export type CatalogDb = BaseSQLiteDatabase<"sync", Database.RunResult, typeof schema>;

export const MIGRATIONS_FOLDER = path.join(path.dirname(fileURLToPath(import.meta.url)), "migrations");

const SQLITE_HEADER = Buffer.from("SQLite format 3\0", "latin1");

/**
 * Raised when the catalog file cannot be used. The server refuses to start rather than
 * reset it: a catalog is the map of every recovery point, and losing it silently is the
 * worst thing a backup server can do.
 */
export class CatalogOpenError extends Error {
  constructor(
    readonly file: string,
    readonly reason: "corrupt" | "newer" | "unreadable",
    message: string,
  ) {
    super(message);
    this.name = "CatalogOpenError";
  }
}

interface JournalEntry {
  idx: number;
  when: number;
  tag: string;
}

function readJournal(migrationsFolder: string): JournalEntry[] {
  const file = path.join(migrationsFolder, "meta", "_journal.json");
  return (JSON.parse(fs.readFileSync(file, "utf8")) as { entries: JournalEntry[] }).entries;
}

function assertLooksLikeSqlite(file: string): void {
  let fd: number;
  try {
    fd = fs.openSync(file, "r");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
    throw new CatalogOpenError(file, "unreadable", `Cannot read the catalog ${file}: ${(err as Error).message}`);
  }
  try {
    const header = Buffer.alloc(16);
    const n = fs.readSync(fd, header, 0, 16, 0);
    if (n === 0) return; // an empty file is a new database to SQLite
    if (n < 16 || !header.equals(SQLITE_HEADER)) {
      throw new CatalogOpenError(
        file,
        "corrupt",
        `The catalog ${file} is not a SQLite database (bad header). Restore it from a catalog backup, or move it away to start with an empty catalog.`,
      );
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** Refuses a catalog that a newer Custodian migrated: running old code on it could corrupt it. */
function assertNotNewer(sqlite: Database.Database, file: string, journal: JournalEntry[]): void {
  const table = sqlite
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = '__drizzle_migrations'")
    .get();
  if (!table) return;
  const row = sqlite.prepare("SELECT MAX(created_at) AS last FROM __drizzle_migrations").get() as {
    last: number | null;
  };
  const newestKnown = Math.max(0, ...journal.map((e) => e.when));
  if (row.last !== null && Number(row.last) > newestKnown) {
    throw new CatalogOpenError(
      file,
      "newer",
      `The catalog ${file} was written by a newer version of Custodian (schema migration ${row.last} is unknown to this version, whose newest is ${newestKnown}). Run the newer version, or restore a catalog backup made by this one.`,
    );
  }
}

export interface OpenCatalogOptions {
  migrationsFolder?: string;
  readonly?: boolean;
}

/**
 * Opens (creating if needed) the catalog, checks it, and applies pending migrations in one
 * transaction. `":memory:"` gives a fresh migrated catalog for tests.
 */
export function openCatalog(file: string, options: OpenCatalogOptions = {}): Catalog {
  const migrationsFolder = options.migrationsFolder ?? MIGRATIONS_FOLDER;
  const journal = readJournal(migrationsFolder);
  if (file !== ":memory:") {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    assertLooksLikeSqlite(file);
  }
  let sqlite: Database.Database;
  try {
    sqlite = new Database(file, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false });
  } catch (err) {
    throw new CatalogOpenError(file, "unreadable", `Cannot open the catalog ${file}: ${(err as Error).message}`);
  }
  try {
    sqlite.pragma("busy_timeout = 5000");
    if (!options.readonly) sqlite.pragma("journal_mode = WAL");
    sqlite.pragma("foreign_keys = ON");
    sqlite.pragma("synchronous = NORMAL");
    // Touch the schema so that a damaged file fails here, with the file's name, not later.
    sqlite.prepare("SELECT count(*) FROM sqlite_master").get();
    assertNotNewer(sqlite, file, journal);
  } catch (err) {
    sqlite.close();
    if (err instanceof CatalogOpenError) throw err;
    throw new CatalogOpenError(
      file,
      "corrupt",
      `The catalog ${file} is damaged (${(err as Error).message}). Restore it from a catalog backup; it was not modified.`,
    );
  }
  const db = drizzle(sqlite, { schema, casing: "snake_case" });
  if (!options.readonly) migrate(db, { migrationsFolder });
  return db;
}
