#!/usr/bin/env node
// Tree comparison for the benchmark: does a restored tree equal its source?
//
//   node scripts/bench/verify.mjs SOURCE RESTORED       exit 1 and a list of differences if not
//   node scripts/bench/verify.mjs --hash DIR             SHA-256 of every file (a baseline: Node's
//                                                         OpenSSL hashing, one core, as Custodian hashes)
//
// Compared: the set of names (as bytes), each entry's type, every file's bytes (SHA-256) and every
// symlink's target. Modes and mtimes of files and symlinks are compared too but only counted as
// metadata differences (reported, not a failure); folder mtimes are not compared.
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { walk } from "./dataset.mjs";

const buf = Buffer.allocUnsafe(4 * 1024 * 1024);

function hashFile(p) {
  const h = createHash("sha256");
  const fd = fs.openSync(p, "r");
  try {
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      h.update(buf.subarray(0, n));
    }
  } finally {
    fs.closeSync(fd);
  }
  return h.digest("hex");
}

/** name (latin1 string of the bytes) -> { type, size, mode, mtimeMs, sha256 | target } */
export function digestTree(root) {
  const rootBuf = Buffer.from(root);
  const out = new Map();
  for (const e of walk(root)) {
    const p = Buffer.concat([rootBuf, Buffer.from("/"), e.rel]);
    const d = { type: e.type, size: e.size, mode: e.mode, mtimeMs: Math.floor(e.mtimeMs / 1000) * 1000 };
    if (e.type === "file") d.sha256 = hashFile(p);
    else if (e.type === "symlink") d.target = fs.readlinkSync(p, { encoding: "buffer" }).toString("latin1");
    out.set(e.rel.toString("latin1"), d);
  }
  return out;
}

const show = (k) => JSON.stringify(Buffer.from(k, "latin1").toString("utf8"));

/** Differences between two digests: { problems: [..], metadata: [..] } (problems = content). */
export function compareTrees(want, got) {
  const problems = [];
  const metadata = [];
  for (const [k, w] of want) {
    const g = got.get(k);
    if (!g) problems.push(`missing: ${show(k)} (${w.type})`);
    else if (g.type !== w.type) problems.push(`type differs: ${show(k)}: ${w.type} restored as ${g.type}`);
    else if (w.type === "file" && (g.size !== w.size || g.sha256 !== w.sha256)) problems.push(`content differs: ${show(k)} (${w.size} bytes, restored ${g.size})`);
    else if (w.type === "symlink" && g.target !== w.target) problems.push(`symlink target differs: ${show(k)}: ${show(w.target)} restored as ${show(g.target)}`);
    else {
      if (w.type !== "symlink" && g.mode !== w.mode) metadata.push(`mode ${w.mode.toString(8)} restored as ${g.mode.toString(8)}: ${show(k)}`);
      if (w.type !== "dir" && g.mtimeMs !== w.mtimeMs) metadata.push(`mtime differs: ${show(k)}`);
    }
  }
  for (const [k, g] of got) if (!want.has(k)) problems.push(`unexpected: ${show(k)} (${g.type})`);
  return { problems, metadata };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [a, b] = process.argv.slice(2);
  if (a === "--hash" && b) {
    const d = digestTree(path.resolve(b));
    let bytes = 0;
    for (const e of d.values()) if (e.type === "file") bytes += e.size;
    console.log(JSON.stringify({ entries: d.size, bytes }));
  } else if (!a || !b) {
    console.error("usage: verify.mjs SOURCE RESTORED");
    process.exit(2);
  } else {
    const { problems, metadata } = compareTrees(digestTree(path.resolve(a)), digestTree(path.resolve(b)));
    for (const p of problems.slice(0, 50)) console.log(p);
    for (const p of metadata.slice(0, 20)) console.log("(metadata) " + p);
    console.log(`${problems.length} content differences, ${metadata.length} metadata differences`);
    process.exitCode = problems.length ? 1 : 0;
  }
}
