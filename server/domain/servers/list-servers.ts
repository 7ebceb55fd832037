import { asc, desc } from "drizzle-orm";
import type { CatalogDb } from "@/db/client";
import { servers } from "@/db/schema";

export function listServers(db: CatalogDb) {
  return db
    .select({
      id: servers.id,
      name: servers.name,
      isSelf: servers.isSelf,
      url: servers.url,
      createdAt: servers.createdAt,
      lastContactAt: servers.lastContactAt,
    })
    .from(servers)
    .orderBy(desc(servers.isSelf), asc(servers.name))
    .all();
}
