/**
 * DPM-shell-style listings from a server's catalog (Get-DPMRecoveryPoint, Get-DPMJob,
 * Get-DPMAlert, Get-DPMProtectionGroup):
 *
 *   custodian recovery-points list [--source ID | --computer NAME] [--since ISO] [--limit N]
 *   custodian jobs list [--state S] [--type T] [--limit N]
 *   custodian alerts list [--active | --all] [--severity S] [--limit N]
 *   custodian protection-groups list
 *
 * Each reads DIR/catalog.db read-only (safe beside a running server, see catalog-read.ts)
 * through the domain's own read functions, and prints an aligned table, or with --json one
 * JSON array. Exit codes: 0 listed (an empty list too), 1 the catalog cannot be read, 2 a
 * usage mistake. Only commander is loaded to define them; the catalog, drizzle and the
 * domain load when a command runs, so `--help` stays fast and nothing loads Next.
 */
import { InvalidArgumentError, Option, type Command } from "commander";
import { z } from "zod";
import type { CatalogDb } from "@/db/client";
import type { JobState } from "@/db/schema";
import type { JobType, listJobs } from "@/server/domain/jobs/job-queue";
import type { listAlerts, Severity } from "@/server/domain/monitoring/alerts";
import type { listGroups } from "@/server/domain/protection/groups";
import type { listRecoveryPointsAcross } from "./catalog-read";

// The choices are spelled out here so that defining the commands loads no schema module;
// the types below fail to compile if they ever differ from the catalog's own lists.
const JOB_STATES = ["scheduled", "queued", "running", "succeeded", "failed", "cancelled"] as const;
const JOB_TYPES = ["synchronization", "recovery-point", "express-full", "consistency-check", "restore", "verify", "prune", "catalog-copy", "replication", "pull-recovery-points"] as const;
const SEVERITIES = ["critical", "warning", "info"] as const;
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const _statesMatch: Same<(typeof JOB_STATES)[number], JobState> = true;
const _typesMatch: Same<(typeof JOB_TYPES)[number], JobType> = true;
const _severitiesMatch: Same<(typeof SEVERITIES)[number], Severity> = true;

const MAX_LIMIT = 100_000;

/** A commander argument parser that validates with zod and reports zod's message. */
function parsedBy<T>(schema: z.ZodType<T>) {
  return (value: string): T => {
    const r = schema.safeParse(value);
    if (!r.success) throw new InvalidArgumentError(r.error.issues[0]?.message ?? "invalid value");
    return r.data;
  };
}

const ZLimit = z.coerce
  .number({ error: "must be a whole number" })
  .int("must be a whole number")
  .min(1, "must be at least 1")
  .max(MAX_LIMIT, `must be at most ${MAX_LIMIT}`);
const ZSourceId = z.coerce.number({ error: "must be a data source id (a whole number)" }).int("must be a data source id (a whole number)").positive("must be a data source id (a whole number)");
/** A date (local midnight) or a date and time, with an offset or in local time. */
const ZSince = z
  .union([z.iso.date(), z.iso.datetime({ offset: true, local: true })], { error: "must be an ISO date or date-time, e.g. 2026-05-01 or 2026-05-01T08:00:00Z" })
  .transform((s) => new Date(s.length === 10 ? `${s}T00:00:00` : s));

interface Common {
  data?: string;
  json?: boolean;
}

/** Options every listing has: where the catalog is, and the output format. */
function listing(parent: Command, description: string): Command {
  return parent
    .command("list")
    .description(description)
    .option("--data <dir>", "the server's data directory, as given to custodian serve (env CUSTODIAN_DATA; default ./data)")
    .option("--json", "one JSON array on stdout, for scripts");
}

const limitOption = () => new Option("--limit <n>", `show at most N rows, newest first (1-${MAX_LIMIT})`).argParser(parsedBy(ZLimit)).default(100);

/** Resolves --data as serve does, opens the catalog read-only and prints what `read` returns. */
async function run<T>(o: Common, read: (db: CatalogDb) => T[], table: (rows: T[]) => string, setExit: (code: number) => void): Promise<void> {
  const { resolveServeConfig, SERVE_ENV } = await import("../config");
  // Only the data directory's variable: another serve setting being wrong is no reason to refuse a listing.
  const env: NodeJS.ProcessEnv = { NODE_ENV: process.env.NODE_ENV, [SERVE_ENV.dataDir]: process.env[SERVE_ENV.dataDir] };
  const dataDir = resolveServeConfig({ dataDir: o.data }, env).dataDir;
  const { withCatalog, CatalogUnavailable } = await import("./catalog-read");
  let rows: T[];
  try {
    rows = withCatalog(dataDir, read);
  } catch (err) {
    if (!(err instanceof CatalogUnavailable)) throw err;
    process.stderr.write(`custodian: ${err.message}\n`);
    setExit(1);
    return;
  }
  process.stdout.write((o.json ? JSON.stringify(rows) : table(rows)) + "\n");
}

export function addCatalogCommands(program: Command, setExit: (code: number) => void): void {
  listing(
    program.command("recovery-points").description("Recovery points in the server's catalog (read-only; safe while the server runs)."),
    "List recovery points, newest first: of one data source, one computer, or all.",
  )
    .addOption(new Option("--source <id>", "only this data source (its id: see protection-groups list)").argParser(parsedBy(ZSourceId)).conflicts("computer"))
    .addOption(new Option("--computer <name>", "only the data sources of this protected computer"))
    .addOption(new Option("--since <iso>", "only those made at or after this time (a date is local midnight)").argParser(parsedBy(ZSince)))
    .addOption(limitOption())
    .action(async (o: Common & { source?: number; computer?: string; since?: Date; limit: number }) => {
      const { listRecoveryPointsAcross } = await import("./catalog-read");
      await run(o, (db) => listRecoveryPointsAcross(db, { dataSourceId: o.source, computer: o.computer, since: o.since, limit: o.limit }), recoveryPointTable, setExit);
    });

  listing(program.command("jobs").description("Jobs in the server's catalog (read-only; safe while the server runs)."), "List jobs, newest first, with their progress or how they ended.")
    .addOption(new Option("--state <state>", "only jobs in this state").choices(JOB_STATES))
    .addOption(new Option("--type <type>", "only jobs of this type").choices(JOB_TYPES))
    .addOption(limitOption())
    .action(async (o: Common & { state?: JobState; type?: JobType; limit: number }) => {
      const { listJobs } = await import("@/server/domain/jobs/job-queue");
      await run(o, (db) => listJobs(db, { state: o.state, type: o.type, limit: o.limit }), jobTable, setExit);
    });

  listing(program.command("alerts").description("Alerts in the server's catalog (read-only; safe while the server runs)."), "List alerts, newest first: the active ones unless --all.")
    .addOption(new Option("--active", "only active alerts (the default)").conflicts("all"))
    .addOption(new Option("--all", "active and inactive (resolved) alerts"))
    .addOption(new Option("--severity <severity>", "only alerts of this severity").choices(SEVERITIES))
    .addOption(limitOption())
    .action(async (o: Common & { all?: boolean; severity?: Severity; limit: number }) => {
      const { listAlerts } = await import("@/server/domain/monitoring/alerts");
      await run(o, (db) => listAlerts(db, { active: o.all ? undefined : true, severity: o.severity, limit: o.limit }), (rows) => alertTable(rows, !o.all), setExit);
    });

  listing(
    program.command("protection-groups").description("Protection groups in the server's catalog (read-only; safe while the server runs)."),
    "List protection groups with their members, health and short-term policy.",
  ).action(async (o: Common) => {
    const { listGroups } = await import("@/server/domain/protection/groups");
    await run(o, (db) => listGroups(db), groupTable, setExit);
  });
}

// --- Human output -------------------------------------------------------------------------

type Cell = string | number;

/** An aligned table: numbers right-aligned, text left-aligned, long text cut with an ellipsis. */
function table(headers: string[], rows: Cell[][], maxWidth = 60): string {
  const text = rows.map((r) => r.map((c) => (typeof c === "number" ? String(c) : c.length > maxWidth ? `${c.slice(0, maxWidth - 1)}…` : c)));
  const widths = headers.map((h, i) => Math.max(h.length, ...text.map((r) => r[i]!.length)));
  const numeric = headers.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === "number"));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [line(headers), ...text.map(line)].join("\n");
}

const pad2 = (n: number) => String(n).padStart(2, "0");
/** Local time, as the server's schedules are written. */
function when(d: Date | null): string {
  if (!d) return "-";
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}

function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB", "PiB"];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${pad2(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${pad2(Math.floor((s % 3600) / 60))} min`;
}

type RecoveryPointRow = ReturnType<typeof listRecoveryPointsAcross>[number];

function recoveryPointTable(rows: RecoveryPointRow[]): string {
  if (rows.length === 0) return "No recovery points match. A protection group makes its first one when it is created (protection-groups list shows the groups).";
  return table(
    ["ID", "CREATED", "COMPUTER", "SOURCE", "SOURCE ID", "KIND", "FILES", "SIZE", "ADDED", "GROUP"],
    rows.map((r) => [r.id, when(r.createdAt), r.computer, r.source, r.dataSourceId, r.kind, r.files, bytes(r.sizeBytes), bytes(r.addedBytes), r.group ?? "(unprotected)"]),
  );
}

type JobRow = ReturnType<typeof listJobs>[number];

function jobData(j: JobRow): string {
  if (j.state === "running" && j.bytesTotal) return `${bytes(j.bytesDone)} of ${bytes(j.bytesTotal)} (${Math.min(100, Math.floor((j.bytesDone / j.bytesTotal) * 100))}%)`;
  return j.bytesDone || j.filesDone ? `${bytes(j.bytesDone)}, ${j.filesDone} ${j.filesDone === 1 ? "file" : "files"}` : "-";
}

function jobNote(j: JobRow): string {
  const notes: string[] = [];
  if (j.retryOf !== null) notes.push(`attempt ${j.attempt}, retry of ${j.retryOf}`);
  if (j.state === "running") {
    if (j.bytesPerSecond > 0) notes.push(`${bytes(j.bytesPerSecond)}/s`);
    if (j.etaSeconds !== null) notes.push(`about ${duration(j.etaSeconds)} left`);
  }
  if ((j.state === "failed" || j.state === "cancelled") && j.endedBy) notes.push(`ended by ${j.endedBy === "user" ? (j.requestedBy ?? "a user") : "the system"}${j.canRetry ? ", can be retried" : ""}`);
  if (j.error && j.state !== "succeeded") notes.push(j.error);
  return notes.join("; ") || "";
}

function jobTable(rows: JobRow[]): string {
  if (rows.length === 0) return "No jobs match. Jobs appear when a protection group is created, on its schedule, or when a restore starts.";
  return table(
    ["ID", "TYPE", "STATE", "TARGET", "GROUP", "CREATED", "DURATION", "DATA", "NOTE"],
    rows.map((j) => {
      const end = j.finishedAt ?? (j.state === "running" ? new Date() : null);
      return [
        j.id,
        j.type,
        j.state,
        j.computer ? `${j.computer}: ${j.target}` : j.target || "-",
        j.group ?? "-",
        when(j.createdAt),
        j.startedAt && end ? duration((end.getTime() - j.startedAt.getTime()) / 1000) : "-",
        jobData(j),
        jobNote(j),
      ];
    }),
    100,
  );
}

type AlertRow = ReturnType<typeof listAlerts>[number];

/** What the alert is about; some alert targets name their computer already. */
function alertSubject(a: AlertRow): string {
  const t = a.target || a.group || "";
  if (!a.computer) return t || "-";
  return !t ? a.computer : t.startsWith(`${a.computer}:`) ? t : `${a.computer}: ${t}`;
}

function alertTable(rows: AlertRow[], activeOnly: boolean): string {
  if (rows.length === 0) return activeOnly ? "No active alerts. (--all shows resolved ones too.)" : "No alerts match.";
  return table(
    ["ID", "SEVERITY", "STATUS", "RAISED", "SUBJECT", "ALERT"],
    rows.map((a) => [
      a.id,
      a.severity,
      a.active ? (a.acknowledgedBy ? `active, acknowledged by ${a.acknowledgedBy}` : "active") : `resolved by ${a.resolvedBy ?? "system"} ${when(a.resolvedAt)}`,
      when(a.raisedAt),
      alertSubject(a),
      a.recommendedAction ? `${a.title}. ${a.recommendedAction}` : a.title,
    ]),
    100,
  );
}

type GroupRow = ReturnType<typeof listGroups>[number];
type Policy = GroupRow["policy"];

function schedule(s: { days: string[]; times: string[] }): string {
  if (s.times.length === 0 || s.days.length === 0) return "none";
  return `${s.times.join(", ")} ${s.days.length === 7 ? "daily" : s.days.join(" ")}`;
}

function synchronization(p: Policy): string {
  if ("justBeforeRecoveryPoint" in p.synchronization) return "just before a recovery point";
  const m = p.synchronization.everyMinutes;
  return m < 60 ? `every ${m} min` : `every ${m / 60} h`;
}

function groupTable(rows: GroupRow[]): string {
  if (rows.length === 0) return "No protection groups yet. Create one in the web UI (Protection), or through the API (protection.createGroup).";
  return table(
    ["ID", "NAME", "HEALTH", "RETENTION", "SYNCHRONIZATION", "RECOVERY POINTS", "SLA", "LATEST RECOVERY POINT", "MEMBERS"],
    rows.map((g) => {
      const latest = g.members.map((m) => m.latestRecoveryPointAt).reduce<Date | null>((a, b) => (b && (!a || b > a) ? b : a), null);
      return [
        g.id,
        g.name,
        g.health,
        `${g.policy.retentionDays} days`,
        synchronization(g.policy),
        schedule(g.policy.recoveryPoints),
        `${g.policy.slaHours} h`,
        when(latest),
        g.members.map((m) => `${m.computer}: ${m.name} (id ${m.id}, replica ${m.replicaState})`).join(", ") || "none",
      ];
    }),
    120,
  );
}
