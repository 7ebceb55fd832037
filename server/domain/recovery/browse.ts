/**
 * Browsing a recovery point as a tree, one folder at a time (the UI loads a folder's
 * children when it is opened). The tree is read from the pool, where it is stored sorted,
 * verified chunk by chunk.
 */
import type { Services } from "@/server/services";
import { readEntries, readHeader } from "@/server/engine/manifest";
import { DomainError } from "../errors";
import { getRecoveryPoint } from "./recovery-points";

export interface TreeNode {
  name: string;
  path: string;
  type: "file" | "dir" | "symlink";
  size: number;
  mtimeMs: number;
}

export const MAX_CHILDREN = 5000;

export async function browseRecoveryPoint(services: Services, o: { recoveryPointId: number; dir: string }): Promise<{ dir: string; children: TreeNode[]; truncated: boolean }> {
  const rp = getRecoveryPoint(services.db, o.recoveryPointId);
  const dir = o.dir.replace(/^\/+|\/+$/g, "");
  if (dir.split("/").some((s) => s === ".." || s === ".")) throw new DomainError("INVALID", "a folder inside the recovery point, without . or ..", undefined, { dir: ["not a folder path"] });
  const pool = services.protection.pool();
  const header = readHeader(pool.dir, rp.manifestId);
  const prefix = dir ? `${dir}/` : "";
  const children: TreeNode[] = [];
  let truncated = false;
  let seenDir = dir === "";
  for await (const e of readEntries(pool, header)) {
    const p = e.path.toString("utf8");
    if (p === dir) seenDir = true;
    if (!p.startsWith(prefix) || p === dir) continue;
    const rest = p.slice(prefix.length);
    if (rest.includes("/")) continue;
    if (children.length >= MAX_CHILDREN) {
      truncated = true;
      break;
    }
    children.push({ name: rest, path: p, type: e.type, size: e.size, mtimeMs: e.mtimeMs });
  }
  if (!seenDir && children.length === 0) throw new DomainError("NOT_FOUND", `no folder ${dir} in this recovery point`, dir);
  children.sort((a, b) => (a.type === "dir" ? 0 : 1) - (b.type === "dir" ? 0 : 1) || a.name.localeCompare(b.name));
  return { dir, children, truncated };
}
