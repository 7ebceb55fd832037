// The three tools under test, each as: how to create a repository (untimed), back up, restore,
// and what it says about itself. Every tool gets a fresh repository and its own state folder
// (caches, keys, temporary files) per run, so no run inherits a warm tool cache from another.
import fs from "node:fs";
import path from "node:path";
import { must } from "./measure.mjs";

export const BENCH_PASSWORD = "custodian-bench-password";

/** Parses the last JSON value on stdout (or of the lines that are JSON), or null. */
function lastJson(stdout, pred = () => true) {
  const whole = stdout.trim();
  try {
    const v = JSON.parse(whole);
    if (pred(v)) return v;
  } catch {
    // not one JSON document: try line by line
  }
  for (const line of whole.split("\n").reverse()) {
    try {
      const v = JSON.parse(line);
      if (pred(v)) return v;
    } catch {
      // a progress line or plain text
    }
  }
  return null;
}

export const TOOLS = {
  custodian: {
    apt: null,
    settings: "custodian pool through its CLI (node bin/custodian.js pool …): FastCDC chunks, SHA-256 ids, zstd, no encryption",
    version(root) {
      const head = must("git", ["-C", root, "rev-parse", "--short", "HEAD"]).trim();
      const dirty = must("git", ["-C", root, "status", "--porcelain", "--", "server", "bin"]).trim() ? " + uncommitted changes" : "";
      return `custodian ${JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")).version} (${head}${dirty})`;
    },
    cli(ctx, ...args) {
      return { cmd: process.execPath, args: [path.join(ctx.root, "bin/custodian.js"), "pool", ...args], cwd: ctx.root };
    },
    init(ctx) {
      const c = this.cli(ctx, "init", ctx.repo, "--json");
      must(c.cmd, c.args, { cwd: c.cwd });
    },
    backup(ctx) {
      return this.cli(ctx, "backup", ctx.repo, ctx.src, "--json");
    },
    restore(ctx, dest) {
      return this.cli(ctx, "restore", ctx.repo, "latest", dest, "--json");
    },
    parse(stdout) {
      return lastJson(stdout, (v) => v && typeof v === "object");
    },
    stats(ctx) {
      const c = this.cli(ctx, "stats", ctx.repo, "--json");
      try {
        return lastJson(must(c.cmd, c.args, { cwd: c.cwd }));
      } catch (e) {
        return { error: String(e.message).slice(0, 500) };
      }
    },
  },

  restic: {
    apt: "restic",
    settings: "restic repository v2, default compression (auto = zstd fastest), AES-256 + Poly1305 encryption (always on), RESTIC_PASSWORD set, cache in a fresh per-run folder",
    version() {
      return must("restic", ["version"]).trim().split("\n")[0];
    },
    env(ctx) {
      return { ...process.env, RESTIC_PASSWORD: BENCH_PASSWORD, RESTIC_CACHE_DIR: path.join(ctx.state, "cache"), TMPDIR: path.join(ctx.state, "tmp") };
    },
    init(ctx) {
      fs.mkdirSync(path.join(ctx.state, "tmp"), { recursive: true });
      must("restic", ["-r", ctx.repo, "init", "--repository-version", "2"], { env: this.env(ctx) });
    },
    backup(ctx) {
      // From inside the source with ".", so that the snapshot holds the tree itself and a restore
      // puts it directly into the target, as the other tools do.
      return { cmd: "restic", args: ["-r", ctx.repo, "backup", "--host", "bench", "--json", "."], cwd: ctx.src, env: this.env(ctx) };
    },
    restore(ctx, dest) {
      return { cmd: "restic", args: ["-r", ctx.repo, "restore", "latest", "--target", dest], cwd: ctx.state, env: this.env(ctx) };
    },
    parse(stdout) {
      return lastJson(stdout, (v) => v?.message_type === "summary");
    },
  },

  borg: {
    apt: "borgbackup",
    settings: "borg repository with --encryption none, --compression zstd,3, default chunker; BORG_BASE_DIR (cache, keys) in a fresh per-run folder",
    version() {
      return must("borg", ["--version"]).trim();
    },
    env(ctx) {
      return {
        ...process.env,
        BORG_BASE_DIR: ctx.state,
        BORG_PASSPHRASE: BENCH_PASSWORD,
        BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK: "yes",
        BORG_RELOCATED_REPO_ACCESS_IS_OK: "yes",
        TMPDIR: path.join(ctx.state, "tmp"),
      };
    },
    init(ctx) {
      fs.mkdirSync(path.join(ctx.state, "tmp"), { recursive: true });
      must("borg", ["init", "--encryption", "none", ctx.repo], { env: this.env(ctx) });
    },
    backup(ctx, step) {
      return { cmd: "borg", args: ["create", "--json", "--compression", "zstd,3", `${ctx.repo}::${step}`, "."], cwd: ctx.src, env: this.env(ctx) };
    },
    restore(ctx, dest) {
      return { cmd: "borg", args: ["extract", `${ctx.repo}::${ctx.lastArchive}`], cwd: dest, env: this.env(ctx) };
    },
    parse(stdout) {
      return lastJson(stdout, (v) => v && typeof v === "object" && "archive" in v);
    },
  },
};
