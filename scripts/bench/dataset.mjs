#!/usr/bin/env node
// A seeded, deterministic "file server" data set for the backup benchmark, and one day of churn.
//
//   node scripts/bench/dataset.mjs generate DIR [--size 1G] [--seed 1]
//   node scripts/bench/dataset.mjs churn DIR [--seed 1]
//
// The mix, by bytes (sizes scale with --size; at 1 GiB):
//   ~15% small text files, 1-64 KiB log-uniform (a few under 1 KiB), about 10,000 of them:
//        55% source-code-like (ts, js, py, c, java, go, sh, md, json) in nested project trees,
//        45% office-like text (txt, md, csv, html, xml, log, rtf, eml) under departments/ and home/;
//        3% are exact duplicates of another small file
//   ~30% medium files, 1-10 MiB: photos (incompressible), office documents (64 KiB blocks, 30-70%
//        random, the rest text), logs, CSV exports, binaries (4 KiB blocks of zeros, text and
//        random), and 10% "Copy of ..." duplicates
//   ~55% large files, 100-300 MiB (scaled down below 1 GiB), kinds in turn: VM disk image (the
//        first ~45% cloned from a shared "OS template" with clustered divergence, then runs of
//        zeros, log text, random, low-entropy bytes and repeated 4 KiB blocks), compressed
//        archive (random), VM disk, database (8 KiB pages of rows, free space zero-filled)
//   plus nested and empty directories, empty files, hidden files, symlinks (relative to a file
//   and to a directory, dangling, absolute, one named with "->"), odd names (spaces, NFC and NFD
//   forms of one name side by side, CJK, RTL, emoji, quotes, glob characters, backslash, leading
//   dash and space, a 240-byte name, one name that is not valid UTF-8) and a deep path.
// Modes (0644, 0600, 0755; directories 0755 and 0700) and mtimes (two years before
// 2023-11-14) are deterministic too. The same --size and --seed give the same tree, byte for byte.
//
// churn: about 1% of the bytes, deterministic from the seed and the tree: half as in-place
// 4-256 KiB overwrites at 4 KiB-aligned offsets in VM disks and databases, 15% appended to up to
// five logs, 20% as "office saves" of medium documents (insert 4-64 KiB and overwrite 4-256 KiB,
// written to a temporary file and renamed over the old one, as office programs do), the rest as
// new small files (0.5% of their number, one in a new folder); 0.2% of the files are deleted,
// 0.1% renamed, and one leaf folder is renamed. Changed files get a fixed mtime one day later.
import { Buffer } from "node:buffer";
import fs from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { Rng } from "./prng.mjs";
import { codeText, csvText, dbRow, logText, officeText, paragraph } from "./text.mjs";

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;
/** 2023-11-14T00:00:00Z: the data set's "now". Churned files are stamped one day later. */
export const EPOCH = Date.UTC(2023, 10, 14) / 1000;
const TWO_YEARS = 2 * 365 * 86400;

const CODE_EXT = ["ts", "ts", "js", "py", "py", "c", "java", "go", "sh", "md", "json"];
const OFFICE_EXT = ["txt", "txt", "md", "csv", "html", "xml", "log", "rtf", "eml"];
const DOC_EXT = ["docx", "xlsx", "pptx", "pdf", "odt"];
const DEPTS = ["finance", "hr", "legal", "sales", "engineering", "marketing", "operations"];
const USERS = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi"];
const TOPICS = ["budget", "contracts", "minutes", "reports", "policies", "projects", "invoices", "planning", "audit", "training", "archive", "customers"];
const CODE_DIRS = ["src", "lib", "test", "docs", "scripts", "config", "internal", "pkg", "api", "core", "util", "models", "handlers", "views", "vendor"];
const EVENTS = ["offsite", "launch", "summer-party", "trade-show", "office-move", "kickoff", "workshop"];
const SERVICES = ["auth", "api", "billing", "scheduler", "mailer", "gateway", "storage", "indexer"];

export function parseSize(s) {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?$/i.exec(String(s).trim());
  if (!m) throw new Error(`not a size: ${s} (try 256M, 1G, 2G)`);
  const mult = { "": 1, k: KiB, m: MiB, g: GiB, t: 1024 * GiB }[m[2].toLowerCase()];
  return Math.round(Number(m[1]) * mult);
}

/** Joins the root (a string) and a relative path (a string, or a Buffer for names that are not UTF-8). */
function abs(root, rel) {
  return typeof rel === "string" ? path.join(root, rel) : Buffer.concat([Buffer.from(root + "/"), rel]);
}

/** Low-entropy bytes: each byte takes one of 16 values (compresses to about half, never dedups). */
function fillSemiRandom(r, buf, start, end) {
  r.fill(buf, start, end);
  for (let i = start; i < end; i++) buf[i] = 0x40 | (buf[i] & 0x0f);
}

/** Text into buf[start, end). */
function fillText(r, buf, start, end, kind = "txt") {
  const t = kind === "log" ? logText(r, end - start, Date.UTC(2023, r.int(0, 10), r.int(1, 28))) : officeText(r, end - start, kind);
  t.copy(buf, start);
}

class Generator {
  constructor(root, size, seed) {
    this.root = root;
    this.size = size;
    this.seed = seed;
    this.rng = Rng.from("dataset", seed);
    this.entries = []; // { rel, kind: file|dir|symlink, mode, mtime }
    this.dirs = new Map(); // rel -> { mode, mtime }
    this.taken = new Set();
    this.stats = { files: 0, dirs: 0, symlinks: 0, bytes: 0, small: 0, smallBytes: 0, medium: 0, mediumBytes: 0, large: 0, largeBytes: 0, duplicates: 0, empty: 0 };
    this.buf = Buffer.allocUnsafe(4 * MiB);
    this.scale = Math.min(1, size / GiB);
  }

  mtime(r) {
    return EPOCH - r.int(3600, TWO_YEARS);
  }

  mkdir(rel, r, mode) {
    if (this.dirs.has(rel) || rel === "" || rel === ".") return;
    this.mkdir(path.dirname(rel), r);
    fs.mkdirSync(abs(this.root, rel));
    this.dirs.set(rel, { mode: mode ?? (r.chance(0.05) ? 0o700 : 0o755), mtime: this.mtime(r) });
    this.stats.dirs++;
  }

  /** A free name in dir for base.ext: base.ext, base-2.ext, ... */
  unique(dir, base, ext) {
    for (let n = 1; ; n++) {
      const rel = path.join(dir, `${base}${n > 1 ? `-${n}` : ""}${ext ? "." + ext : ""}`);
      if (!this.taken.has(rel)) {
        this.taken.add(rel);
        return rel;
      }
    }
  }

  /** Writes a file whose content is one Buffer. */
  put(rel, data, r, mode) {
    if (typeof rel === "string") this.mkdir(path.dirname(rel), r);
    fs.writeFileSync(abs(this.root, rel), data);
    this.file(rel, data.length, r, mode);
  }

  /** Records a file written by the caller. */
  file(rel, size, r, mode) {
    const ext = typeof rel === "string" ? path.extname(rel) : "";
    this.entries.push({ rel, kind: "file", mode: mode ?? (ext === ".sh" || ext === ".bin" ? 0o755 : r.chance(0.08) ? 0o600 : 0o644), mtime: this.mtime(r) });
    this.stats.files++;
    this.stats.bytes += size;
    if (size === 0) this.stats.empty++;
  }

  /** Writes a big file block by block: fill(buf, offset) fills buf (buf.length bytes) for that offset. */
  stream(rel, size, r, fill) {
    this.mkdir(path.dirname(rel), r);
    const fd = fs.openSync(abs(this.root, rel), "w");
    try {
      for (let off = 0; off < size; off += this.buf.length) {
        const n = Math.min(this.buf.length, size - off);
        const b = this.buf.subarray(0, n);
        fill(b, off);
        fs.writeSync(fd, b, 0, n, off);
      }
    } finally {
      fs.closeSync(fd);
    }
    this.file(rel, size, r);
  }

  symlink(rel, target, r) {
    this.mkdir(path.dirname(rel), r);
    fs.symlinkSync(target, abs(this.root, rel));
    this.entries.push({ rel, kind: "symlink", mtime: this.mtime(r) });
    this.stats.symlinks++;
  }

  /** A pool of nested directories under the given roots, as a random tree (depth up to maxDepth). */
  dirPool(r, roots, count, names, maxDepth) {
    const pool = roots.map((d) => ({ d, depth: 1 }));
    while (pool.length < count) {
      const parent = pool[r.int(Math.max(0, pool.length - 40), pool.length - 1)];
      const p = parent.depth >= maxDepth ? pool[r.int(0, roots.length - 1)] : parent;
      pool.push({ d: path.join(p.d, r.pick(names) + (r.chance(0.3) ? `-${r.int(1, 99)}` : "")), depth: p.depth + 1 });
    }
    return pool.map((x) => x.d);
  }

  run() {
    const r = this.rng;
    const smallBudget = Math.round(this.size * 0.15);
    const mediumBudget = Math.round(this.size * 0.3);
    const estSmall = Math.max(50, Math.round(smallBudget / (15 * KiB)));

    // Directory trees: code projects, departments and homes.
    const projects = Array.from({ length: Math.max(2, Math.round(estSmall / 900)) }, (_, i) => `projects/${r.pick(["atlas", "borealis", "cobalt", "delta", "ember", "falcon", "granite", "harbor"])}-${i + 1}`);
    const codeDirs = this.dirPool(r.fork("codedirs"), projects, Math.max(8, Math.round((estSmall * 0.55) / 12)), CODE_DIRS, 7);
    const officeRoots = [...DEPTS.map((d) => `departments/${d}`), ...USERS.map((u) => `home/${u}/Documents`)];
    const officeDirs = this.dirPool(r.fork("officedirs"), officeRoots, Math.max(12, Math.round((estSmall * 0.45) / 10)), [...TOPICS, "2019", "2020", "2021", "2022", "2023", "Q1", "Q2", "Q3", "Q4", "old", "drafts", "shared"], 6);

    // Small files.
    const sr = r.fork("small");
    const recent = [];
    let used = 0;
    while (used < smallBudget) {
      const n = sr.chance(0.03) ? sr.int(20, 1023) : sr.logInt(KiB, 64 * KiB);
      let rel;
      let data;
      if (recent.length > 20 && sr.chance(0.03)) {
        const orig = sr.pick(recent);
        data = orig.data;
        rel = this.unique(sr.pick(officeDirs), path.basename(orig.rel, path.extname(orig.rel)) + " (copy)", path.extname(orig.rel).slice(1));
        this.stats.duplicates++;
      } else if (sr.chance(0.55)) {
        const ext = sr.pick(CODE_EXT);
        rel = this.unique(sr.pick(codeDirs), codeName(sr), ext);
        data = codeText(sr, n, ext);
      } else {
        const ext = sr.pick(OFFICE_EXT);
        rel = this.unique(sr.pick(officeDirs), officeName(sr), ext);
        data = officeText(sr, n, ext);
      }
      this.put(rel, data, sr);
      if (recent.length < 64) recent.push({ rel, data });
      else recent[sr.int(0, 63)] = { rel, data };
      used += data.length;
      this.stats.small++;
      this.stats.smallBytes += data.length;
    }

    // Medium files.
    const mr = r.fork("medium");
    const mediumDone = [];
    used = 0;
    let photoNo = 1000;
    while (used < mediumBudget) {
      const n = Math.min(mr.int(MiB, 10 * MiB), Math.max(MiB, mediumBudget - used));
      const x = mr.float();
      let rel;
      if (mediumDone.length > 3 && x < 0.1) {
        const orig = mr.pick(mediumDone);
        const data = fs.readFileSync(abs(this.root, orig));
        rel = this.unique(mr.pick(officeDirs), "Copy of " + path.basename(orig, path.extname(orig)), path.extname(orig).slice(1));
        this.put(rel, data, mr);
        this.stats.duplicates++;
        used += data.length;
        this.stats.medium++;
        this.stats.mediumBytes += data.length;
        continue;
      }
      const fr = mr.fork("file");
      if (x < 0.37) {
        const dir = mr.chance(0.7) ? `photos/${mr.int(2019, 2023)}/${mr.pick(EVENTS)}` : `home/${mr.pick(USERS)}/Pictures`;
        rel = this.unique(dir, `IMG_${photoNo++}`, "jpg");
        this.stream(rel, n, mr, (b, off) => {
          fr.fill(b);
          if (off === 0) Buffer.from("\xff\xd8\xff\xe0\x00\x10JFIF\x00", "latin1").copy(b);
        });
      } else if (x < 0.6) {
        rel = this.unique(mr.pick(officeDirs), officeName(mr), mr.pick(DOC_EXT));
        const randomShare = fr.float() * 0.4 + 0.3;
        this.stream(rel, n, mr, (b) => {
          for (let o = 0; o < b.length; o += 64 * KiB) {
            const e = Math.min(b.length, o + 64 * KiB);
            if (fr.float() < randomShare) fr.fill(b, o, e);
            else fillText(fr, b, o, e, "txt");
          }
        });
      } else if (x < 0.75) {
        const svc = mr.pick(SERVICES);
        rel = this.unique(`logs/${svc}`, `${svc}-2023-${String(mr.int(1, 12)).padStart(2, "0")}-${String(mr.int(1, 28)).padStart(2, "0")}`, "log");
        this.stream(rel, n, mr, (b) => fillText(fr, b, 0, b.length, "log"));
      } else if (x < 0.92) {
        rel = this.unique(`exports/${mr.pick(["crm", "erp", "webshop", "payroll"])}`, `export-${mr.int(2019, 2023)}-${mr.int(1, 52)}`, "csv");
        this.stream(rel, n, mr, (b) => csvText(fr, b.length).copy(b));
      } else {
        rel = this.unique("software", `${mr.pick(["setup", "agent", "driver", "toolkit", "client"])}-${mr.int(1, 9)}.${mr.int(0, 20)}`, "bin");
        this.stream(rel, n, mr, (b) => {
          for (let o = 0; o < b.length; o += 4 * KiB) {
            const e = Math.min(b.length, o + 4 * KiB);
            const k = fr.u32() % 3;
            if (k === 0) b.fill(0, o, e);
            else if (k === 1) fillText(fr, b, o, e, "txt");
            else fr.fill(b, o, e);
          }
        });
      }
      mediumDone.push(rel);
      used += n;
      this.stats.medium++;
      this.stats.mediumBytes += n;
    }

    this.specials(r.fork("specials"), officeDirs, codeDirs);

    // Large files: whatever is left of the budget.
    const lr = r.fork("large");
    const template = this.template();
    const kinds = ["vm", "archive", "vm", "db"];
    let remaining = this.size - this.stats.bytes;
    const lo = Math.max(MiB, Math.round(100 * MiB * this.scale));
    const hi = Math.max(2 * MiB, Math.round(300 * MiB * this.scale));
    for (let i = 0; remaining > 0; i++) {
      let n = Math.min(remaining, lr.int(lo, hi));
      if (remaining - n < lo / 2) n = remaining;
      n = Math.ceil(n / (8 * KiB)) * 8 * KiB;
      const kind = kinds[i % kinds.length];
      const fr = lr.fork("large", i);
      if (kind === "vm") this.stream(this.unique("vm", `${lr.pick(["web", "db", "mail", "files", "dc", "build"])}${String(i + 1).padStart(2, "0")}-disk0`, "img"), n, lr, vmFiller(fr, template, n));
      else if (kind === "archive") this.stream(this.unique("archives", `backup-2023-${String(lr.int(1, 12)).padStart(2, "0")}`, "tar.gz"), n, lr, (b) => fr.fill(b));
      else this.stream(this.unique("databases", `${lr.pick(["orders", "crm", "ledger", "inventory"])}`, "db"), n, lr, dbFiller(fr));
      remaining -= n;
      this.stats.large++;
      this.stats.largeBytes += n;
    }

    this.finish();
    return this.stats;
  }

  /** The shared "OS template" that VM disks are cloned from: binaries, text, zeros. */
  template() {
    const r = Rng.from("template", this.seed);
    const t = Buffer.alloc(Math.max(4 * MiB, Math.round(96 * MiB * this.scale)));
    for (let o = 0; o < t.length; ) {
      const e = Math.min(t.length, o + r.int(16, 256) * 4 * KiB);
      const k = r.float();
      if (k < 0.4) r.fill(t, o, e);
      else if (k < 0.65) fillText(r, t, o, e, r.pick(["txt", "xml", "log"]));
      else if (k < 0.85) t.fill(0, o, e);
      else fillSemiRandom(r, t, o, e);
      o = e;
    }
    return t;
  }

  specials(r, officeDirs, codeDirs) {
    const small = (n) => officeText(r, n, "txt");
    // Odd names, side by side in one folder (and a folder with an odd name).
    const odd = "shared/Odd names – ünïcødé ☃";
    const names = [
      "file with  two spaces.txt",
      "Résumé final (v2).txt", // NFC
      "Re\u0301sume\u0301 final (v2).txt", // the same name in NFD: a different file
      "議事録 2023年 第3四半期.txt",
      "تقرير الميزانية.txt",
      "emoji 🚀 launch plan 🎉.md",
      "it's a \"quoted\" name.txt",
      "[draft] *final*? copy.txt",
      "back\\slash.txt",
      "-rf --no-preserve-root.txt",
      " leading space.txt",
      "trailing space .txt",
      "x".repeat(236) + ".txt", // 240 bytes
      "Ελληνικά και Русский.txt",
    ];
    for (const n of names) {
      const rel = path.join(odd, n);
      this.taken.add(rel);
      this.put(rel, small(r.int(200, 6000)), r);
    }
    // A name that is not valid UTF-8 (Latin-1 "été"), only expressible as bytes.
    this.mkdir(odd, r);
    this.put(Buffer.concat([Buffer.from(odd + "/latin1-"), Buffer.from([0xe9, 0x74, 0xe9]), Buffer.from(".txt")]), small(3000), r);
    this.put(Buffer.concat([Buffer.from(odd + "/bad-utf8-"), Buffer.from([0xff, 0xfe, 0xc3, 0x28]), Buffer.from(".bin")]), r.bytes(1500), r);

    // Empty files and folders, hidden files, a deep path.
    for (let i = 0; i < 12; i++) this.put(this.unique(r.pick(codeDirs), r.pick(["__init__", ".keep", "empty", "placeholder", ".gitkeep"]), r.pick(["", "py", "txt"])), Buffer.alloc(0), r);
    for (let i = 0; i < 8; i++) this.mkdir(path.join(r.pick(officeDirs), `empty folder ${i + 1}`), r);
    this.mkdir("shared/empty/a/b/c", r);
    for (const u of USERS.slice(0, 4)) {
      this.put(`home/${u}/.bashrc`, codeText(r, r.int(300, 3000), "sh"), r, 0o644);
      this.put(`home/${u}/.config/app/settings.json`, codeText(r, r.int(300, 3000), "json"), r, 0o600);
      this.mkdir(`home/${u}/.ssh`, r, 0o700);
      this.put(`home/${u}/.ssh/id_ed25519`, Buffer.from(r.bytes(300).toString("base64")), r, 0o600);
    }
    const deep = Array.from({ length: 16 }, (_, i) => `level-${i + 1}`).join("/");
    this.put(`shared/deep/${deep}/bottom.txt`, small(2000), r);

    // Symlinks: relative to a file and to a folder, dangling, absolute, one named with "->".
    const target = [...this.taken].find((x) => x.startsWith("departments/") && x.endsWith(".txt")) ?? `shared/deep/${deep}/bottom.txt`;
    this.symlink("home/alice/Desktop/latest report.txt", path.relative("home/alice/Desktop", target), r);
    this.symlink("home/bob/finance", "../../departments/finance", r);
    this.symlink("home/carol/Desktop/old project", "../../../projects/gone/README.md", r);
    this.symlink("shared/mnt-archive", "/srv/archive/2019", r);
    this.symlink("shared/a -> b", "Odd names – ünïcødé ☃", r);
    this.put("shared/README.txt", Buffer.from(paragraph(r) + "\n"), r);
  }

  /** Modes and mtimes, files first, then folders deepest first (writing into a folder changes its mtime). */
  finish() {
    for (const e of this.entries) {
      const p = abs(this.root, e.rel);
      if (e.kind === "symlink") fs.lutimesSync(p, e.mtime, e.mtime);
      else {
        fs.chmodSync(p, e.mode);
        fs.utimesSync(p, e.mtime, e.mtime);
      }
    }
    const dirs = [...this.dirs.entries()].sort((a, b) => b[0].split("/").length - a[0].split("/").length);
    for (const [rel, d] of dirs) {
      const p = abs(this.root, rel);
      fs.chmodSync(p, d.mode);
      fs.utimesSync(p, d.mtime, d.mtime);
    }
    fs.chmodSync(this.root, 0o755);
    fs.utimesSync(this.root, EPOCH, EPOCH);
  }
}

function codeName(r) {
  const a = ["user", "order", "config", "client", "server", "parser", "index", "utils", "model", "view", "handler", "store", "cache", "queue", "worker", "auth", "router", "schema"];
  return r.pick(a) + (r.chance(0.5) ? "_" + r.pick(a) : "") + (r.chance(0.2) ? `_${r.int(1, 9)}` : "");
}

function officeName(r) {
  const a = ["Report", "Minutes", "Budget", "Proposal", "Invoice", "Contract", "Notes", "Plan", "Summary", "Review", "Forecast", "Policy", "Agenda", "Letter"];
  return `${r.pick(a)} ${r.pick(TOPICS)} ${r.int(2019, 2023)}${r.chance(0.3) ? ` v${r.int(1, 5)}` : ""}${r.chance(0.15) ? " FINAL" : ""}`;
}

/** A VM disk: ~45% cloned from the template (with clustered divergence), then mixed runs. */
function vmFiller(r, template, size) {
  const cloneEnd = Math.min(template.length, Math.floor((size * 0.45) / (4 * KiB)) * 4 * KiB);
  let runKind = 0;
  let runEnd = 0;
  let repeated = r.bytes(4 * KiB);
  let diverge = 0; // extents (1 MiB) left in a divergent cluster
  return (b, off) => {
    for (let o = 0; o < b.length; ) {
      const at = off + o;
      if (at < cloneEnd) {
        const e = Math.min(b.length, o + MiB - (at % MiB), o + (cloneEnd - at));
        template.copy(b, o, at, at + (e - o));
        if (at % MiB === 0 && diverge === 0 && r.chance(0.06)) diverge = r.int(1, 6);
        if (diverge > 0) {
          for (let k = o; k + 4 * KiB <= e; k += 4 * KiB) {
            if (!r.chance(0.4)) continue;
            if (r.chance(0.7)) r.fill(b, k, k + 4 * KiB);
            else fillText(r, b, k, k + 4 * KiB, "log");
          }
          if ((at + (e - o)) % MiB === 0) diverge--;
        }
        o = e;
        continue;
      }
      if (at >= runEnd) {
        runKind = r.float();
        runEnd = at + r.int(1, 8) * MiB;
        if (runKind >= 0.85) repeated = r.bytes(4 * KiB);
      }
      const e = Math.min(b.length, o + (runEnd - at));
      if (runKind < 0.3) b.fill(0, o, e);
      else if (runKind < 0.5) fillText(r, b, o, e, "log");
      else if (runKind < 0.75) r.fill(b, o, e);
      else if (runKind < 0.85) fillSemiRandom(r, b, o, e);
      else for (let k = o; k < e; k += 4 * KiB) repeated.copy(b, k, 0, Math.min(4 * KiB, e - k));
      o = e;
    }
  };
}

/** Writes one 8 KiB database page: a header, rows from the top, zeros after them (10% empty pages). */
function dbPage(r, b, o, pageNo) {
  b.fill(0, o, o + 8 * KiB);
  if (r.chance(0.1)) return;
  b.writeUInt32LE(pageNo, o);
  b.writeUInt32LE(r.u32(), o + 4); // LSN
  b.writeUInt32LE(r.u32(), o + 8);
  b.writeUInt16LE(0x0d, o + 12);
  const fill = Math.floor((0.5 + r.float() * 0.45) * (8 * KiB - 64));
  let p = o + 64;
  let id = pageNo * 50;
  while (p < o + 64 + fill) p += b.write(dbRow(r, id++), p, o + 8 * KiB - p);
  b.writeUInt16LE(p - o, o + 14);
}

function dbFiller(r) {
  return (b, off) => {
    for (let o = 0; o < b.length; o += 8 * KiB) dbPage(r, b, o, (off + o) / (8 * KiB));
  };
}

export function generate(root, { size = GiB, seed = 1 } = {}) {
  if (fs.existsSync(root) && fs.readdirSync(root).length > 0) throw new Error(`${root} is not empty`);
  fs.mkdirSync(root, { recursive: true });
  const started = performance.now();
  const stats = new Generator(root, size, seed).run();
  return { ...stats, seconds: (performance.now() - started) / 1000 };
}

/** Every entry under root, sorted by name bytes: { rel (Buffer), type, size }. */
export function walk(root) {
  const out = [];
  const rootBuf = Buffer.from(root);
  const visit = (relBuf) => {
    const dirAbs = relBuf.length ? Buffer.concat([rootBuf, Buffer.from("/"), relBuf]) : rootBuf;
    const names = fs.readdirSync(dirAbs, { encoding: "buffer" }).sort(Buffer.compare);
    for (const name of names) {
      const rel = relBuf.length ? Buffer.concat([relBuf, Buffer.from("/"), name]) : name;
      const st = fs.lstatSync(Buffer.concat([rootBuf, Buffer.from("/"), rel]));
      const type = st.isDirectory() ? "dir" : st.isSymbolicLink() ? "symlink" : st.isFile() ? "file" : "other";
      out.push({ rel, type, size: st.size, mode: st.mode & 0o7777, mtimeMs: st.mtimeMs });
      if (type === "dir") visit(rel);
    }
  };
  visit(Buffer.alloc(0));
  return out;
}

export function churn(root, { seed = 1, fraction = 0.01 } = {}) {
  const r = Rng.from("churn", seed);
  const rootBuf = Buffer.from(root);
  const A = (rel) => Buffer.concat([rootBuf, Buffer.from("/"), rel]);
  const entries = walk(root);
  const files = entries.filter((e) => e.type === "file");
  const total = files.reduce((s, e) => s + e.size, 0);
  const budget = Math.round(total * fraction);
  const name = (e) => e.rel.toString("utf8");
  const report = { budgetBytes: budget, overwrites: 0, overwrittenBytes: 0, appends: 0, appendedBytes: 0, officeSaves: 0, officeBytes: 0, newFiles: 0, newBytes: 0, deleted: 0, renamed: 0, renamedFolder: "" };
  const changed = new Set();
  const dirty = new Map(); // folders whose entries changed: their mtimes are set to the churn stamp at the end
  const parentOf = (rel) => rel.subarray(0, Math.max(0, rel.lastIndexOf(0x2f)));
  const dirtied = (rel) => dirty.set(rel.toString("latin1"), rel);
  let stamp = EPOCH + 86400;
  const touch = (p) => {
    stamp += 7;
    fs.utimesSync(p, stamp, stamp);
  };

  // 50%: in-place overwrites in VM disks and databases.
  const big = files.filter((e) => /^(vm|databases)\//.test(name(e)) && e.size >= MiB);
  let left = Math.round(budget * 0.5);
  const fds = new Map();
  while (left > 0 && big.length) {
    const e = r.pick(big);
    const isDb = name(e).startsWith("databases/");
    const unit = isDb ? 8 * KiB : 4 * KiB; // databases change whole pages
    const len = Math.min(r.int(1, 256 * KiB / unit) * unit, Math.ceil(left / unit) * unit);
    const off = r.int(0, Math.floor((e.size - len) / unit)) * unit;
    const b = Buffer.allocUnsafe(len);
    if (isDb) for (let o = 0; o < len; o += 8 * KiB) dbPage(r, b, o, (off + o) / (8 * KiB));
    else if (r.chance(0.3)) fillText(r, b, 0, len, "log");
    else r.fill(b);
    if (!fds.has(e)) fds.set(e, fs.openSync(A(e.rel), "r+"));
    fs.writeSync(fds.get(e), b, 0, len, off);
    changed.add(e);
    report.overwrites++;
    report.overwrittenBytes += len;
    left -= len;
  }
  for (const [e, fd] of fds) {
    fs.closeSync(fd);
    touch(A(e.rel));
  }

  // 15%: appends to up to five logs.
  const logs = files.filter((e) => name(e).startsWith("logs/"));
  const chosenLogs = [];
  for (let i = 0; i < Math.min(5, logs.length); i++) chosenLogs.push(logs.splice(r.int(0, logs.length - 1), 1)[0]);
  for (const e of chosenLogs) {
    const n = Math.round((budget * 0.15) / chosenLogs.length);
    fs.appendFileSync(A(e.rel), logText(r, n, (EPOCH + 86400) * 1000));
    touch(A(e.rel));
    changed.add(e);
    report.appends++;
    report.appendedBytes += n;
  }

  // 20%: office saves (read, insert, overwrite, write a temporary file, rename it over the old one).
  const docs = files.filter((e) => new RegExp(`\\.(${DOC_EXT.join("|")})$`).test(name(e)) && e.size >= MiB);
  left = Math.round(budget * 0.2);
  while (left > 0 && docs.length) {
    const e = docs.splice(r.int(0, docs.length - 1), 1)[0];
    const old = fs.readFileSync(A(e.rel));
    const ins = officeText(r, r.int(1, 16) * 4 * KiB, "txt");
    const at = r.int(0, old.length);
    const doc = Buffer.concat([old.subarray(0, at), ins, old.subarray(at)]);
    const ow = Math.min(doc.length, r.int(1, 64) * 4 * KiB);
    const owAt = r.int(0, doc.length - ow);
    r.fill(doc, owAt, owAt + ow);
    const tmp = Buffer.concat([A(e.rel), Buffer.from(".~tmp")]);
    fs.writeFileSync(tmp, doc, { mode: e.mode });
    fs.chmodSync(tmp, e.mode);
    touch(tmp);
    fs.renameSync(tmp, A(e.rel));
    dirtied(parentOf(e.rel));
    changed.add(e);
    report.officeSaves++;
    report.officeBytes += ins.length + ow;
    left -= ins.length + ow;
  }

  // Deletions (0.2%) and renames (0.1%) among the small and medium files not touched yet.
  const plain = files.filter((e) => !changed.has(e) && !/^(vm|databases|logs)\//.test(name(e)) && e.size < 16 * MiB);
  const take = () => plain.splice(r.int(0, plain.length - 1), 1)[0];
  for (let i = Math.max(2, Math.round(files.length * 0.002)); i > 0 && plain.length; i--) {
    const e = take();
    fs.unlinkSync(A(e.rel));
    dirtied(parentOf(e.rel));
    report.deleted++;
  }
  for (let i = Math.max(2, Math.round(files.length * 0.001)); i > 0 && plain.length; i--) {
    const e = take();
    const to = Buffer.concat([e.rel.subarray(0, e.rel.lastIndexOf(0x2f) + 1), Buffer.from(`renamed ${i} - `), e.rel.subarray(e.rel.lastIndexOf(0x2f) + 1)]);
    fs.renameSync(A(e.rel), A(to));
    dirtied(parentOf(e.rel));
    report.renamed++;
  }

  // One leaf folder with 5-60 files renamed.
  const dirs = entries.filter((e) => e.type === "dir" && /^(departments|home|projects)\//.test(name(e)));
  const fileCount = new Map();
  const hasSubdir = new Set();
  for (const e of entries) {
    const parent = e.rel.subarray(0, Math.max(0, e.rel.lastIndexOf(0x2f))).toString("latin1");
    if (e.type === "dir") hasSubdir.add(parent);
    else fileCount.set(parent, (fileCount.get(parent) ?? 0) + 1);
  }
  const leaves = dirs.filter((d) => !hasSubdir.has(d.rel.toString("latin1")) && (fileCount.get(d.rel.toString("latin1")) ?? 0) >= 5 && (fileCount.get(d.rel.toString("latin1")) ?? 0) <= 60);
  if (leaves.length) {
    const d = r.pick(leaves);
    if (fs.existsSync(A(d.rel))) {
      const to = Buffer.concat([d.rel, Buffer.from(" (renamed)")]);
      fs.renameSync(A(d.rel), A(to));
      dirtied(parentOf(d.rel));
      dirtied(to);
      report.renamedFolder = to.toString("utf8");
    }
  }

  // The rest: new small files, in existing folders and one new folder.
  const smallDirs = [...new Set(files.filter((e) => e.size < 64 * KiB).map((e) => e.rel.subarray(0, Math.max(0, e.rel.lastIndexOf(0x2f))).toString("latin1")))].sort();
  const smallCount = files.filter((e) => e.size <= 64 * KiB).length;
  const newDir = "departments/engineering/2023 new initiative";
  fs.mkdirSync(path.join(root, newDir), { recursive: true });
  for (let i = 0; i < Math.max(3, Math.round(smallCount * 0.005)); i++) {
    const n = r.logInt(KiB, 64 * KiB);
    let dir = i % 4 === 0 ? Buffer.from(newDir) : Buffer.from(r.pick(smallDirs), "latin1");
    if (!fs.existsSync(A(dir))) dir = Buffer.from(newDir);
    const ext = r.pick(OFFICE_EXT);
    const p = A(Buffer.concat([dir, Buffer.from(`/${officeName(r)} new ${i + 1}.${ext}`)]));
    fs.writeFileSync(p, officeText(r, n, ext));
    touch(p);
    dirtied(dir);
    report.newFiles++;
    report.newBytes += n;
  }
  dirtied(Buffer.from(path.dirname(newDir)));
  stamp += 7;
  for (const rel of dirty.values()) {
    const p = rel.length ? A(rel) : rootBuf;
    if (fs.existsSync(p)) fs.utimesSync(p, stamp, stamp);
  }
  report.changedBytes = report.overwrittenBytes + report.appendedBytes + report.officeBytes + report.newBytes;
  return report;
}

function main(argv) {
  const [cmd, dir, ...rest] = argv;
  const opt = {};
  for (let i = 0; i < rest.length; i += 2) opt[rest[i].replace(/^--/, "")] = rest[i + 1];
  if (cmd === "generate" && dir) console.log(JSON.stringify(generate(path.resolve(dir), { size: parseSize(opt.size ?? "1G"), seed: Number(opt.seed ?? 1) })));
  else if (cmd === "churn" && dir) console.log(JSON.stringify(churn(path.resolve(dir), { seed: Number(opt.seed ?? 1) })));
  else {
    console.error("usage: dataset.mjs generate DIR [--size 1G] [--seed 1] | churn DIR [--seed 1]");
    process.exitCode = 2;
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main(process.argv.slice(2));
