/**
 * `custodian pool …`: work on a storage pool directly, with no server. Loads only the engine,
 * so it starts fast. Every subcommand has --json for scripts.
 */
import type { Command } from "commander";

type Out = { json?: boolean };

function print(o: Out, human: string, data: unknown) {
  process.stdout.write(o.json ? JSON.stringify(data) + "\n" : human + "\n");
}

const fmtBytes = (n: number) => (n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1024 / 1024).toFixed(1)} MiB`);

export function addPoolCommands(program: Command, setExit: (code: number) => void): void {
  const pool = program.command("pool").description("Work on a storage pool directly (no server needed).");

  pool
    .command("init")
    .description("Create an empty storage pool in DIR.")
    .argument("<dir>", "pool directory")
    .option("--json", "machine-readable output")
    .action(async (dir: string, o: Out) => {
      const { ChunkStore } = await import("../engine/chunk-store");
      const store = ChunkStore.init(dir);
      print(o, `Created pool ${store.config.id} in ${dir}`, { id: store.config.id, dir });
    });

  pool
    .command("backup")
    .description("Back up the folder SOURCE into the pool as a new recovery point.")
    .argument("<dir>", "pool directory")
    .argument("<source>", "folder to back up")
    .option("--json", "machine-readable output")
    .action(async (dir: string, source: string, o: Out) => {
      const { ChunkStore } = await import("../engine/chunk-store");
      const { backupFolder } = await import("../engine/archiver");
      const store = ChunkStore.open(dir);
      const started = Date.now();
      const m = await backupFolder(store, source);
      const seconds = (Date.now() - started) / 1000;
      const s = m.stats;
      print(
        o,
        `Recovery point ${m.id}: ${s.files} files, ${s.dirs} folders, ${s.symlinks} symlinks, ${fmtBytes(s.bytes)}; ${s.newChunks} new chunks (${fmtBytes(s.newStoredBytes)} stored) in ${seconds.toFixed(1)} s`,
        { id: m.id, parent: m.parent, seconds, ...s },
      );
    });

  pool
    .command("restore")
    .description("Restore a recovery point (latest or an ID) into TARGET; the source's contents land directly in TARGET.")
    .argument("<dir>", "pool directory")
    .argument("<id>", "recovery point id, or latest")
    .argument("<target>", "folder to restore into")
    .option("--existing <policy>", "for files already in TARGET: overwrite, skip or copy", "overwrite")
    .option("--json", "machine-readable output")
    .action(async (dir: string, id: string, target: string, o: Out & { existing: string }) => {
      if (!["overwrite", "skip", "copy"].includes(o.existing)) throw new UsageError(`--existing must be overwrite, skip or copy, not ${o.existing}`);
      const { ChunkStore } = await import("../engine/chunk-store");
      const { listManifestIds, readManifest } = await import("../engine/manifest");
      const { restore } = await import("../engine/restorer");
      const store = ChunkStore.open(dir);
      const resolved = id === "latest" ? listManifestIds(dir).at(-1) : id;
      if (!resolved) throw new UsageError("the pool has no recovery point yet");
      const outcomes = await restore(store, readManifest(dir, resolved), target, { existing: o.existing as "overwrite" | "skip" | "copy" });
      const bad = outcomes.filter((x) => x.outcome === "failed" || x.outcome === "refused");
      const counts: Record<string, number> = {};
      for (const x of outcomes) counts[x.outcome] = (counts[x.outcome] ?? 0) + 1;
      const human = [
        `Restored ${resolved} into ${target}: ${Object.entries(counts).map(([k, v]) => `${v} ${k}`).join(", ")}`,
        ...bad.map((x) => `  ${x.outcome}: ${JSON.stringify(x.path.toString("utf8"))}: ${x.detail}`),
      ].join("\n");
      print(o, human, { id: resolved, counts, problems: bad.map((x) => ({ path: x.path.toString("base64"), outcome: x.outcome, detail: x.detail })) });
      if (bad.length) setExit(1);
    });

  pool
    .command("ls")
    .description("List the pool's recovery points.")
    .argument("<dir>", "pool directory")
    .option("--json", "machine-readable output")
    .action(async (dir: string, o: Out) => {
      const { ChunkStore } = await import("../engine/chunk-store");
      const { listManifestIds, readManifest } = await import("../engine/manifest");
      ChunkStore.open(dir); // checks that this is a pool
      const rows = listManifestIds(dir).map((id) => {
        const m = readManifest(dir, id);
        return { id, time: m.time, source: m.source, files: m.stats.files, bytes: m.stats.bytes };
      });
      print(o, rows.length ? rows.map((r) => `${r.id}  ${r.time}  ${r.files} files  ${fmtBytes(r.bytes)}  ${r.source}`).join("\n") : "No recovery points.", rows);
    });

  pool
    .command("stats")
    .description("Show what the pool stores.")
    .argument("<dir>", "pool directory")
    .option("--json", "machine-readable output")
    .action(async (dir: string, o: Out) => {
      const { ChunkStore } = await import("../engine/chunk-store");
      const { listManifestIds } = await import("../engine/manifest");
      const store = ChunkStore.open(dir);
      const s = { ...store.stats(), packs: store.listPacks().length, recoveryPoints: listManifestIds(dir).length };
      print(o, `${s.recoveryPoints} recovery points, ${s.chunks} chunks in ${s.packs} packs, ${fmtBytes(s.storedBytes)} stored for ${fmtBytes(s.rawBytes)} of unique data`, s);
    });
}

/** A mistake in how the command was called: exit code 2. */
export class UsageError extends Error {}
