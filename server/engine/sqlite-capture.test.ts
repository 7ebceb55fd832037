import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createHash } from "node:crypto";
import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { captureSqlite } from "./sqlite-capture";
import { SqliteSourceError } from "./errors";

const dirs: string[] = [];
const children: ChildProcess[] = [];
const tmp = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "custodian-sqlite-"));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  dirs.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true }));
});

const ACCOUNTS = 100;
const TOTAL = ACCOUNTS * 1000;
const BETTER_SQLITE3 = createRequire(import.meta.url).resolve("better-sqlite3");

/** A database of a few MB: accounts whose balances sum to TOTAL, a ledger whose amounts sum to 0. */
function makeBank(file: string, journalMode: "wal" | "delete", ledgerRows = 3000) {
  const db = new Database(file);
  db.pragma(`journal_mode = ${journalMode}`);
  db.exec("CREATE TABLE accounts (id INTEGER PRIMARY KEY, balance INTEGER NOT NULL); CREATE TABLE ledger (id INTEGER PRIMARY KEY, account INTEGER NOT NULL, amount INTEGER NOT NULL, memo BLOB);");
  db.transaction(() => {
    const a = db.prepare("INSERT INTO accounts VALUES (?, 1000)");
    for (let i = 1; i <= ACCOUNTS; i++) a.run(i);
    const l = db.prepare("INSERT INTO ledger (account, amount, memo) VALUES (0, 0, randomblob(1000))");
    for (let i = 0; i < ledgerRows; i++) l.run();
  })();
  db.close();
}

/**
 * Another process moving money: each transaction debits one account and credits another, each
 * leg in its own statement and with its own ledger row, so a copy that mixed two moments would
 * break sum(balance) = TOTAL or sum(amount) = 0. Prints "n <count>" after every batch.
 */
const WRITER = `
const Database = require(process.env.BETTER_SQLITE3);
const db = new Database(process.argv[1], { timeout: 30000 });
db.pragma("synchronous = OFF"); // durability is not under test; speed is
const move = db.prepare("UPDATE accounts SET balance = balance + ? WHERE id = ?");
const log = db.prepare("INSERT INTO ledger (account, amount, memo) VALUES (?, ?, randomblob(200))");
let n = 0;
const transfer = db.transaction((from, to, x) => { move.run(-x, from); log.run(from, -x); move.run(x, to); log.run(to, x); });
let stopping = false;
process.stdin.on("end", () => { stopping = true; });
process.stdin.resume();
(function batch() {
  if (stopping) { db.close(); process.exit(0); }
  for (let i = 0; i < 20; i++, n++) transfer(1 + (n % ${ACCOUNTS}), 1 + ((n * 7 + 3) % ${ACCOUNTS}), 1 + (n % 97));
  process.stdout.write("n " + n + "\\n");
  setImmediate(batch);
})();
`;

function startWriter(file: string) {
  const child = spawn(process.execPath, ["-e", WRITER, file], { env: { ...process.env, BETTER_SQLITE3 }, stdio: ["pipe", "pipe", "inherit"] });
  children.push(child);
  let count = 0;
  const waiters: { min: number; resolve: () => void }[] = [];
  let buf = "";
  child.stdout!.on("data", (d: Buffer) => {
    buf += d.toString();
    const lines = buf.split("\n");
    buf = lines.pop()!;
    for (const l of lines) if (l.startsWith("n ")) count = Number(l.slice(2));
    for (const w of waiters.splice(0)) {
      if (count >= w.min) w.resolve();
      else waiters.push(w);
    }
  });
  return {
    get count() {
      return count;
    },
    /** Resolves once the writer has committed at least `min` transfers. */
    until(min: number) {
      return new Promise<void>((resolve) => (count >= min ? resolve() : waiters.push({ min, resolve })));
    },
    stop() {
      return new Promise<number | null>((resolve) => {
        child.once("exit", (code) => resolve(code));
        child.stdin!.end();
      });
    },
  };
}

/** Opens a captured copy and reads what the invariants need. */
function inspect(file: string) {
  const db = new Database(file, { fileMustExist: true });
  try {
    return {
      integrity: db.pragma("integrity_check", { simple: true }),
      journalMode: db.pragma("journal_mode", { simple: true }),
      balance: db.prepare("SELECT sum(balance) FROM accounts").pluck().get(),
      ledgerSum: db.prepare("SELECT sum(amount) FROM ledger").pluck().get(),
      moves: db.prepare("SELECT count(*) FROM ledger WHERE account <> 0").pluck().get() as number,
    };
  } finally {
    db.close();
  }
}

const countMoves = (file: string) => {
  const db = new Database(file, { readonly: true, fileMustExist: true, timeout: 30_000 });
  try {
    return db.prepare("SELECT count(*) FROM ledger WHERE account <> 0").pluck().get() as number;
  } finally {
    db.close();
  }
};
const sha = (f: string) => createHash("sha256").update(fs.readFileSync(f)).digest("hex");

describe("captureSqlite with another process writing", () => {
  for (const mode of ["wal", "delete"] as const) {
    it(`gives consistent, growing copies of a ${mode.toUpperCase()}-mode database`, async () => {
      const dir = tmp();
      const src = path.join(dir, "bank.db");
      makeBank(src, mode);
      expect(fs.statSync(src).size).toBeGreaterThan(3_000_000);
      const writer = startWriter(src);
      await writer.until(100);

      let lastMoves = -1;
      for (let i = 0; i < 5; i++) {
        const dest = path.join(dir, "out", `copy-${i}.db`);
        const progress: { totalPages: number; remainingPages: number }[] = [];
        const before = writer.count;
        const r = await captureSqlite(src, dest, { onProgress: (p) => progress.push(p) });

        expect(r.bytes).toBe(fs.statSync(dest).size);
        expect(r.pages * 4096).toBe(r.bytes);
        expect(progress.at(-1)).toEqual({ totalPages: r.pages, remainingPages: 0 });
        expect(progress.length).toBeGreaterThan(2); // several steps, one snapshot
        const c = inspect(dest);
        expect(c.integrity).toBe("ok");
        expect(c.journalMode).toBe(mode); // the copy keeps the source's mode
        expect(c.balance).toBe(TOTAL);
        expect(c.ledgerSum).toBe(0);
        expect(c.moves % 2).toBe(0); // both legs of every transfer, or neither
        // The snapshot lies between what the writer had reported before and what the source holds after.
        expect(c.moves / 2).toBeGreaterThanOrEqual(before);
        expect(c.moves).toBeLessThanOrEqual(countMoves(src));
        expect(c.moves).toBeGreaterThan(lastMoves);
        lastMoves = c.moves;
        await writer.until(writer.count + 40); // let it commit more before the next capture
      }
      expect(await writer.stop()).toBe(0);
      expect(fs.readdirSync(path.join(dir, "out")).sort()).toEqual([0, 1, 2, 3, 4].map((i) => `copy-${i}.db`)); // no temp files
    });
  }
});

describe("captureSqlite of a quiet database", () => {
  it("leaves a rollback-mode source byte-for-byte and file-for-file unchanged", async () => {
    const dir = tmp();
    const src = path.join(dir, "quiet.db");
    makeBank(src, "delete", 200);
    const hash = sha(src);
    const r = await captureSqlite(src, path.join(dir, "copy.db"));
    expect(sha(src)).toBe(hash);
    expect(fs.readdirSync(dir).sort()).toEqual(["copy.db", "quiet.db"]);
    expect(inspect(path.join(dir, "copy.db")).balance).toBe(TOTAL);
    expect(r.pages).toBeGreaterThan(50);
  });

  it("leaves a WAL-mode source's main file unchanged and includes committed frames still in the -wal", async () => {
    const dir = tmp();
    const src = path.join(dir, "wal.db");
    makeBank(src, "wal", 200);
    // A connection that stays open keeps its last commit in the -wal, not yet in the main file.
    const app = new Database(src);
    app.pragma("wal_autocheckpoint = 0");
    app.prepare("UPDATE accounts SET balance = balance - 5 WHERE id = 1").run();
    app.prepare("UPDATE accounts SET balance = balance + 5 WHERE id = 2").run();
    const hash = sha(src);
    await captureSqlite(src, path.join(dir, "copy.db"));
    expect(sha(src)).toBe(hash);
    app.close();
    const copy = new Database(path.join(dir, "copy.db"), { readonly: true });
    expect(copy.prepare("SELECT balance FROM accounts WHERE id IN (1, 2) ORDER BY id").pluck().all()).toEqual([995, 1005]);
    copy.close();
  });

  it("refuses to write over its own source", async () => {
    const dir = tmp();
    const src = path.join(dir, "a.db");
    makeBank(src, "delete", 10);
    fs.symlinkSync(src, path.join(dir, "link.db"));
    const hash = sha(src);
    await expect(captureSqlite(src, path.join(dir, "link.db"))).rejects.toThrow(/is the source itself/);
    expect(sha(src)).toBe(hash);
    expect(fs.readdirSync(dir).sort()).toEqual(["a.db", "link.db"]);
  });

  it("replaces an existing destination", async () => {
    const dir = tmp();
    const src = path.join(dir, "a.db");
    makeBank(src, "delete", 10);
    fs.writeFileSync(path.join(dir, "copy.db"), "old");
    await captureSqlite(src, path.join(dir, "copy.db"));
    expect(inspect(path.join(dir, "copy.db")).integrity).toBe("ok");
  });
});

describe("captureSqlite refuses what it cannot copy consistently", () => {
  /** Expects a SqliteSourceError naming `src` and matching `reason`, and nothing written to the destination folder. */
  async function refuses(src: string, reason: RegExp) {
    const out = tmp();
    const err = await captureSqlite(src, path.join(out, "copy.db")).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SqliteSourceError);
    expect((err as SqliteSourceError).path).toBe(src);
    expect((err as SqliteSourceError).reason).toMatch(reason);
    expect((err as Error).message).toContain(src);
    expect(fs.readdirSync(out)).toEqual([]);
  }

  /** A valid database of a few dozen pages, for damaging. */
  function victim(dir: string) {
    const f = path.join(dir, "victim.db");
    makeBank(f, "delete", 100);
    return f;
  }

  it("a missing file", async () => {
    await refuses(path.join(tmp(), "nope.db"), /does not exist/);
  });

  it("a text file", async () => {
    const f = path.join(tmp(), "notes.txt");
    fs.writeFileSync(f, "Dear diary, today I backed up nothing.\n".repeat(200));
    await refuses(f, /not a SQLite database/);
  });

  it("an empty file", async () => {
    const f = path.join(tmp(), "empty.db");
    fs.writeFileSync(f, "");
    await refuses(f, /empty/);
  });

  it("a directory", async () => {
    await refuses(tmp(), /directory/);
  });

  it.skipIf(process.getuid?.() === 0)("an unreadable file", async () => {
    const f = victim(tmp());
    fs.chmodSync(f, 0o000);
    await refuses(f, /permission denied/);
  });

  it("a file with only the start of a header", async () => {
    const f = path.join(tmp(), "short.db");
    fs.writeFileSync(f, "SQLite format 3\0abc");
    await refuses(f, /truncated/);
  });

  it("a database cut short", async () => {
    const f = victim(tmp());
    fs.truncateSync(f, Math.floor(fs.statSync(f).size / 2) + 1000);
    await refuses(f, /damaged|not a SQLite database/);
  });

  it("a header with an impossible page size", async () => {
    const f = victim(tmp());
    const fd = fs.openSync(f, "r+");
    fs.writeSync(fd, Buffer.from([0x03, 0x00]), 0, 2, 16); // page size 768: not a power of two
    fs.closeSync(fd);
    await refuses(f, /not a SQLite database|damaged/);
  });

  it("garbled b-tree pages (found by quick_check on the copy)", async () => {
    const f = victim(tmp());
    const fd = fs.openSync(f, "r+");
    fs.writeSync(fd, Buffer.alloc(4096 * 3, 0x5a), 0, 4096 * 3, 4096 * 4); // pages 5-7: ledger rows
    fs.closeSync(fd);
    await refuses(f, /damaged/);
  });

  it("a cell pointer out of range (quick_check on the copy lists it)", async () => {
    const f = victim(tmp());
    const fd = fs.openSync(f, "r+");
    fs.writeSync(fd, Buffer.alloc(4, 0x5a), 0, 4, 4096 * 10 + 8); // page 11, a ledger leaf: its first two cell pointers
    fs.closeSync(fd);
    // Where SQLite notices depends on the page layout (random data): in the copy's
    // quick_check or already while copying. Either way it is refused as damaged.
    await refuses(f, /quick_check on the copy says|damaged/s);
  });

  it("a hot journal left by a writer that died mid-transaction", async () => {
    const dir = tmp();
    const f = victim(dir);
    // The writer spills uncommitted pages into the database file, says so, and is killed.
    const child = spawn(
      process.execPath,
      [
        "-e",
        `const db = new (require(process.env.BETTER_SQLITE3))(process.argv[1]);
         db.pragma("cache_size = 2"); db.exec("BEGIN"); db.exec("UPDATE ledger SET memo = randomblob(1000)");
         process.stdout.write("spilled\\n"); setInterval(() => {}, 1000);`,
        f,
      ],
      { env: { ...process.env, BETTER_SQLITE3 }, stdio: ["ignore", "pipe", "inherit"] },
    );
    children.push(child);
    await new Promise((resolve) => child.stdout!.once("data", resolve));
    await new Promise((resolve) => {
      child.once("exit", resolve);
      child.kill("SIGKILL");
    });
    expect(fs.statSync(f + "-journal").size).toBeGreaterThan(0);
    const hash = sha(f);
    await refuses(f, /hot journal/);
    expect(sha(f)).toBe(hash); // not rolled back by us: we never write the source
  });
});
