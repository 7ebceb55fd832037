// Text that looks like what a file server holds: source code, office prose, logs, CSV exports,
// database rows. Compressible the way real text is (repeated words, fresh numbers and names),
// never one repeated block, so that neither compression nor deduplication is flattered.
import { Buffer } from "node:buffer";

const WORDS = (
  "the of and to in is that for it as was with be by on not he this are or his from at which but have an they you were " +
  "her she there been one all we their has would when if so no will more can said who them some could him into than " +
  "then its only other new also time these two may first any after most over such our through year people state under " +
  "between report budget quarter revenue customer contract meeting project review draft final approved pending invoice " +
  "account payment schedule delivery supplier policy employee training safety audit compliance forecast estimate target " +
  "growth margin region office team manager director board minutes agenda action item owner deadline status update " +
  "summary proposal analysis result figure table appendix section chapter version change request issue risk mitigation " +
  "plan strategy market product service support release migration server network storage backup restore capacity " +
  "performance incident outage maintenance window upgrade license renewal vendor price discount order shipment warehouse " +
  "inventory stock balance sheet cash flow expense travel reimbursement claim holiday leave benefit salary review"
).split(" ");

const NAMES = "Alice Bob Carol Dave Erin Frank Grace Heidi Ivan Judy Mallory Niaj Olivia Peggy Rupert Sybil Trent Victor Walter Yolanda Zoe".split(" ");
const SURNAMES = "Smith Jones Taylor Brown Williams Wilson Johnson Davies Robinson Wright Thompson Evans Walker White Roberts Green Hall Wood Jackson Clarke".split(" ");
const CITIES = "London Paris Berlin Madrid Rome Vienna Prague Warsaw Dublin Lisbon Oslo Helsinki Tallinn Riga Vilnius Athens".split(" ");
const ID_PARTS = "get set load save user account order item list map config client server request response handle parse build render update delete create find index cache queue worker task job stream buffer chunk file path node tree value key count total size time date error result state event".split(" ");
const LEVELS = ["INFO", "INFO", "INFO", "INFO", "DEBUG", "DEBUG", "WARN", "ERROR"];
const SERVICES = "auth api billing scheduler mailer gateway storage indexer reports sync".split(" ");

const LANG = {
  ts: { fn: (n, a) => `export function ${n}(${a}: string): number {`, end: "}", v: "const", cm: "//", ret: "return" },
  js: { fn: (n, a) => `function ${n}(${a}) {`, end: "}", v: "let", cm: "//", ret: "return" },
  java: { fn: (n, a) => `public int ${n}(String ${a}) {`, end: "}", v: "int", cm: "//", ret: "return" },
  c: { fn: (n, a) => `static int ${n}(const char *${a}) {`, end: "}", v: "int", cm: "//", ret: "return" },
  go: { fn: (n, a) => `func ${n}(${a} string) int {`, end: "}", v: "var", cm: "//", ret: "return" },
  py: { fn: (n, a) => `def ${n}(${a}):`, end: "", v: "", cm: "#", ret: "return" },
  sh: { fn: (n) => `${n}() {`, end: "}", v: "local", cm: "#", ret: "echo" },
};

/** Appends text to a Buffer of a fixed size; stops (truncating the last piece) once it is full. */
class Writer {
  constructor(n) {
    this.buf = Buffer.allocUnsafe(n);
    this.pos = 0;
  }
  get full() {
    return this.pos >= this.buf.length;
  }
  put(s) {
    if (this.pos < this.buf.length) this.pos += this.buf.write(s, this.pos);
    return this;
  }
  done() {
    // buf.write stops before a multi-byte character that does not fit: pad with spaces.
    if (this.pos < this.buf.length) this.buf.fill(0x20, this.pos);
    return this.buf;
  }
}

const word = (r) => WORDS[r.u32() % WORDS.length];
const ident = (r) => {
  const a = ID_PARTS[r.u32() % ID_PARTS.length];
  const b = ID_PARTS[r.u32() % ID_PARTS.length];
  return a + b[0].toUpperCase() + b.slice(1);
};
const person = (r) => `${NAMES[r.u32() % NAMES.length]} ${SURNAMES[r.u32() % SURNAMES.length]}`;
const pad = (n, w) => String(n).padStart(w, "0");
const date = (r) => `20${pad(r.int(18, 23), 2)}-${pad(r.int(1, 12), 2)}-${pad(r.int(1, 28), 2)}`;
const clock = (t) => {
  const d = new Date(t);
  return d.toISOString().replace("T", " ").slice(0, 23);
};

export function sentence(r) {
  const n = r.int(6, 18);
  let s = word(r);
  s = s[0].toUpperCase() + s.slice(1);
  for (let i = 1; i < n; i++) {
    const x = r.u32() % 20;
    s += " " + (x === 0 ? String(r.int(1, 99999)) : x === 1 ? person(r) : x === 2 ? CITIES[r.u32() % CITIES.length] : word(r));
  }
  return s + (r.u32() % 8 === 0 ? "?" : ".");
}

export function paragraph(r) {
  let p = sentence(r);
  for (let i = r.int(2, 7); i > 0; i--) p += " " + sentence(r);
  return p;
}

/** Source-code-like text in one of ts, js, java, c, go, py, sh (md and json have their own). */
export function codeText(r, n, ext) {
  const w = new Writer(n);
  if (ext === "md") return officeText(r, n, "md");
  if (ext === "json") return jsonText(r, n);
  const L = LANG[ext] ?? LANG.ts;
  w.put(`${L.cm} ${ident(r)}: ${sentence(r)}\n${L.cm} Copyright 20${r.int(10, 23)} ${person(r)}. All rights reserved.\n\n`);
  while (!w.full) {
    const fname = ident(r);
    w.put(`${L.cm} ${sentence(r)}\n${L.fn(fname, ident(r))}\n`);
    for (let i = r.int(3, 30); i > 0 && !w.full; i--) {
      const ind = "    ".repeat(r.int(1, 3));
      switch (r.u32() % 6) {
        case 0: w.put(`${ind}${L.cm} ${sentence(r).toLowerCase()}\n`); break;
        case 1: w.put(`${ind}if (${ident(r)} > ${r.int(0, 4096)}) ${L.ret} ${ident(r)}(${ident(r)}, ${r.int(0, 99)})${ext === "py" || ext === "sh" ? "" : ";"}\n`); break;
        case 2: w.put(`${ind}${L.v} ${ident(r)} = ${ident(r)}.${ident(r)}("${word(r)} ${word(r)}")${ext === "py" || ext === "sh" ? "" : ";"}\n`); break;
        case 3: w.put(`${ind}${ident(r)}(${ident(r)}, ${ident(r)})${ext === "py" || ext === "sh" ? "" : ";"}\n`); break;
        case 4: w.put(`${ind}for (${L.v} i = 0; i < ${ident(r)}.length; i++) ${ident(r)}[i] += ${r.int(1, 64)}\n`); break;
        default: w.put("\n");
      }
    }
    w.put(`    ${L.ret} ${ident(r)}\n${L.end}\n\n`);
  }
  return w.done();
}

function jsonText(r, n) {
  const w = new Writer(n);
  w.put("{\n  \"items\": [\n");
  let id = r.int(1, 100000);
  while (!w.full) {
    w.put(`    { "id": ${id++}, "name": "${ident(r)}", "owner": "${person(r)}", "created": "${date(r)}", "size": ${r.int(0, 1e6)}, "tags": ["${word(r)}", "${word(r)}"], "note": "${sentence(r)}" },\n`);
  }
  return w.done();
}

/** Office-like text: kind is one of txt, md, csv, html, xml, log, rtf, eml. */
export function officeText(r, n, kind) {
  if (kind === "csv") return csvText(r, n);
  if (kind === "log") return logText(r, n, Date.UTC(2023, r.int(0, 9), r.int(1, 28)));
  const w = new Writer(n);
  switch (kind) {
    case "html": w.put(`<!DOCTYPE html>\n<html><head><title>${sentence(r)}</title></head>\n<body>\n`); break;
    case "xml": w.put(`<?xml version="1.0" encoding="UTF-8"?>\n<document author="${person(r)}" date="${date(r)}">\n`); break;
    case "rtf": w.put(`{\\rtf1\\ansi\\deff0 {\\fonttbl {\\f0 Calibri;}}\\f0\\fs22\n`); break;
    case "eml": w.put(`From: ${person(r)} <${ident(r).toLowerCase()}@example.com>\nTo: ${person(r)} <${ident(r).toLowerCase()}@example.com>\nDate: ${date(r)}\nSubject: ${sentence(r)}\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n`); break;
    case "md": w.put(`# ${sentence(r)}\n\n`); break;
    default: break;
  }
  while (!w.full) {
    const p = paragraph(r);
    switch (kind) {
      case "html": w.put(r.u32() % 5 === 0 ? `<h2>${sentence(r)}</h2>\n` : `<p>${p}</p>\n`); break;
      case "xml": w.put(`  <para id="${r.int(1, 1e6)}" owner="${person(r)}">${p}</para>\n`); break;
      case "rtf": w.put(`\\pard ${p}\\par\n`); break;
      case "md": w.put(r.u32() % 6 === 0 ? `## ${sentence(r)}\n\n- ${sentence(r)}\n- ${sentence(r)}\n\n` : `${p}\n\n`); break;
      default: w.put(`${p}\n\n`);
    }
  }
  return w.done();
}

export function csvText(r, n) {
  const w = new Writer(n);
  w.put("id,date,customer,city,product,quantity,unit_price,total,status\n");
  let id = r.int(1, 1e6);
  while (!w.full) {
    const q = r.int(1, 500);
    const p = r.int(100, 99999) / 100;
    w.put(`${id++},${date(r)},${person(r)},${CITIES[r.u32() % CITIES.length]},${ident(r)},${q},${p.toFixed(2)},${(q * p).toFixed(2)},${r.pick(["open", "paid", "shipped", "cancelled"])}\n`);
  }
  return w.done();
}

/** Log lines with increasing timestamps from `start` (ms since the epoch). */
export function logText(r, n, start) {
  const w = new Writer(n);
  let t = start;
  while (!w.full) {
    t += r.int(1, 4000);
    const svc = SERVICES[r.u32() % SERVICES.length];
    w.put(`${clock(t)} ${LEVELS[r.u32() % LEVELS.length]} [${svc}-${r.int(1, 8)}] ${ident(r)}: ${sentence(r).toLowerCase()} user=${ident(r).toLowerCase()} ms=${r.int(0, 2500)} id=${r.u32().toString(16)}\n`);
  }
  return w.done();
}

/** One database row as text (for the 8 KiB pages of database-like files). */
export function dbRow(r, id) {
  return `${id}|${person(r)}|${CITIES[r.u32() % CITIES.length]}|${date(r)}|${r.int(0, 1e7)}|${word(r)} ${word(r)} ${word(r)}|${r.u32().toString(16)}\u0000`;
}
