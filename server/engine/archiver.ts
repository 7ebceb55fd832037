/**
 * Backup of a folder into a pool: walks the tree (names as bytes), reuses the parent recovery
 * point's entry for files whose size, mtime, inode and ctime are unchanged (without reading
 * them), chunks and stores the rest, then makes the chunks durable and only then writes the
 * manifest. A crash before the manifest leaves no visible recovery point.
 *
 * Not yet: worker threads for hashing/compression, and a manifest streamed in pieces (the
 * entry list is held in memory, which grows with the number of files).
 */
import fs from "node:fs";
import path from "node:path";
import { createHash } from "node:crypto";
import { Chunker } from "./chunker";
import type { ChunkStore } from "./chunk-store";
import { listManifestIds, newManifestId, readManifest, writeManifest, type Manifest, type ManifestEntry } from "./manifest";

export interface BackupProgress {
  files: number;
  bytes: number;
  reusedFiles: number;
}

export interface BackupOptions {
  now?: Date;
  onProgress?: (p: BackupProgress) => void;
}

const SEP = Buffer.from("/");
const key = (p: Buffer) => p.toString("base64");

export async function backupFolder(store: ChunkStore, source: string, o: BackupOptions = {}): Promise<Manifest> {
  const root = path.resolve(source);
  const st = await fs.promises.stat(root);
  if (!st.isDirectory()) throw new Error(`${root} is not a directory`);

  const parentId = listManifestIds(store.dir).filter((id) => readSource(store.dir, id) === root).at(-1) ?? null;
  const parent = new Map<string, ManifestEntry>();
  if (parentId) for (const e of readManifest(store.dir, parentId).entries) parent.set(key(e.path), e);

  const entries: ManifestEntry[] = [];
  const stats = { files: 0, dirs: 0, symlinks: 0, bytes: 0, newChunks: 0, newStoredBytes: 0 };
  const progress: BackupProgress = { files: 0, bytes: 0, reusedFiles: 0 };
  const rootBuf = Buffer.from(root);

  async function walk(rel: Buffer | null): Promise<void> {
    const abs = rel ? Buffer.concat([rootBuf, SEP, rel]) : rootBuf;
    const names = (await fs.promises.readdir(abs, { encoding: "buffer" })).sort(Buffer.compare);
    for (const name of names) {
      const childRel = rel ? Buffer.concat([rel, SEP, name]) : name;
      const childAbs = Buffer.concat([rootBuf, SEP, childRel]);
      const s = await fs.promises.lstat(childAbs);
      const base = { path: childRel, mode: s.mode & 0o7777, uid: s.uid, gid: s.gid, mtimeMs: s.mtimeMs, ino: s.ino, ctimeMs: s.ctimeMs };
      if (s.isDirectory()) {
        entries.push({ ...base, type: "dir", size: 0 });
        stats.dirs++;
        await walk(childRel);
      } else if (s.isSymbolicLink()) {
        entries.push({ ...base, type: "symlink", size: 0, target: await fs.promises.readlink(childAbs, { encoding: "buffer" }) });
        stats.symlinks++;
      } else if (s.isFile()) {
        const prev = parent.get(key(childRel));
        let chunks: string[];
        let hash: string;
        let size = s.size;
        if (prev?.type === "file" && prev.size === s.size && prev.mtimeMs === s.mtimeMs && prev.ino === s.ino && prev.ctimeMs === s.ctimeMs && prev.chunks && prev.hash) {
          chunks = prev.chunks;
          hash = prev.hash;
          progress.reusedFiles++;
        } else {
          // The size recorded is what was read: a file that grows or shrinks during the backup
          // is stored as read, and the next backup sees it as changed.
          ({ chunks, hash, size } = await storeFile(store, childAbs, s.size, stats, progress));
        }
        entries.push({ ...base, type: "file", size, chunks, hash });
        stats.files++;
        stats.bytes += size;
        progress.files++;
        o.onProgress?.({ ...progress });
      }
      // sockets, FIFOs and devices are not backed up
    }
  }

  await walk(null);
  store.flush();
  const manifest: Manifest = { version: 1, id: newManifestId(o.now ?? new Date()), time: (o.now ?? new Date()).toISOString(), source: root, parent: parentId, stats, entries };
  writeManifest(store.dir, manifest);
  return manifest;
}

const READ_SIZE = 1024 * 1024;

async function storeFile(store: ChunkStore, file: Buffer, sizeHint: number, stats: Manifest["stats"], progress: BackupProgress) {
  const chunker = new Chunker(store.config.chunker);
  const whole = createHash("sha256");
  const chunks: string[] = [];
  let size = 0;
  const put = async (c: Uint8Array) => {
    const r = await store.put(c);
    chunks.push(r.id);
    if (r.added) {
      stats.newChunks++;
      stats.newStoredBytes += r.storedBytes;
    }
  };
  // Read in 1 MiB pieces through one file handle: a stream per file costs more than the
  // reading itself when most files are small.
  const fh = await fs.promises.open(file, "r");
  try {
    for (;;) {
      // Sized to the file when it is small: a 1 MiB buffer per small file keeps the GC busy.
      // (+1 so that a file read whole is known to have ended without another read.)
      const buf = Buffer.allocUnsafe(Math.min(READ_SIZE, Math.max(sizeHint - size + 1, 4096)));
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      const b = buf.subarray(0, bytesRead);
      whole.update(b);
      size += bytesRead;
      progress.bytes += bytesRead;
      for (const c of chunker.push(b)) await put(c);
    }
  } finally {
    await fh.close();
  }
  const last = chunker.finish();
  if (last) await put(last);
  return { chunks, hash: whole.digest("hex"), size };
}

function readSource(poolDir: string, id: string): string | null {
  try {
    return readManifest(poolDir, id).source;
  } catch {
    return null;
  }
}
