/**
 * The embedded default's sample data: a small file share, a projects folder, a scans folder
 * and a live SQLite database on this computer, generated once from a fixed seed, and a
 * workload that keeps changing them as users and an application would (edits, new files,
 * deletions, database writes, and now and then the scans share going offline for a few
 * minutes). The real engine backs all of it up; nothing is inserted into the catalog here.
 */
import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { mulberry32 } from "@/server/seeded-random";


const WORDS = "invoice budget report quarter forecast meeting minutes contract supplier customer payroll audit policy roadmap design review release backlog estimate summary draft final approved pending archive".split(" ");

function text(rand: () => number, lines: number): string {
  const out: string[] = [];
  for (let i = 0; i < lines; i++) {
    const n = 6 + Math.floor(rand() * 10);
    out.push(Array.from({ length: n }, () => WORDS[Math.floor(rand() * WORDS.length)]).join(" "));
  }
  return out.join("\n") + "\n";
}

function binary(rand: () => number, size: number): Buffer {
  const b = Buffer.alloc(Math.ceil(size / 4) * 4);
  for (let i = 0; i < b.length; i += 4) b.writeUInt32LE(Math.floor(rand() * 2 ** 32), i);
  return b.subarray(0, size);
}

export interface SampleSet {
  root: string;
  finance: string;
  projects: string;
  scans: string;
  /** Where the scans folder waits while "offline". */
  scansOffline: string;
  crm: string;
}

export function sampleSet(dataDir: string): SampleSet {
  const root = path.join(dataDir, "sample");
  return {
    root,
    finance: path.join(root, "finance-share"),
    projects: path.join(root, "projects"),
    scans: path.join(root, "scans"),
    scansOffline: path.join(root, ".scans-offline"),
    crm: path.join(root, "crm.db"),
  };
}

/** Creates the sample folders and database once (about 40 MB); leaves an existing set alone. */
export function ensureSampleData(dataDir: string): SampleSet {
  const s = sampleSet(dataDir);
  const marker = path.join(s.root, ".generated");
  if (fs.existsSync(marker)) return s;
  const rand = mulberry32(20261124);
  const years = ["2024", "2025", "2026"];
  for (const y of years) {
    for (const q of ["q1", "q2", "q3", "q4"]) {
      const dir = path.join(s.finance, y, q);
      fs.mkdirSync(dir, { recursive: true });
      for (let i = 0; i < 12; i++) fs.writeFileSync(path.join(dir, `${WORDS[i % WORDS.length]}-${y}-${q}-${i}.txt`), text(rand, 200 + Math.floor(rand() * 400)));
      fs.writeFileSync(path.join(dir, `ledger-${y}-${q}.xlsx`), binary(rand, 200_000 + Math.floor(rand() * 300_000)));
    }
  }
  for (const p of ["atlas", "borealis", "cascade", "delta"]) {
    const dir = path.join(s.projects, p);
    fs.mkdirSync(path.join(dir, "docs"), { recursive: true });
    fs.mkdirSync(path.join(dir, "assets"), { recursive: true });
    for (let i = 0; i < 20; i++) fs.writeFileSync(path.join(dir, "docs", `${WORDS[(i * 7) % WORDS.length]}-${i}.md`), text(rand, 100 + Math.floor(rand() * 300)));
    for (let i = 0; i < 6; i++) fs.writeFileSync(path.join(dir, "assets", `image-${i}.png`), binary(rand, 500_000 + Math.floor(rand() * 1_000_000)));
  }
  fs.mkdirSync(s.scans, { recursive: true });
  for (let i = 0; i < 15; i++) fs.writeFileSync(path.join(s.scans, `scan-${String(i).padStart(4, "0")}.pdf`), binary(rand, 300_000));
  const db = new Database(s.crm);
  try {
    db.pragma("journal_mode = WAL");
    db.exec("CREATE TABLE IF NOT EXISTS customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL, notes TEXT NOT NULL, updated_at INTEGER NOT NULL)");
    const ins = db.prepare("INSERT INTO customers (name, notes, updated_at) VALUES (?, ?, ?)");
    db.transaction(() => {
      for (let i = 0; i < 20_000; i++) ins.run(`Customer ${i}`, text(rand, 2), Date.now());
    })();
  } finally {
    db.close();
  }
  fs.writeFileSync(marker, new Date().toISOString() + "\n");
  return s;
}

/**
 * One step of the workload (every ~20 s): edits and new files in the shares, a few hundred
 * database writes; and the scans share goes offline for 3 minutes of every 15 (a flaky
 * network share), so synchronizations of it fail and their alerts raise and resolve.
 */
export class SampleWorkload {
  private step = 0;
  private readonly rand = mulberry32(Date.now() & 0xffffffff);
  private db: Database.Database | null = null;

  constructor(
    private readonly s: SampleSet,
    private readonly startedAt = Date.now(),
  ) {}

  run(now = Date.now()): void {
    this.step++;
    const r = this.rand;
    const y = new Date(now).getUTCFullYear().toString();
    const inbox = path.join(this.s.finance, y, "inbox");
    fs.mkdirSync(inbox, { recursive: true });
    fs.writeFileSync(path.join(inbox, `${WORDS[Math.floor(r() * WORDS.length)]}-${now}.txt`), text(r, 50 + Math.floor(r() * 200)));
    // Users edit an existing document now and then.
    const q = path.join(this.s.finance, "2026", "q4");
    if (fs.existsSync(q)) {
      const files = fs.readdirSync(q).filter((f) => f.endsWith(".txt"));
      if (files.length) fs.appendFileSync(path.join(q, files[Math.floor(r() * files.length)]!), text(r, 5));
    }
    const proj = ["atlas", "borealis", "cascade", "delta"][this.step % 4]!;
    const docs = path.join(this.s.projects, proj, "docs");
    if (fs.existsSync(docs)) {
      fs.writeFileSync(path.join(docs, "status.md"), `# ${proj} status\n\nupdated ${new Date(now).toISOString()}\n\n` + text(r, 20));
      const old = fs.readdirSync(inbox).sort();
      if (old.length > 40) fs.rmSync(path.join(inbox, old[0]!), { force: true }); // tidy: the oldest inbox file goes
    }
    this.writeDatabase(now);
    this.flakyShare(now);
  }

  private writeDatabase(now: number): void {
    if (!this.db) {
      this.db = new Database(this.s.crm);
      this.db.pragma("journal_mode = WAL");
      this.db.pragma("busy_timeout = 5000");
    }
    const upd = this.db.prepare("UPDATE customers SET notes = ?, updated_at = ? WHERE id = ?");
    const ins = this.db.prepare("INSERT INTO customers (name, notes, updated_at) VALUES (?, ?, ?)");
    const r = this.rand;
    this.db.transaction(() => {
      for (let i = 0; i < 200; i++) upd.run(text(r, 1), now, 1 + Math.floor(r() * 20_000));
      for (let i = 0; i < 20; i++) ins.run(`Customer ${now}-${i}`, text(r, 2), now);
    })();
  }

  /** Offline from minute 3 to minute 6 of every quarter hour after start. */
  private flakyShare(now: number): void {
    const minute = Math.floor((now - this.startedAt) / 60_000) % 15;
    const offline = minute >= 3 && minute < 6;
    if (offline && fs.existsSync(this.s.scans)) fs.renameSync(this.s.scans, this.s.scansOffline);
    if (!offline && fs.existsSync(this.s.scansOffline) && !fs.existsSync(this.s.scans)) fs.renameSync(this.s.scansOffline, this.s.scans);
  }

  close(): void {
    this.db?.close();
    this.db = null;
    // Leave the share online for the next start.
    if (fs.existsSync(this.s.scansOffline) && !fs.existsSync(this.s.scans)) fs.renameSync(this.s.scansOffline, this.s.scans);
  }
}
