/**
 * A large, realistic catalog for the catalog benchmark: computers, protection groups with
 * valid short-term policies, data sources, a year of recovery points, a file index with its
 * FTS5 table (filled by the migration's triggers, as production fills it), file versions,
 * jobs and alerts. Deterministic for a given seed.
 *
 * Rows go in through raw better-sqlite3 prepared statements in large transactions: drizzle's
 * query builder costs more per row than SQLite itself, and a million rows through it would
 * measure drizzle, not the catalog.
 */
import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { openCatalog } from "@/db/client";
import { ROLES } from "@/db/schema";
import { createUser } from "@/server/domain/users/manage-users";
import { checkShortTermPolicy, defaultShortTermPolicy, type ShortTermPolicy } from "@/server/domain/protection/short-term-policy";
import { mulberry32 } from "@/server/seeded-random";

const DAY = 86_400_000;
const HOUR = 3_600_000;

export interface SeedSize {
  computers: number;
  groups: number;
  dataSources: number;
  recoveryPoints: number;
  indexedFiles: number;
  jobs: number;
  alerts: number;
}

export const FULL_SIZE: SeedSize = {
  computers: 500,
  groups: 50,
  dataSources: 5_000,
  recoveryPoints: 1_000_000,
  indexedFiles: 1_000_000,
  jobs: 200_000,
  alerts: 20_000,
};

export interface SeedResult {
  /** Rows per part (dataSources, recoveryPoints, indexedFiles, fileVersions, jobs, alerts, ...). */
  counts: Record<string, number>;
  /** Seconds per part, same names. */
  seconds: Record<string, number>;
}

/** mulberry32: fast, seeded, good enough for test data. */
function rng(seed: number) {
  const next = mulberry32(seed);
  return {
    next,
    int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!,
  };
}

const DEPARTMENTS = ["Finance", "Sales", "Marketing", "Engineering", "Legal", "HR", "Operations", "Support", "Research", "Procurement"] as const;
const SITES = ["lon", "par", "ber", "nyc", "sfo", "tok", "syd", "mad", "ams", "sto"] as const;
const ROLES_OF_COMPUTERS = ["fs", "db", "app", "web", "mail"] as const;
const FOLDERS = ["Projects", "Reports", "Contracts", "Invoices", "Presentations", "Archive", "Templates", "Shared", "Scans", "Budgets", "Minutes", "Policies", "Designs", "Exports"] as const;
const SUBFOLDERS = ["2023", "2024", "2025", "2026", "Q1", "Q2", "Q3", "Q4", "Drafts", "Final", "Clients", "Internal", "Old", "Review"] as const;
const STEMS = ["quarterly-report", "annual-report", "budget", "invoice", "contract", "meeting-notes", "presentation", "forecast", "expense-report", "timesheet", "proposal", "roadmap", "status-report", "audit", "customer-list", "price-list", "design-spec", "release-notes", "onboarding", "inventory"] as const;
const EXTENSIONS = [".docx", ".xlsx", ".pptx", ".pdf", ".txt", ".csv", ".png", ".jpg", ".zip", ".md"] as const;
const JOB_TYPES = ["synchronization", "recovery-point", "express-full", "consistency-check"] as const;
const ALERT_TYPES = [
  { type: "recovery-point-failed", severity: "critical", title: "Recovery point creation failed" },
  { type: "replica-inconsistent", severity: "critical", title: "Replica is inconsistent" },
  { type: "sla-missed", severity: "warning", title: "Recovery point SLA missed" },
  { type: "sync-failed", severity: "warning", title: "Synchronization failed" },
  { type: "agent-unreachable", severity: "warning", title: "Protection agent not reachable" },
  { type: "recovery-succeeded", severity: "info", title: "Recovery succeeded" },
] as const;

/** Recovery points a day and the SLA that goes with them, per kind of group. */
const GROUP_PROFILES = [
  { rpTimes: ["20:00"], slaHours: 24 },
  { rpTimes: ["08:00", "20:00"], slaHours: 12 },
  { rpTimes: ["06:00", "14:00", "22:00"], slaHours: 8 },
] as const;
/** Seven groups in ten make one recovery point a day, two make two, one makes three. */
const profileOfGroup = (g: number) => GROUP_PROFILES[[0, 0, 1, 0, 0, 2, 0, 1, 0, 0][g % 10]!]!;

function policyFor(profile: (typeof GROUP_PROFILES)[number], hasDatabases: boolean): ShortTermPolicy {
  const p = defaultShortTermPolicy({ hasDatabases });
  // A year of recovery points is only plausible with a long retention range. Synchronizing
  // just before each recovery point keeps the server's scheduler idle between those times:
  // the benchmark measures reading the catalog, not 5,000 jobs failing on agents that do
  // not exist.
  const policy: ShortTermPolicy = {
    ...p,
    retentionDays: 400,
    synchronization: { justBeforeRecoveryPoint: true },
    recoveryPoints: { ...p.recoveryPoints, times: [...profile.rpTimes] },
    slaHours: profile.slaHours,
  };
  const issues = checkShortTermPolicy(policy, { hasDatabases });
  if (issues.length) throw new Error(`seed policy is not valid: ${issues.map((i) => i.message).join(" ")}`);
  return policy;
}

const minutesOf = (t: string) => Number(t.slice(0, 2)) * 60 + Number(t.slice(3, 5));

/** Seeds `file` (a new catalog, migrated by openCatalog) and closes it. */
export function seedCatalog(file: string, o: { now: Date; seed?: number; size?: SeedSize; log?: (line: string) => void }): SeedResult {
  const size = o.size ?? FULL_SIZE;
  const log = o.log ?? (() => undefined);
  const r = rng(o.seed ?? 42);
  const now = o.now.getTime();
  const today = Math.floor(now / DAY) * DAY;
  const seconds: Record<string, number> = {};
  const counts: Record<string, number> = {};
  const timed = <T>(name: string, f: () => T): T => {
    const t0 = performance.now();
    const out = f();
    seconds[name] = (performance.now() - t0) / 1000;
    log(`  ${name.padEnd(16)} ${seconds[name].toFixed(1).padStart(6)} s`);
    return out;
  };

  const catalog = openCatalog(file);
  const sqlite = catalog.$client;
  // Bulk load: the catalog is thrown away if the process dies, so durability can wait.
  sqlite.pragma("synchronous = OFF");
  sqlite.pragma("cache_size = -262144");

  // Computers, groups, data sources ---------------------------------------------------------
  interface Source {
    id: number;
    groupId: number | null;
    kind: "folder" | "sqlite";
    protectedSince: number | null;
    profile: (typeof GROUP_PROFILES)[number];
    reliability: number;
    baseBytes: number;
    rpIds: number[];
  }
  const sources: Source[] = [];
  const groupProfiles: (typeof GROUP_PROFILES)[number][] = [];
  timed("dataSources", () =>
    sqlite.transaction(() => {
      const insComputer = sqlite.prepare("INSERT INTO protected_computers (name, created_at) VALUES (?, ?)");
      const insGroup = sqlite.prepare("INSERT INTO protection_groups (name, created_at, policy) VALUES (?, ?, ?)");
      const insSource = sqlite.prepare(
        "INSERT INTO data_sources (computer_id, kind, path, name, group_id, created_at, present, replica_state, replica_state_at, last_sync_at, protected_since) VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?)",
      );
      for (let g = 0; g < size.groups; g++) {
        const profile = profileOfGroup(g);
        groupProfiles.push(profile);
        insGroup.run(`${DEPARTMENTS[g % DEPARTMENTS.length]} ${SITES[Math.floor(g / DEPARTMENTS.length) % SITES.length]!.toUpperCase()} ${String(g + 1).padStart(2, "0")}`, now - 400 * DAY, JSON.stringify(policyFor(profile, true)));
      }
      const perComputer = Math.ceil(size.dataSources / size.computers);
      for (let c = 0; c < size.computers; c++) {
        const role = ROLES_OF_COMPUTERS[c % ROLES_OF_COMPUTERS.length]!;
        insComputer.run(`${role}-${SITES[c % SITES.length]}-${String(c + 1).padStart(3, "0")}.corp.example`, now - 420 * DAY);
        // A computer's sources go to one or two groups, as an admin groups them by purpose.
        const groupA = 1 + (c % size.groups);
        const groupB = 1 + ((c * 7 + 3) % size.groups);
        for (let k = 0; k < perComputer && sources.length < size.dataSources; k++) {
          const kind = role === "db" && k % 2 === 0 ? "sqlite" : "folder";
          const path = kind === "sqlite" ? `/var/lib/${r.pick(["crm", "erp", "billing", "wiki", "ledger"])}/db-${k}.sqlite` : `/srv/${DEPARTMENTS[(c + k) % DEPARTMENTS.length]!.toLowerCase()}/share-${k}`;
          // About 5% are discovered but not protected.
          const protectedSource = r.next() >= 0.05;
          const groupId = protectedSource ? (k % 3 === 2 ? groupB : groupA) : null;
          // Protection began during the year (the estate grows), at any hour.
          const since = !protectedSource ? null : now - r.int(1, 330) * DAY - r.int(0, 23) * HOUR;
          const roll = r.next();
          const reliability = roll < 0.8 ? 0.985 : roll < 0.95 ? 0.85 : 0.45;
          // No inconsistent replicas: the server would start a consistency check for each at once,
          // and the benchmark would time those jobs (failing on agents that do not exist) instead of reads.
          const state = protectedSource ? "ok" : "creation-pending";
          const info = insSource.run(c + 1, kind, path, path.split("/").pop()!, groupId, now - 420 * DAY, state, since, since === null ? null : now - r.int(0, 60) * 60_000, since);
          sources.push({
            id: Number(info.lastInsertRowid),
            groupId,
            kind,
            protectedSince: since,
            profile: groupId === null ? GROUP_PROFILES[0] : groupProfiles[groupId - 1]!,
            reliability,
            baseBytes: Math.round(Math.exp(r.next() * 6 + 18)), // ~65 MB .. ~26 GB
            rpIds: [],
          });
        }
      }
    })(),
  );
  counts.computers = size.computers;
  counts.groups = size.groups;
  counts.dataSources = sources.length;

  // Recovery points: on each protected day at the group's times, missed at each source's own
  // rate, scaled so that the total is about the requested number.
  const yearAgo = today - 364 * DAY;
  const slots = sources.reduce((n, s) => {
    if (s.protectedSince === null) return n;
    const from = Math.max(s.protectedSince, yearAgo);
    return n + ((now - from) / DAY) * s.profile.rpTimes.length * s.reliability;
  }, 0);
  const scale = Math.min(1, size.recoveryPoints / slots);
  let rpCount = 0;
  timed("recoveryPoints", () => {
    // Candidates first, then inserted in time order, as a server inserts them (row ids then
    // follow time, which is what range scans over created_at meet in production).
    const candSource: number[] = [];
    const candAt: number[] = [];
    const candLast: boolean[] = [];
    sources.forEach((s, si) => {
      if (s.protectedSince === null) return;
      const from = Math.max(s.protectedSince, yearAgo);
      for (let day = Math.floor(from / DAY) * DAY; day <= today; day += DAY) {
        s.profile.rpTimes.forEach((time, ti) => {
          const at = day + minutesOf(time) * 60_000 + r.int(0, 25) * 60_000;
          if (at < from || at > now || r.next() >= s.reliability * scale) return;
          candSource.push(si);
          candAt.push(at);
          candLast.push(ti === s.profile.rpTimes.length - 1);
        });
      }
    });
    // Exactly the requested number, chosen uniformly (selection sampling) when there are more.
    const order = [...candAt.keys()].sort((a, b) => candAt[a]! - candAt[b]!);
    let need = Math.min(size.recoveryPoints, order.length);
    let left = order.length;
    const ins = sqlite.prepare("INSERT INTO recovery_points (data_source_id, created_at, kind, size_bytes, manifest_id, files, added_bytes) VALUES (?, ?, ?, ?, ?, ?, ?)");
    sqlite.transaction(() => {
      for (const k of order) {
        if (r.next() * left-- >= need) continue;
        need--;
        const s = sources[candSource[k]!]!;
        const at = candAt[k]!;
        const bytes = Math.round(s.baseBytes * (1 - ((today - at) / DAY) * 0.0015));
        const kind = s.kind === "sqlite" && candLast[k] ? "express-full" : "incremental";
        const manifest = createHash("sha256").update(`${s.id}/${at}`).digest("hex");
        const info = ins.run(s.id, at, kind, bytes, manifest, Math.round(bytes / 400_000) + 10, Math.round(bytes * (0.0005 + r.next() * 0.0025)));
        s.rpIds.push(Number(info.lastInsertRowid));
        rpCount++;
      }
    })();
  });
  counts.recoveryPoints = rpCount;

  // File index (FTS5 through the migration's triggers) and file versions ------------------
  const withPoints = sources.filter((s) => s.rpIds.length > 0);
  let fileCount = 0;
  let versionCount = 0;
  const fileSources = new Int32Array(size.indexedFiles);
  const fileIds = new Int32Array(size.indexedFiles);
  timed("indexedFiles", () =>
    sqlite.transaction(() => {
      const insFile = sqlite.prepare("INSERT INTO indexed_files (data_source_id, path) VALUES (?, ?)");
      const perSource = Math.ceil(size.indexedFiles / withPoints.length);
      for (const s of withPoints) {
        const seen = new Set<string>();
        for (let k = 0; k < perSource && fileCount < size.indexedFiles; k++) {
          let path: string;
          do {
            const dept = r.pick(DEPARTMENTS);
            const depth = r.int(1, 3);
            const parts: string[] = [dept, r.pick(FOLDERS)];
            if (depth > 1) parts.push(r.pick(SUBFOLDERS));
            if (depth > 2) parts.push(`${r.pick(STEMS)}s`);
            parts.push(`${r.pick(STEMS)}-${r.int(1, 9999)}${r.pick(EXTENSIONS)}`);
            path = parts.join("/");
          } while (seen.has(path));
          seen.add(path);
          fileIds[fileCount] = Number(insFile.run(s.id, path).lastInsertRowid);
          fileSources[fileCount] = s.id;
          fileCount++;
        }
      }
    })(),
  );
  counts.indexedFiles = fileCount;
  timed("fileVersions", () =>
    sqlite.transaction(() => {
      const insVersion = sqlite.prepare("INSERT INTO file_versions (file_id, first_recovery_point_id, last_recovery_point_id, size, mtime_ms, content_hash) VALUES (?, ?, ?, ?, ?, ?)");
      const byId = new Map(withPoints.map((s) => [s.id, s]));
      for (let k = 0; k < fileCount; k++) {
        const fileId = fileIds[k]!;
        const ids = byId.get(fileSources[k]!)!.rpIds;
        // Half the files changed once: two versions that split the source's recovery points.
        const split = ids.length > 1 && r.next() < 0.5 ? r.int(1, ids.length - 1) : 0;
        const runs = split ? [[0, split - 1], [split, ids.length - 1]] : [[r.int(0, ids.length - 1), ids.length - 1]];
        for (const [a, b] of runs) {
          insVersion.run(fileId, ids[a!]!, ids[b!]!, r.int(200, 5_000_000), now - r.int(1, 400) * DAY, createHash("sha256").update(`${fileId}/${a}`).digest("hex"));
          versionCount++;
        }
      }
    })(),
  );
  counts.fileVersions = versionCount;

  // Jobs and alerts --------------------------------------------------------------------------
  timed("jobs", () =>
    sqlite.transaction(() => {
      const ins = sqlite.prepare(
        "INSERT INTO jobs (type, state, target, created_at, started_at, finished_at, error, data_source_id, group_id, trigger, scheduled_for, bytes_done, files_done) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'schedule', ?, ?, ?)",
      );
      const protectedSources = sources.filter((s) => s.protectedSince !== null);
      const picks = Array.from({ length: size.jobs }, () => {
        const s = r.pick(protectedSources);
        const start = Math.max(s.protectedSince!, now - 365 * DAY);
        return { s, created: start + Math.floor(r.next() * (now - start)) };
      }).sort((a, b) => a.created - b.created);
      for (const { s, created } of picks) {
        const type = r.pick(JOB_TYPES);
        // Only finished jobs: a server started on this catalog would fail and retry running ones.
        const roll = r.next();
        const state = roll < 1 - s.reliability + 0.02 ? "failed" : roll > 0.995 ? "cancelled" : "succeeded";
        const started = created + r.int(0, 120) * 1000;
        const finished = started + r.int(5, 3600) * 1000;
        ins.run(type, state, `data source ${s.id}`, created, started, finished, state === "failed" ? "The protection agent did not answer in time." : null, s.id, s.groupId, created, Math.round(s.baseBytes * 0.01), r.int(0, 5000));
      }
    })(),
  );
  counts.jobs = size.jobs;
  timed("alerts", () =>
    sqlite.transaction(() => {
      const ins = sqlite.prepare(
        "INSERT INTO alerts (severity, active, type, title, target, raised_at, resolved_at, key, detail, data_source_id, group_id, computer_id, resolved_by, last_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?)",
      );
      const activeKeys = new Set<string>();
      const unreliable = sources.filter((s) => s.protectedSince !== null && s.reliability < 0.9);
      const protectedSources = sources.filter((s) => s.protectedSince !== null);
      const rows = Array.from({ length: size.alerts }, () => {
        const a = r.pick(ALERT_TYPES);
        // Active alerts sit on the unreliable sources; history is everywhere.
        const wantActive = a.severity !== "info" && r.next() < 0.03;
        const s = wantActive ? r.pick(unreliable) : r.pick(protectedSources);
        const key = `${a.type}:ds:${s.id}`;
        const active = wantActive && !activeKeys.has(key);
        if (active) activeKeys.add(key);
        const raised = active ? now - r.int(1, 72) * HOUR : now - r.int(1, 365) * DAY - r.int(0, 23) * HOUR;
        return { a, s, key, active, raised };
      }).sort((x, y) => x.raised - y.raised);
      for (const { a, s, key, active, raised } of rows) {
        ins.run(a.severity, active ? 1 : 0, a.type, a.title, `data source ${s.id}`, raised, active ? null : raised + r.int(1, 48) * HOUR, key, "", s.id, s.groupId, active ? null : "system", raised);
      }
      counts.activeAlerts = activeKeys.size;
    })(),
  );
  counts.alerts = size.alerts;

  // No ANALYZE: a production catalog has no statistics either, and the benchmark should see
  // the query plans it gets.
  sqlite.pragma("synchronous = NORMAL");
  sqlite.pragma("wal_checkpoint(TRUNCATE)");
  sqlite.close();
  return { counts, seconds };
}

/**
 * One user per role with a random password, written like demo mode writes them
 * (DIR/initial-passwords.txt, 0600), so the catalog can be served without --demo: demo mode
 * would also start its operator, which presses "synchronize now" on every seeded group.
 */
export async function addBenchUsers(dataDir: string): Promise<{ username: string; role: string; password: string }[]> {
  const catalog = openCatalog(path.join(dataDir, "catalog.db"));
  const clock = { now: () => new Date() };
  const out: { username: string; role: string; password: string }[] = [];
  try {
    for (const role of ROLES) {
      const password = randomBytes(12).toString("base64url");
      await createUser({ db: catalog, clock }, { username: role, role, password });
      out.push({ username: role, role, password });
    }
  } finally {
    catalog.$client.close();
  }
  fs.writeFileSync(path.join(dataDir, "initial-passwords.txt"), ["# Custodian catalog benchmark users", ...out.map((u) => `${u.username}\t${u.role}\t${u.password}`), ""].join("\n"), { mode: 0o600 });
  return out;
}
