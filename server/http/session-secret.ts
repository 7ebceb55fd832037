import fs from "node:fs";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { writeFileAtomic } from "@/server/fs/write-file-atomic";

/**
 * The key that seals session cookies: 64 random characters made on first start and kept in
 * an owner-only file, so sessions survive a restart and differ between servers.
 */
export function loadSessionSecret(dataDir: string): string {
  const file = path.join(dataDir, "secrets", "session.key");
  try {
    const key = fs.readFileSync(file, "utf8").trim();
    if (key.length >= 32) return key;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const key = randomBytes(48).toString("base64url");
  writeFileAtomic(file, key + "\n", 0o600);
  return key;
}
