import { describe, expect, it } from "vitest";
import { openCatalog } from "@/db/client";
import { dataSources, protectedComputers, recoveryPoints, servers } from "@/db/schema";
import { listRecoverableSources } from "./list-recoverable-sources";

const T0 = new Date("2026-11-24T12:00:00Z");

describe("listRecoverableSources", () => {
  it("names the primary a copied source comes from, and whether this server serves it after a switch", () => {
    const db = openCatalog(":memory:");
    db.insert(servers).values({ id: "00000000-0000-4000-8000-0000000000aa", name: "dpm-east", createdAt: T0 }).run();
    const computerId = db.insert(protectedComputers).values({ name: "fileserver", createdAt: T0 }).returning().get().id;
    const source = (name: string, o: { originServerId?: string; originSourceId?: number; protectedHere?: boolean } = {}) =>
      db.insert(dataSources).values({ computerId, kind: "folder", path: `/srv/${name}`, name, createdAt: T0, ...o }).returning().get().id;
    const own = source("own");
    const copy = source("copy", { originServerId: "00000000-0000-4000-8000-0000000000aa", originSourceId: 7, protectedHere: false });
    const switched = source("switched", { originServerId: "00000000-0000-4000-8000-0000000000aa", originSourceId: 8, protectedHere: true });
    let n = 0;
    for (const id of [own, copy, switched])
      db.insert(recoveryPoints).values({ dataSourceId: id, createdAt: T0, kind: "incremental", manifestId: `m${++n}`, sizeBytes: 1, files: 1 }).run();

    const rows = listRecoverableSources(db);
    expect(rows.map((r) => [r.name, r.originServer, r.protectedHere])).toEqual([
      ["copy", "dpm-east", false],
      ["own", null, true],
      ["switched", "dpm-east", true],
    ]);
  });
});
