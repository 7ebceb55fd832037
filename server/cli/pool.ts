/**
 * `custodian pool …`: work on a storage pool directly, with no server. Loads only the engine,
 * so it starts fast. Every subcommand has --json for scripts. Exit codes: 0 done, 1 the pool
 * is damaged or an entry failed, 2 a usage mistake, 3 the pool is locked by someone else.
 */
import type { Command } from "commander";

type Out = { json?: boolean };

function print(o: Out, human: string, data: unknown) {
  process.stdout.write(o.json ? JSON.stringify(data) + "\n" : human + "\n");
}

const fmtBytes = (n: number) =>
  n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KiB` : n < 1024 ** 3 ? `${(n / 1024 / 1024).toFixed(1)} MiB` : `${(n / 1024 ** 3).toFixed(2)} GiB`;

/** A path for people (lossy for non-UTF-8 names) and for scripts (exact bytes). */
const showPath = (p: Buffer) => JSON.stringify(p.toString("utf8"));
const jsonPath = (p: Buffer) => ({ path: p.toString("utf8"), pathBase64: p.toString("base64") });

function positiveInt(name: string) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`${name} must be a whole number of at least 1, not ${JSON.stringify(v)}`);
    return n;
  };
}

/** Progress on stderr when it is a terminal (one rewritten line), never in --json output. */
function progressLine(o: Out): ((s: string) => void) & { done(): void } {
  const tty = process.stderr.isTTY && !o.json;
  const f = ((s: string) => {
    if (tty) process.stderr.write(`\r\x1b[K${s}`);
  }) as ((s: string) => void) & { done(): void };
  f.done = () => {
    if (tty) process.stderr.write("\r\x1b[K");
  };
  return f;
}

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
    .description("Back up the folder SOURCE (or, with --sqlite, a SQLite database file) into the pool as a new recovery point.")
    .argument("<dir>", "pool directory")
    .argument("<source>", "folder to back up, or a SQLite database file with --sqlite")
    .option("--sqlite", "SOURCE is a SQLite database: capture it consistently through SQLite's online backup API (writers may keep writing)")
    .option("--threads <n>", "compression worker threads, 0 for none (default: cores - 1, at least 1)", (v: string) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0 || n > 64) throw new UsageError(`--threads must be a whole number from 0 to 64, not ${JSON.stringify(v)}`);
      return n;
    })
    .option("--json", "machine-readable output")
    .action(async (dir: string, source: string, o: Out & { sqlite?: boolean; threads?: number }) => {
      const { ChunkStore } = await import("../engine/chunk-store");
      const { backupFolder } = await import("../engine/archiver");
      const store = ChunkStore.open(dir);
      const started = Date.now();
      const show = progressLine(o);
      const onProgress = (p: { files: number; bytes: number; estimatedBytes: number | null; rate: number }) =>
        show(`${p.files} files, ${fmtBytes(p.bytes)}${p.estimatedBytes ? ` of ~${fmtBytes(p.estimatedBytes)}` : ""} at ${fmtBytes(p.rate)}/s`);
      let m;
      try {
        if (o.sqlite) {
          const { backupSqlite } = await import("../engine/sqlite-source");
          m = await backupSqlite(store, source, { onProgress, threads: o.threads });
        } else {
          m = await backupFolder(store, source, { onProgress, threads: o.threads });
        }
      } finally {
        show.done();
        await store.close();
      }
      const seconds = (Date.now() - started) / 1000;
      const s = m.stats;
      print(
        o,
        `Recovery point ${m.id}: ${s.files} files, ${s.dirs} folders, ${s.symlinks} symlinks, ${fmtBytes(s.bytes)}; ${s.newChunks} new chunks (${fmtBytes(s.newStoredBytes)} stored) in ${seconds.toFixed(1)} s`,
        { id: m.id, parent: m.parent, source: m.source, seconds, ...s },
      );
    });

  pool
    .command("restore")
    .description("Restore a recovery point (latest or an ID) into TARGET; the source's contents land directly in TARGET.")
    .argument("<dir>", "pool directory")
    .argument("<id>", "recovery point id, or latest")
    .argument("<target>", "folder to restore into")
    .option("--existing <policy>", "for files already in TARGET: overwrite, skip or copy", "overwrite")
    .option("--path <relpath...>", "restore only these paths (relative to the source) and what is under them")
    .option("--json", "machine-readable output")
    .action(async (dir: string, id: string, target: string, o: Out & { existing: string; path?: string[] }) => {
      if (!["overwrite", "skip", "copy"].includes(o.existing)) throw new UsageError(`--existing must be overwrite, skip or copy, not ${o.existing}`);
      const { ChunkStore } = await import("../engine/chunk-store");
      const { listManifestIds, readHeader } = await import("../engine/manifest");
      const { restore } = await import("../engine/restorer");
      const store = ChunkStore.open(dir);
      const resolved = id === "latest" ? listManifestIds(dir).at(-1) : id;
      if (!resolved) throw new UsageError("the pool has no recovery point yet");
      const header = readHeader(dir, resolved);
      const show = progressLine(o);
      // Decompressing and verifying large chunks on a worker keeps the second core busy.
      const { Compressor } = await import("../engine/compressor");
      const decoder = new Compressor(store.config.compression.level);
      store.useWorkers(decoder);
      let r;
      try {
        r = await restore(store, header, target, {
          existing: o.existing as "overwrite" | "skip" | "copy",
          paths: o.path?.map((p) => Buffer.from(p.replace(/^\/+|\/+$/g, ""))),
          onProgress: (p) => show(`${p.files} files, ${fmtBytes(p.bytes)} of ${fmtBytes(header.stats.bytes)}`),
        });
      } finally {
        show.done();
        await store.close();
        await decoder.close();
      }
      const counts = Object.entries(r.counts).filter(([, v]) => v > 0);
      const human = [
        `Restored ${resolved} into ${target}: ${counts.map(([k, v]) => `${v} ${k}`).join(", ") || "nothing matched"}`,
        ...r.problems.map((x) => `  ${x.outcome}: ${showPath(x.path)}: ${x.detail}`),
      ].join("\n");
      print(o, human, { id: resolved, counts: r.counts, bytes: r.bytes, problems: r.problems.map((x) => ({ ...jsonPath(x.path), outcome: x.outcome, detail: x.detail })) });
      if (r.counts.failed || r.counts.refused) setExit(1);
    });

  pool
    .command("ls")
    .description("List the pool's recovery points, or with an ID the entries of one.")
    .argument("<dir>", "pool directory")
    .argument("[id]", "recovery point id or latest: list its entries")
    .option("--json", "machine-readable output")
    .action(async (dir: string, id: string | undefined, o: Out) => {
      const { ChunkStore } = await import("../engine/chunk-store");
      const { listManifestIds, readHeader, readEntries } = await import("../engine/manifest");
      const store = ChunkStore.open(dir); // checks that this is a pool
      if (id) {
        const resolved = id === "latest" ? listManifestIds(dir).at(-1) : id;
        if (!resolved) throw new UsageError("the pool has no recovery point yet");
        // Streamed: a tree of a million entries prints without being held in memory.
        for await (const e of readEntries(store, readHeader(dir, resolved))) {
          const line = o.json
            ? JSON.stringify({ ...jsonPath(e.path), type: e.type, mode: e.mode, size: e.size, mtime: new Date(e.mtimeMs).toISOString(), chunks: e.chunks?.length })
            : `${e.type.padEnd(7)} ${e.mode.toString(8).padStart(4, "0")} ${String(e.size).padStart(12)}  ${new Date(e.mtimeMs).toISOString()}  ${e.path.toString("utf8")}${e.target ? ` -> ${e.target.toString("utf8")}` : ""}`;
          process.stdout.write(line + "\n");
        }
        await store.close();
        return;
      }
      const rows = listManifestIds(dir).map((rid) => {
        const m = readHeader(dir, rid);
        return { id: rid, time: m.time, source: m.source, files: m.stats.files, bytes: m.stats.bytes, parent: m.parent };
      });
      print(o, rows.length ? rows.map((r) => `${r.id}  ${r.time}  ${r.files} files  ${fmtBytes(r.bytes)}  ${r.source}`).join("\n") : "No recovery points.", rows);
    });

  pool
    .command("verify")
    .description("Re-read the pool and check every chunk, pack, index and recovery point; exits 1 when it finds damage.")
    .argument("<dir>", "pool directory")
    .option("--sample <percent>", "re-read only this percentage of packs, chosen at random (recovery points are always checked in full)")
    .option("--rebuild-index", "first rebuild the index from the packs themselves (after lost or damaged index files)")
    .option("--json", "machine-readable output")
    .action(async (dir: string, o: Out & { sample?: string; rebuildIndex?: boolean }) => {
      let sample = 1;
      if (o.sample !== undefined) {
        const pct = Number(o.sample.replace(/%$/, ""));
        if (!(pct > 0 && pct <= 100)) throw new UsageError(`--sample must be a percentage in (0, 100], not ${JSON.stringify(o.sample)}`);
        sample = pct / 100;
      }
      const { ChunkStore } = await import("../engine/chunk-store");
      const { verifyPool } = await import("../engine/checker");
      const store = ChunkStore.open(dir);
      let rebuilt: ReturnType<typeof store.rebuildIndex> | null = null;
      if (o.rebuildIndex) {
        const { withLock } = await import("../engine/lock");
        rebuilt = await withLock(dir, "exclusive", "index rebuild", async () => store.rebuildIndex());
      }
      const show = progressLine(o);
      let r;
      try {
        r = await verifyPool(store, { sample, onProgress: (p) => show(`${p.packsRead}/${p.packsToRead} packs, ${fmtBytes(p.bytesRead)}`) });
      } finally {
        show.done();
        await store.close();
      }
      const lines = [
        `${r.ok ? "No damage found" : "DAMAGE FOUND"}: ${r.packsRead} of ${r.packsTotal} packs re-read${r.sampled ? " (sample)" : ""}, ${r.chunksRead} chunks (${fmtBytes(r.bytesRead)}), ${r.recoveryPoints} recovery points checked.`,
        ...(rebuilt ? [`Index rebuilt from ${rebuilt.packs} packs (${rebuilt.chunks} chunks)${rebuilt.unreadable.length ? `; unreadable packs: ${rebuilt.unreadable.join(", ")}` : ""}.`] : []),
        ...r.packProblems.map((p) => `pack ${p.pack}: ${p.detail}`),
        ...r.chunkProblems.flatMap((c) => [
          `chunk ${c.chunk} (${c.kind}${c.pack ? `, pack ${c.pack}` : ""}): ${c.detail}`,
          `  affects ${c.recoveryPoints.length} recovery point(s)${c.inTree ? " (their file lists)" : ""} and ${c.fileCount} file version(s)${c.recoveryPoints.length ? `: ${c.recoveryPoints.join(", ")}` : ""}`,
          ...c.files.slice(0, 20).map((f) => `    ${f.recoveryPoint} ${showPath(f.path)}`),
          ...(c.fileCount > 20 ? [`    … and ${c.fileCount - 20} more`] : []),
        ]),
        ...r.recoveryPointProblems.map((p) => `recovery point ${p.id}: ${p.detail}`),
        ...(r.unindexedPacks.length ? [`${r.unindexedPacks.length} pack(s) no index names (left by an interrupted backup; prune frees them).`] : []),
        ...(r.unreferencedChunks ? [`${r.unreferencedChunks} chunk(s) no recovery point uses (prune frees them).`] : []),
      ];
      print(o, lines.join("\n"), {
        ...r,
        rebuilt,
        chunkProblems: r.chunkProblems.map((c) => ({ ...c, files: c.files.map((f) => ({ recoveryPoint: f.recoveryPoint, ...jsonPath(f.path) })) })),
      });
      if (!r.ok) setExit(1);
    });

  pool
    .command("prune")
    .description("Remove recovery points by a retention policy (per source), then free the space no recovery point uses. The newest recovery point of each source is always kept.")
    .argument("<dir>", "pool directory")
    .option("--keep-last <n>", "keep the newest N recovery points", positiveInt("--keep-last"))
    .option("--keep-hourly <n>", "keep the newest of each of the last N hours", positiveInt("--keep-hourly"))
    .option("--keep-daily <n>", "keep the newest of each of the last N days (UTC)", positiveInt("--keep-daily"))
    .option("--keep-weekly <n>", "keep the newest of each of the last N weeks", positiveInt("--keep-weekly"))
    .option("--keep-monthly <n>", "keep the newest of each of the last N months", positiveInt("--keep-monthly"))
    .option("--keep-yearly <n>", "keep the newest of each of the last N years", positiveInt("--keep-yearly"))
    .option("--keep-within-days <n>", "keep everything from the last N days (DPM's retention range, 1-448)", positiveInt("--keep-within-days"))
    .option("--source <source>", "only the recovery points of this source")
    .option("--dry-run", "say what would be removed, and why, without removing anything")
    .option("--json", "machine-readable output")
    .action(async (dir: string, o: Out & Record<string, unknown>) => {
      const { ChunkStore } = await import("../engine/chunk-store");
      const { prune } = await import("../engine/gc");
      const { validateRetentionPolicy } = await import("../engine/retention");
      const raw = Object.fromEntries(
        ["keepLast", "keepHourly", "keepDaily", "keepWeekly", "keepMonthly", "keepYearly", "keepWithinDays"].filter((k) => o[k] !== undefined).map((k) => [k, o[k]]),
      );
      if (Object.keys(raw).length === 0) throw new UsageError("give at least one --keep-… rule (prune never removes everything: the newest recovery point of each source is always kept)");
      let policy;
      try {
        policy = validateRetentionPolicy(raw);
      } catch (err) {
        throw new UsageError((err as Error).message);
      }
      const store = ChunkStore.open(dir);
      const r = await prune(store, policy, { dryRun: Boolean(o.dryRun), source: o.source as string | undefined });
      await store.close();
      const lines = [
        ...r.sources.flatMap((s) => [
          `${s.source}:`,
          ...s.decisions.map((d) => `  ${d.keep ? "keep  " : "remove"} ${d.id}  ${d.reasons.join("; ")}`),
        ]),
        `${o.dryRun ? "Would remove" : "Removed"} ${r.removed.length} recovery point(s).`,
        ...(r.gc
          ? [`Freed ${fmtBytes(r.gc.bytesFreed)}: ${r.gc.packsDeleted} pack(s) deleted, ${r.gc.packsRewritten} rewritten, ${r.gc.chunksFreed} chunk(s) freed.${r.gc.damagedChunksKept.length ? ` ${r.gc.damagedChunksKept.length} damaged chunk(s) kept in place: run verify.` : ""}`]
          : []),
      ];
      print(o, lines.join("\n"), { ...r, sources: r.sources.map((s) => ({ source: s.source, decisions: s.decisions.map((d) => ({ ...d, time: d.time.toISOString() })) })) });
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
