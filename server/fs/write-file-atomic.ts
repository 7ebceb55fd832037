import fs from "node:fs";
import path from "node:path";

/**
 * Writes `data` to `file` so that a crash at any moment leaves either the old file or the
 * new one, never a torn one: temp file in the same directory, fsync, rename, fsync the directory.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array, mode = 0o644): void {
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true });
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  const fd = fs.openSync(tmp, "wx", mode);
  try {
    fs.writeFileSync(fd, data);
    fs.fsyncSync(fd);
  } catch (err) {
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  fs.closeSync(fd);
  try {
    fs.chmodSync(tmp, mode); // openSync's mode is filtered by the umask
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true }); // a failed rename must not leave the temp file (maybe a secret) behind
    throw err;
  }
  const dfd = fs.openSync(dir, "r");
  try {
    fs.fsyncSync(dfd);
  } finally {
    fs.closeSync(dfd);
  }
}

/** The same as writeFileAtomic, without blocking the event loop (for large files: packs). */
export async function writeFileAtomicAsync(file: string, data: string | Uint8Array, mode = 0o644): Promise<void> {
  const dir = path.dirname(file);
  await fs.promises.mkdir(dir, { recursive: true });
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Date.now()}.${Math.random().toString(36).slice(2, 8)}.tmp`);
  const fh = await fs.promises.open(tmp, "wx", mode);
  try {
    await fh.writeFile(data);
    await fh.sync();
    await fh.close();
    await fs.promises.chmod(tmp, mode);
    await fs.promises.rename(tmp, file);
  } catch (err) {
    await fh.close().catch(() => undefined); // already closed when the rename failed
    await fs.promises.rm(tmp, { force: true });
    throw err;
  }
  const dh = await fs.promises.open(dir, "r");
  try {
    await dh.sync();
  } finally {
    await dh.close();
  }
}
