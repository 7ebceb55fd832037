import { randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import type { CatalogDb } from "@/db/client";
import { servers } from "@/db/schema";

/**
 * Registers this server in its own catalog on first start (named `name`) and, with `rename`,
 * keeps its display name in step with --name. The id is generated once and is the identity a
 * rebuild must match.
 */
export function ensureSelfServer(db: CatalogDb, o: { name: string; now: Date; rename?: boolean }) {
  return db.transaction((tx) => {
    const self = tx.select({ id: servers.id, name: servers.name }).from(servers).where(eq(servers.isSelf, true)).get();
    if (!self) {
      const id = randomUUID();
      tx.insert(servers).values({ id, name: o.name, isSelf: true, createdAt: o.now }).run();
      return { id, name: o.name, created: true };
    }
    if (o.rename === false) return { id: self.id, name: self.name, created: false };
    if (self.name !== o.name) {
      // A peer of this server may already carry the name: keep ours rather than fail the start.
      const taken = tx.select({ id: servers.id }).from(servers).where(eq(servers.name, o.name)).get();
      if (taken) return { id: self.id, name: self.name, created: false, renameRefused: `the name ${o.name} belongs to a linked server; this server keeps the name ${self.name}` };
      tx.update(servers).set({ name: o.name }).where(eq(servers.id, self.id)).run();
    }
    return { id: self.id, name: o.name, created: false };
  });
}
