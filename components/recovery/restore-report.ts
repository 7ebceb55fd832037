/**
 * Reading a restore job for the progress bar and the result report: the job row is the one
 * monitoring.job returns (state, bytes, rate, ETA, result, log); these functions only shape it.
 */

export interface RestoreResult {
  target: string;
  counts: Record<string, number>;
  bytes: number;
  problems: number;
  /** Set by a server that says it wrote the audit entry (see auditRecordedByServer). */
  audited?: boolean;
}

export interface LogLine {
  at: Date;
  level: string;
  message: string;
}

/** The engine's outcomes in the order a report lists them; unknown ones follow. */
export const OUTCOME_ORDER = ["restored", "copied", "skipped", "refused", "failed"] as const;

export const ENDED = new Set(["succeeded", "failed", "cancelled"]);

/** The job's result when it is a restore report, else null (a failed job has none). */
export function restoreResultOf(result: unknown): RestoreResult | null {
  if (!result || typeof result !== "object") return null;
  const r = result as Partial<RestoreResult>;
  if (typeof r.target !== "string" || typeof r.bytes !== "number" || !r.counts || typeof r.counts !== "object") return null;
  return { target: r.target, bytes: r.bytes, counts: r.counts, problems: typeof r.problems === "number" ? r.problems : 0, audited: r.audited === true ? true : undefined };
}

export type RestoreOutcome = "running" | "succeeded" | "incomplete" | "failed" | "cancelled";

/**
 * What the user is told happened. A job that succeeded with entries refused or failed did
 * not bring everything back: that is "incomplete", never "succeeded".
 */
export function restoreOutcome(state: string, result: RestoreResult | null): RestoreOutcome {
  if (!ENDED.has(state)) return "running";
  if (state !== "succeeded") return state as "failed" | "cancelled";
  const bad = (result?.counts.failed ?? 0) + (result?.counts.refused ?? 0);
  return bad > 0 ? "incomplete" : "succeeded";
}

/** Outcome counts in report order, zeroes left out except "restored" (a report always says how many came back). */
export function orderedCounts(counts: Record<string, number>): { outcome: string; count: number }[] {
  const known: string[] = [...OUTCOME_ORDER];
  const keys = [...known.filter((k) => k in counts), ...Object.keys(counts).filter((k) => !known.includes(k)).sort()];
  return keys.map((outcome) => ({ outcome, count: counts[outcome] ?? 0 })).filter((c) => c.count > 0 || c.outcome === "restored");
}

/**
 * The log's problem lines: warnings and errors, and the per-item "refused"/"failed" lines the
 * restore logs for each entry it could not write. The job's own error is shown on its own,
 * so its copy in the log is left out.
 */
export function problemLines(log: readonly LogLine[], error?: string | null): LogLine[] {
  return log.filter((l) => (l.level === "warn" || l.level === "error" || /: (refused|failed)( \(|$)/.test(l.message)) && l.message !== error);
}

/** Percent done for the bar, or null while the total is unknown (the bar is then indeterminate). */
export function progressPercent(j: { state: string; bytesDone: number; bytesTotal: number | null }): number | null {
  if (j.state === "succeeded") return 100;
  if (j.bytesTotal === null || j.bytesTotal <= 0) return j.state === "running" ? null : 0;
  return Math.min(100, Math.floor((j.bytesDone / j.bytesTotal) * 100));
}

/** Below this share done, a rate and a time left say more about start-up than about the restore. */
const ESTIMATE_FROM = 0.01;

/**
 * The rate and time left worth showing: the server's figures once enough is done to trust
 * them, or `estimating` before that (progress arrives per finished file, so one large file
 * first would give an absurd estimate).
 */
export function rateAndEta(j: { state: string; bytesDone: number; bytesTotal: number | null; bytesPerSecond: number; etaSeconds: number | null }): { rate: number | null; eta: number | null; estimating: boolean } {
  if (j.state !== "running") return { rate: null, eta: null, estimating: false };
  const share = j.bytesTotal ? j.bytesDone / j.bytesTotal : 0;
  if (share < ESTIMATE_FROM || j.bytesPerSecond <= 0) return { rate: null, eta: null, estimating: true };
  return { rate: j.bytesPerSecond, eta: j.etaSeconds, estimating: false };
}

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, "0")} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")} min`;
}

/** The server says it wrote the restore's audit entry: a flag in the result or a line in the log. */
export function auditRecordedByServer(result: RestoreResult | null, log: readonly LogLine[]): boolean {
  return result?.audited === true || log.some((l) => /recorded in the audit log/i.test(l.message));
}

/** The audit entry the restore job wrote when it ended ("restore.finished", detail "job N: …"). */
export function auditEntryFor<T extends { action: string; detail: string }>(events: readonly T[], jobId: number): T | undefined {
  return events.find((e) => e.action === "restore.finished" && e.detail.startsWith(`job ${jobId}:`));
}
