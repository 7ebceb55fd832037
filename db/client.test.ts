import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { CatalogOpenError, openCatalog, type Catalog } from "./client";

const dirs: string[] = [];
const opened: Catalog[] = [];

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "custodian-catalog-"));
  dirs.push(dir);
  return dir;
}

function open(file: string): Catalog {
  const db = openCatalog(file);
  opened.push(db);
  return db;
}

function close(db: Catalog): void {
  if (db.$client.open) db.$client.close();
}

function tableNames(db: Catalog): string[] {
  return (db.$client.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map(
    (r) => r.name,
  );
}

function openError(file: string): CatalogOpenError {
  try {
    open(file);
  } catch (err) {
    expect(err).toBeInstanceOf(CatalogOpenError);
    return err as CatalogOpenError;
  }
  throw new Error(`expected openCatalog(${file}) to fail`);
}

afterEach(() => {
  for (const db of opened.splice(0)) close(db);
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

describe("openCatalog", () => {
  it("creates and migrates a new file (and its missing directory)", () => {
    const file = path.join(tempDir(), "nested", "dir", "catalog.db");
    const db = open(file);
    expect(fs.existsSync(file)).toBe(true);
    const tables = tableNames(db);
    expect(tables).toContain("users");
    expect(tables).toContain("sessions");
    expect(tables).toContain("__drizzle_migrations");
    expect(db.$client.pragma("journal_mode", { simple: true })).toBe("wal");
    expect(db.$client.pragma("foreign_keys", { simple: true })).toBe(1);
    expect(fs.readFileSync(file).subarray(0, 16).toString("latin1")).toBe("SQLite format 3\0");
  });

  it("refuses a file of garbage as corrupt, naming the file, and leaves it byte-for-byte unchanged", () => {
    const dir = tempDir();
    const file = path.join(dir, "catalog.db");
    const garbage = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 37 + 11) % 256));
    fs.writeFileSync(file, garbage);
    const err = openError(file);
    expect(err.reason).toBe("corrupt");
    expect(err.file).toBe(file);
    expect(err.message).toContain(file);
    expect(fs.readFileSync(file).equals(garbage)).toBe(true);
    expect(fs.readdirSync(dir)).toEqual(["catalog.db"]); // no -wal/-shm/journal left beside it
  });

  it("refuses a short non-SQLite file as corrupt", () => {
    const file = path.join(tempDir(), "catalog.db");
    fs.writeFileSync(file, "hello");
    const err = openError(file);
    expect(err.reason).toBe("corrupt");
    expect(fs.readFileSync(file, "utf8")).toBe("hello");
  });

  it("refuses a file with a SQLite header but a damaged body as corrupt, unchanged", () => {
    const dir = tempDir();
    const file = path.join(dir, "catalog.db");
    const bytes = Buffer.alloc(8192, 0xa5);
    Buffer.from("SQLite format 3\0", "latin1").copy(bytes, 0);
    fs.writeFileSync(file, bytes);
    const err = openError(file);
    expect(err.reason).toBe("corrupt");
    expect(err.message).toContain(file);
    expect(fs.readFileSync(file).equals(bytes)).toBe(true);
    expect(fs.readdirSync(dir)).toEqual(["catalog.db"]);
  });

  it("refuses a catalog migrated by a newer version", () => {
    const file = path.join(tempDir(), "catalog.db");
    const db = open(file);
    db.$client.prepare("INSERT INTO __drizzle_migrations (hash, created_at) VALUES (?, ?)").run("future", 9999999999999);
    close(db);
    const err = openError(file);
    expect(err.reason).toBe("newer");
    expect(err.message).toContain(file);
    expect(err.message).toContain("9999999999999");
  });

  it("reopens an existing catalog without re-applying migrations, keeping its data", () => {
    const file = path.join(tempDir(), "catalog.db");
    const first = open(file);
    first.$client
      .prepare("INSERT INTO users (username, role, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?)")
      .run("alice", "admin", "x", 1, 1);
    const migrations = first.$client.prepare("SELECT COUNT(*) AS n FROM __drizzle_migrations").get() as { n: number };
    expect(migrations.n).toBeGreaterThan(0);
    close(first);

    for (let i = 0; i < 2; i++) {
      const again = open(file);
      expect(again.$client.prepare("SELECT COUNT(*) AS n FROM __drizzle_migrations").get()).toEqual(migrations);
      expect(again.$client.prepare("SELECT username FROM users").all()).toEqual([{ username: "alice" }]);
      close(again);
    }
  });

  it("accepts an empty 0-byte file as a new catalog", () => {
    const file = path.join(tempDir(), "catalog.db");
    fs.writeFileSync(file, "");
    const db = open(file);
    expect(tableNames(db)).toContain("users");
    expect(fs.statSync(file).size).toBeGreaterThan(0);
  });

  it("gives a fresh migrated catalog for :memory:", () => {
    const a = open(":memory:");
    const b = open(":memory:");
    a.$client.prepare("INSERT INTO users (username, role, password_hash, created_at, updated_at) VALUES ('x', 'admin', 'h', 1, 1)").run();
    expect(tableNames(b)).toContain("users");
    expect(b.$client.prepare("SELECT COUNT(*) AS n FROM users").get()).toEqual({ n: 0 });
  });
});
