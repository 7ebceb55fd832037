#!/usr/bin/env node
// `npm run bench`: Custodian's storage pool against restic and borg on a generated file server.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { churn, generate, parseSize } from "./dataset.mjs";
import { GNU_TIME, du, removeUnder, sync, timed, timedShell, warm } from "./measure.mjs";
import { medians, table } from "./report.mjs";
import { TOOLS } from "./tools.mjs";
import { compareTrees, digestTree } from "./verify.mjs";

const HELP = `npm run bench -- [options]

Generates a seeded "file server" data set, then per run and for each tool in turn (the order
rotates between runs): (1) initial full backup into a fresh repository, (2) backup with nothing
changed, (3) backup after one day of ~1% churn, (4) full restore of the latest backup into an
empty folder, checked against the source. Also times physical baselines on the same data (tar
reading every byte, SHA-256 of every file with coreutils sha256sum and with Node, cp -a). Prints medians and ratios; writes every figure
to bench-results/<time>.json and bench-results/latest.json.

  --size SIZE      data set size, e.g. 256M, 1G, 2G (default 1G)
  --runs N         repetitions, medians reported (default 3)
  --seed N         data set seed (default 1)
  --work DIR       where the data set, repositories and restores go (default: the OS temp
                   folder); needs free space for about 5x the data set
  --only LIST      comma list of custodian,restic,borg (default all three)
  --keep           keep the work folder (data set, repositories) of the last run
  -h, --help       this text

Needs restic, borg (Debian: borgbackup), GNU time and tar; as root with apt-get it installs the
missing ones. Exit code 1 when a tool fails or a restore differs from its source, 2 on bad usage.`;

const ALL = ["custodian", "restic", "borg"];
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const log = (s) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${s}\n`);
const MiB = 1024 * 1024;

function parseArgs(argv) {
  const o = { size: "1G", runs: 3, seed: 1, work: os.tmpdir(), only: ALL, keep: false, help: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [flag, inline] = a.startsWith("--") && a.includes("=") ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)] : [a, undefined];
    const val = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new UsageError(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case "--size": o.size = val(); break;
      case "--runs": o.runs = Number(val()); break;
      case "--seed": o.seed = Number(val()); break;
      case "--work": o.work = path.resolve(val()); break;
      case "--only": o.only = val().split(",").map((s) => s.trim()).filter(Boolean); break;
      case "--keep": o.keep = true; break;
      case "-h": case "--help": o.help = true; break;
      default: throw new UsageError(`unknown option ${a}`);
    }
  }
  if (!Number.isInteger(o.runs) || o.runs < 1) throw new UsageError("--runs must be a whole number >= 1");
  if (!Number.isInteger(o.seed)) throw new UsageError("--seed must be a whole number");
  const bad = o.only.filter((t) => !ALL.includes(t));
  if (bad.length || !o.only.length) throw new UsageError(`--only takes a comma list of ${ALL.join(",")}`);
  o.only = ALL.filter((t) => o.only.includes(t));
  try {
    o.bytes = parseSize(o.size);
  } catch (e) {
    throw new UsageError(e.message);
  }
  if (o.bytes < 16 * MiB) throw new UsageError("--size must be at least 16M");
  return o;
}

class UsageError extends Error {}

const has = (cmd) => spawnSync("sh", ["-c", `command -v ${cmd}`]).status === 0;

/** Installs restic, borg, GNU time and tar with apt-get when missing (as root), or says what to install. */
function ensureCommands(tools) {
  const need = [
    ...(fs.existsSync(GNU_TIME) ? [] : ["time"]),
    ...(has("tar") ? [] : ["tar"]),
    ...tools.filter((t) => TOOLS[t].apt && !has(t)).map((t) => TOOLS[t].apt),
  ];
  if (!need.length) return;
  if (process.getuid?.() === 0 && has("apt-get")) {
    log(`installing ${need.join(" ")} with apt-get`);
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    const install = () => spawnSync("apt-get", ["install", "-y", "--no-install-recommends", ...need], { stdio: ["ignore", 2, 2], env }).status === 0;
    if (!install()) {
      spawnSync("apt-get", ["update"], { stdio: ["ignore", 2, 2], env });
      if (!install()) throw new Error(`apt-get install ${need.join(" ")} failed`);
    }
    return;
  }
  throw new UsageError(`missing: ${need.join(", ")}. Install them (Debian/Ubuntu: sudo apt-get install -y ${need.join(" ")}), or leave tools out with --only.`);
}

async function baselines(src, work) {
  const out = {};
  const env = { ...process.env, SRC: src, DST: path.join(work, "cp-baseline") };
  const run = async (name, script) => {
    sync();
    warm(src);
    const r = await timedShell(script, { env });
    out[name] = { ok: r.ok, wall: r.ok ? r.wall : NaN, user: r.user, sys: r.sys, maxRssKiB: r.maxRssKiB };
    if (!r.ok) log(`baseline ${name} failed: ${r.stderr.slice(-500)}`);
  };
  // GNU tar skips reading file data when it writes to /dev/null itself: pipe it through cat.
  await run("tar", 'tar -cf - -C "$SRC" . | cat >/dev/null');
  await run("sha256", 'cd "$SRC" && find . -type f -print0 | xargs -0 sha256sum >/dev/null');
  await run("sha256node", `"${process.execPath}" "${path.join(root, "scripts/bench/verify.mjs")}" --hash "$SRC" >/dev/null`);
  await run("cp", 'cp -a "$SRC" "$DST"');
  sync();
  removeUnder(work, env.DST);
  return out;
}

async function main() {
  let o;
  try {
    o = parseArgs(process.argv.slice(2));
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`${e.message} (see npm run bench -- --help)`);
      return 2;
    }
    throw e;
  }
  if (o.help) {
    console.log(HELP);
    return 0;
  }
  try {
    ensureCommands(o.only);
  } catch (e) {
    console.error(e.message);
    return 2;
  }

  fs.mkdirSync(o.work, { recursive: true });
  const sf = fs.statfsSync(o.work);
  const free = sf.bavail * sf.bsize;
  if (free < 5 * o.bytes) {
    console.error(`Not enough free space in ${o.work}: ${(free / 1024 ** 3).toFixed(1)} GiB free, the bench needs about 5x the data set (${((5 * o.bytes) / 1024 ** 3).toFixed(1)} GiB). Use --work DIR or a smaller --size.`);
    return 2;
  }
  const work = fs.mkdtempSync(path.join(o.work, "custodian-bench-"));
  let cleaned = false;
  const cleanup = () => {
    if (cleaned || o.keep) return;
    cleaned = true;
    fs.rmSync(work, { recursive: true, force: true });
  };
  process.on("SIGINT", () => {
    log(o.keep ? `interrupted; work folder kept: ${work}` : "interrupted; removing the work folder");
    cleanup();
    process.exit(130);
  });

  const startedAt = new Date();
  const toolNames = o.only;
  const versions = {};
  for (const t of toolNames) versions[t] = { version: TOOLS[t].version(root), settings: TOOLS[t].settings };
  log(`work folder ${work}; ${o.runs} run(s) of ${o.size} (seed ${o.seed}); ${toolNames.map((t) => versions[t].version).join("; ")}`);

  const runs = [];
  const problems = [];
  let dataset = null;
  try {
    for (let i = 0; i < o.runs; i++) {
      const tag = `run ${i + 1}/${o.runs}`;
      const order = toolNames.map((_, k) => toolNames[(k + i) % toolNames.length]);
      const src = path.join(work, "src");
      if (fs.existsSync(src)) removeUnder(work, src);
      const gen = generate(src, { size: o.bytes, seed: o.seed });
      sync();
      log(`${tag}: generated ${gen.files} files, ${gen.dirs} folders, ${(gen.bytes / MiB).toFixed(1)} MiB in ${gen.seconds.toFixed(1)} s; order ${order.join(", ")}`);
      dataset = { files: gen.files, dirs: gen.dirs, symlinks: gen.symlinks, bytes: gen.bytes, small: gen.small, medium: gen.medium, large: gen.large, duplicates: gen.duplicates };
      const run = { run: i + 1, order, generate: gen, baselines: {}, steps: {}, verify: {} };
      runs.push(run);

      run.baselines.pre = await baselines(src, work);
      log(`${tag}: baselines tar ${run.baselines.pre.tar.wall.toFixed(2)} s, sha256sum ${run.baselines.pre.sha256.wall.toFixed(2)} s, node sha256 ${run.baselines.pre.sha256node.wall.toFixed(2)} s, cp ${run.baselines.pre.cp.wall.toFixed(2)} s`);

      const ctx = {};
      for (const t of toolNames) {
        ctx[t] = { root, src, repo: path.join(work, `repo-${t}`), state: path.join(work, `state-${t}`), failed: false };
        fs.mkdirSync(ctx[t].state, { recursive: true });
        run.steps[t] = {};
        try {
          TOOLS[t].init(ctx[t]);
        } catch (e) {
          ctx[t].failed = true;
          problems.push(`${tag}: ${t}: creating the repository failed: ${e.message}`);
          log(`${t}: init failed: ${e.message}`);
        }
      }

      const step = async (t, name) => {
        const c = ctx[t];
        if (c.failed) return;
        const tool = TOOLS[t];
        let dest = null;
        let cmd;
        if (name === "restore") {
          dest = path.join(work, `restore-${t}`);
          fs.mkdirSync(dest);
          cmd = tool.restore(c, dest);
        } else cmd = tool.backup(c, name);
        sync();
        if (name === "restore") warm(c.repo, c.state);
        else warm(c.src, c.repo, c.state);
        const r = await timed(cmd.cmd, cmd.args, { cwd: cmd.cwd, env: cmd.env });
        const rec = { ok: r.ok, code: r.code, wall: r.wall, user: r.user, sys: r.sys, maxRssKiB: r.maxRssKiB, report: tool.parse(r.stdout) };
        if (!r.ok) {
          rec.stderr = r.stderr.slice(-4000);
          rec.stdout = r.stdout.slice(-4000);
          c.failed = name !== "restore";
          problems.push(`${tag}: ${t} ${name} failed (exit ${r.code}): ${(r.stderr || r.stdout).trim().split("\n").slice(-5).join(" | ")}`);
        }
        if (name !== "restore") c.lastArchive = name;
        rec.repo = du(c.repo);
        rec.state = du(c.state);
        if (tool.stats) rec.stats = tool.stats(c);
        run.steps[t][name] = rec;
        log(`${tag}: ${name.padEnd(7)} ${t.padEnd(9)} ${r.ok ? "" : `FAILED (exit ${r.code}) `}${r.wall.toFixed(2)} s, CPU ${(r.user + r.sys).toFixed(1)} s, peak RSS ${(r.maxRssKiB / 1024).toFixed(0)} MiB, repository ${(rec.repo.diskBytes / MiB).toFixed(1)} MiB`);
        if (dest) {
          const { problems: diff, metadata } = compareTrees(run.digest, digestTree(dest));
          run.verify[t] = { ok: r.ok && diff.length === 0, entries: run.digest.size, differences: diff.length, first: diff.slice(0, 20), metadataDifferences: metadata.length, firstMetadata: metadata.slice(0, 10) };
          if (diff.length) {
            problems.push(`${tag}: ${t} restore differs from the source in ${diff.length} entries: ${diff.slice(0, 5).join("; ")}`);
            log(`!!! ${t}: the restore DIFFERS from the source in ${diff.length} entries:\n    ${diff.slice(0, 20).join("\n    ")}`);
          }
          removeUnder(work, dest);
        }
      };

      for (const name of ["full", "noop"]) for (const t of order) await step(t, name);
      run.churn = churn(src, { seed: o.seed });
      sync();
      log(`${tag}: churn changed ${(run.churn.changedBytes / MiB).toFixed(1)} MiB (${run.churn.overwrites} overwrites, ${run.churn.appends} appends, ${run.churn.officeSaves} office saves, ${run.churn.newFiles} new, ${run.churn.deleted} deleted, ${run.churn.renamed} renamed, folder ${JSON.stringify(run.churn.renamedFolder)})`);
      run.baselines.post = await baselines(src, work);
      for (const t of order) await step(t, "incr");
      run.digest = digestTree(src);
      for (const t of order) await step(t, "restore");
      delete run.digest;

      if (!(o.keep && i === o.runs - 1)) for (const t of toolNames) for (const d of [ctx[t].repo, ctx[t].state]) removeUnder(work, d);
    }
  } finally {
    if (!o.keep) cleanup();
  }

  const verify = {};
  for (const t of toolNames) {
    const vs = runs.map((r) => r.verify[t]).filter(Boolean);
    const bad = runs.filter((r) => r.verify[t] && !r.verify[t].ok).map((r) => r.run);
    const meta = vs.find((v) => v.metadataDifferences);
    if (!vs.length) verify[t] = "NOT CHECKED (the restore did not run)";
    else if (bad.length) verify[t] = `MISMATCH in run ${bad.join(", ")}: ${vs.find((v) => !v.ok).differences} differing entries (see PROBLEMS)`;
    else verify[t] = `OK in ${vs.length} run(s): ${vs[0].entries} entries equal (names, types, bytes, symlink targets)${meta ? `; ${meta.metadataDifferences} mode/mtime differences, e.g. ${meta.firstMetadata[0]}` : ""}`;
    if (vs.length < runs.length) problems.push(`${t}: restore checked in ${vs.length} of ${runs.length} runs`);
  }
  const med = medians(runs, toolNames);
  const c = runs[0]?.churn;
  const header = [
    `Custodian bench: ${o.size} data set (seed ${o.seed}), ${runs.length} run(s), medians; ${os.cpus().length} CPUs (${os.cpus()[0]?.model.trim()}), ${(os.totalmem() / 1024 ** 3).toFixed(0)} GiB RAM, Node ${process.version}`,
    `data set: ${dataset.files} files (${dataset.small} small, ${dataset.medium} medium, ${dataset.large} large, ${dataset.duplicates} duplicates), ${dataset.dirs} folders, ${dataset.symlinks} symlinks, ${(dataset.bytes / MiB).toFixed(1)} MiB`,
    c ? `churn: ${(c.changedBytes / MiB).toFixed(1)} MiB changed: ${c.overwrites} in-place overwrites, ${c.appends} log appends, ${c.officeSaves} office saves, ${c.newFiles} new files, ${c.deleted} deleted, ${c.renamed} renamed, 1 folder renamed` : "",
    ...toolNames.map((t) => `${t.padEnd(10)} ${versions[t].version}: ${versions[t].settings}`),
    `Every timed step starts after sync and with its inputs (source, repository, tool state) read once into the page cache.`,
  ].filter(Boolean);
  const lines = table({ med, toolNames, dataset, header, verify });
  if (problems.length) lines.push("", "!!! PROBLEMS:", ...problems.map((p) => `!!! ${p}`));
  console.log(lines.join("\n"));

  const results = {
    bench: "custodian scripts/bench",
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    options: { size: o.size, bytes: o.bytes, runs: o.runs, seed: o.seed, only: toolNames, work: o.keep ? work : o.work },
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memBytes: os.totalmem(), kernel: os.release(), node: process.version },
    tools: versions,
    dataset,
    runs,
    medians: med,
    verify,
    problems,
    ok: problems.length === 0,
    table: lines,
  };
  const outDir = path.join(root, "bench-results");
  fs.mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, `${startedAt.toISOString().replace(/[:.]/g, "-")}.json`);
  fs.writeFileSync(file, JSON.stringify(results, null, 2) + "\n");
  fs.writeFileSync(path.join(outDir, "latest.json"), JSON.stringify(results, null, 2) + "\n");
  log(`results: ${path.relative(process.cwd(), file)}${o.keep ? `; work folder kept: ${work}` : ""}`);
  return problems.length ? 1 : 0;
}

process.exitCode = await main();
