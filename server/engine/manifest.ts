/**
 * Recovery-point manifests: one JSON file per recovery point in DIR/snapshots/, written after
 * every chunk it names is durable (so a manifest on disk is always a complete recovery point).
 * Paths are relative to the source, '/'-separated, and kept as bytes: a name that is valid
 * UTF-8 is stored as text ("p"), any other as base64 ("pb"), so non-UTF-8 names round-trip.
 */
import fs from "node:fs";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { writeFileAtomic } from "@/server/fs/write-file-atomic";
import { PoolFormatError } from "./errors";

export type EntryType = "file" | "dir" | "symlink";

export interface ManifestEntry {
  /** Relative path as bytes. */
  path: Buffer;
  type: EntryType;
  mode: number;
  uid: number;
  gid: number;
  mtimeMs: number;
  size: number;
  /** For change detection against the next backup. */
  ino: number;
  ctimeMs: number;
  /** Symlink target, as bytes. */
  target?: Buffer;
  /** Chunk ids, in order (files). */
  chunks?: string[];
  /** SHA-256 of the whole file (files). */
  hash?: string;
}

export interface Manifest {
  version: 1;
  id: string;
  time: string;
  source: string;
  parent: string | null;
  stats: { files: number; dirs: number; symlinks: number; bytes: number; newChunks: number; newStoredBytes: number };
  entries: ManifestEntry[];
}

const utf8 = new TextDecoder("utf-8", { fatal: true });
function encodeBytes(b: Buffer): { p: string } | { pb: string } {
  try {
    return { p: utf8.decode(b) };
  } catch {
    return { pb: b.toString("base64") };
  }
}
function decodeBytes(o: { p?: unknown; pb?: unknown }, file: string): Buffer {
  if (typeof o.p === "string") return Buffer.from(o.p, "utf8");
  if (typeof o.pb === "string") return Buffer.from(o.pb, "base64");
  throw new PoolFormatError(file, "entry without a path");
}

/** A new recovery point id that sorts by time, to the millisecond: 20261124T120000123Z-1a2b3c4d. */
export function newManifestId(now: Date): string {
  return `${now.toISOString().replace(/[-:.]/g, "")}-${randomBytes(4).toString("hex")}`;
}

const ID_PATTERN = /^\d{8}T\d{9}Z-[0-9a-f]{8}$/;

export function writeManifest(poolDir: string, m: Manifest): void {
  const body = {
    ...m,
    entries: m.entries.map(({ path: p, target, ...rest }) => ({
      ...encodeBytes(p),
      ...rest,
      ...(target ? { target: encodeBytes(target) } : {}),
    })),
  };
  writeFileAtomic(path.join(poolDir, "snapshots", `${m.id}.json`), JSON.stringify(body));
}

export function listManifestIds(poolDir: string): string[] {
  const dir = path.join(poolDir, "snapshots");
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((n) => n.endsWith(".json") && ID_PATTERN.test(n.slice(0, -5)))
    .map((n) => n.slice(0, -5))
    .sort();
}

export function readManifest(poolDir: string, id: string): Manifest {
  if (!ID_PATTERN.test(id)) throw new PoolFormatError(id, "not a recovery point id");
  const file = path.join(poolDir, "snapshots", `${id}.json`);
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (err) {
    throw new PoolFormatError(file, (err as NodeJS.ErrnoException).code === "ENOENT" ? "no such recovery point" : "manifest is not valid JSON");
  }
  if (raw.version !== 1 || !Array.isArray(raw.entries)) throw new PoolFormatError(file, "not a version-1 manifest");
  const entries = (raw.entries as Record<string, unknown>[]).map(({ p, pb, target, ...rest }) => ({
    ...(rest as unknown as Omit<ManifestEntry, "path" | "target">),
    path: decodeBytes({ p, pb }, file),
    ...(target ? { target: decodeBytes(target as { p?: unknown; pb?: unknown }, file) } : {}),
  }));
  return { ...(raw as unknown as Manifest), entries };
}
