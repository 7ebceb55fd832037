/**
 * How the monitoring pages put jobs and alerts into words: pure functions, so that the
 * wording is tested once (format.test.ts) and reads the same on every page.
 */
import { formatBytes } from "@/components/ui/format";

export const JOB_TYPE_LABEL: Record<string, string> = {
  synchronization: "Synchronization",
  "recovery-point": "Recovery point",
  "express-full": "Express full backup",
  "consistency-check": "Consistency check",
  restore: "Recovery",
  verify: "Pool verification",
  prune: "Retention and garbage collection",
  "catalog-copy": "Catalog copy from the primary",
  replication: "Replication from the primary",
  "pull-recovery-points": "Recovery points pulled back",
};
export const JOB_TYPES = Object.keys(JOB_TYPE_LABEL);

export const jobTypeLabel = (t: string) => JOB_TYPE_LABEL[t] ?? humanize(t);

export const TRIGGER_LABEL: Record<string, string> = {
  schedule: "Schedule (the protection group's policy)",
  user: "A user",
  system: "The system (e.g. an initial replica or an automatic check)",
  retry: "Automatic retry",
  demo: "Demo operator (demo mode)",
};

/** The job states the Jobs page filters on; "active" covers what has not ended yet. */
export const JOB_STATE_FILTERS = {
  active: { label: "Running or queued", states: ["running", "queued", "scheduled"] },
  succeeded: { label: "Succeeded", states: ["succeeded"] },
  failed: { label: "Failed", states: ["failed"] },
  cancelled: { label: "Cancelled", states: ["cancelled"] },
} as const;
export type JobStateFilter = keyof typeof JOB_STATE_FILTERS;

export const isJobOpen = (state: string) => state === "running" || state === "queued" || state === "scheduled";

export const ALERT_TYPE_LABEL: Record<string, string> = {
  "sync-failed": "Synchronization failed",
  "recovery-point-missed": "Recovery point missed",
  "replica-inconsistent": "Replica inconsistent",
  "replica-checking": "Consistency check in progress",
  "replica-pending": "Replica creation pending",
  "source-missing": "Data source missing",
  "storage-nearly-full": "Storage nearly full",
  "pool-damaged": "Storage pool damage",
  "restore-failed": "Recovery failed",
  "restore-succeeded": "Recovery succeeded",
  "primary-unreachable": "Primary server unreachable",
  "secondary-quiet": "Secondary server not in contact",
  "link-replication-failed": "Secondary protection failed",
  "agent-ownership-required": "Agent ownership required",
};
export const ALERT_TYPES = Object.keys(ALERT_TYPE_LABEL);

export const SEVERITY_LABEL = { critical: "Critical", warning: "Warning", info: "Information" } as const;

/** "newChunks" → "New chunks". */
export function humanize(key: string): string {
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/[-_]+/g, " ")
    .trim()
    .toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** 42 s, 3 min 5 s, 2 h 10 min, 3 d 4 h: two units at most, never "0 min". */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m} min ${s % 60} s` : `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d} d ${h % 24} h` : `${d} d`;
}

/**
 * "just now", "5 min ago", "in 3 min", "2 h ago", "3 d ago". A time less than a minute ahead
 * is "just now" too: the page's clock ticks coarsely and the server's may run a little ahead.
 */
export function formatRelative(d: Date, now: Date): string {
  const diff = now.getTime() - d.getTime();
  const abs = Math.abs(diff);
  if (diff > -60_000 && diff < 5_000) return "just now";
  let text: string;
  if (abs < 60_000) text = `${Math.round(abs / 1000)} s`;
  else if (abs < 3600_000) text = `${Math.floor(abs / 60_000)} min`;
  else if (abs < 86400_000) text = `${Math.floor(abs / 3600_000)} h`;
  else text = `${Math.floor(abs / 86400_000)} d`;
  return diff >= 0 ? `${text} ago` : `in ${text}`;
}

export const formatRate = (bytesPerSecond: number) => `${formatBytes(bytesPerSecond)}/s`;

export function formatCount(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString("en-US")} ${n === 1 ? one : many}`;
}

/**
 * The share done, 0..1, when the total is known. A total that is only an estimate (the last
 * replica's size) and has been overtaken says nothing any more: the share is unknown then.
 */
export function progressFraction(done: number, total: number | null): number | null {
  if (total === null || total <= 0 || done > total) return null;
  return Math.max(0, done / total);
}

/** "about 3 min left", or "almost done" in the last second. */
export function formatEta(seconds: number): string {
  return seconds <= 1 ? "almost done" : `about ${formatDuration(seconds * 1000)} left`;
}

/** "job 12" and "job #12" in server text become links to that job's page. */
export function splitJobRefs(text: string): ({ text: string } | { jobId: number; text: string })[] {
  const out: ({ text: string } | { jobId: number; text: string })[] = [];
  const re = /\bjob #?(\d+)\b/gi;
  let last = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m.index > last) out.push({ text: text.slice(last, m.index) });
    out.push({ jobId: Number(m[1]), text: m[0] });
    last = m.index + m[0].length;
  }
  if (last < text.length) out.push({ text: text.slice(last) });
  return out;
}

/** One line of a job's parameters or result, formatted by what the field is. */
export interface Fact {
  label: string;
  value: string;
}

const BYTE_KEYS = /bytes/i;
const LABELS: Record<string, string> = {
  initialReplica: "Initial replica",
  recoveryPointId: "Recovery point",
  newChunks: "New chunks",
  newStoredBytes: "New data stored",
  bytes: "Data",
  files: "Files",
  manifest: "Manifest",
  target: "Target",
  existing: "Existing files",
  paths: "Selected paths",
  bytesTotal: "Size to restore",
  samplePercent: "Sample",
  maxHours: "Longest duration",
  packsRead: "Packs read",
  packsTotal: "Packs in the pool",
  chunksRead: "Chunks read",
  bytesRead: "Data read",
  expired: "Recovery points expired",
  orphans: "Unused manifests removed",
  packsDeleted: "Packs deleted",
  packsRewritten: "Packs rewritten",
  chunksFreed: "Chunks freed",
  bytesFreed: "Space freed",
  damagedChunksKept: "Damaged chunks kept",
  tempFilesRemoved: "Temporary files removed",
  problems: "Problems",
};
const EXISTING: Record<string, string> = { overwrite: "overwrite them", skip: "skip them (keep what is there)", copy: "restore beside them as a copy" };

function value(key: string, v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === "boolean") return v ? "yes" : "no";
  if (typeof v === "number") {
    if (BYTE_KEYS.test(key) && !/^(packs|chunks)/.test(key)) return formatBytes(v);
    if (key === "samplePercent") return `${v}% of the packs`;
    if (key === "maxHours") return `${v} h`;
    return v.toLocaleString("en-US");
  }
  if (typeof v === "string") return key === "existing" ? (EXISTING[v] ?? v) : v;
  if (Array.isArray(v)) return v.length ? v.map((x) => (typeof x === "string" ? x : JSON.stringify(x))).join(", ") : null;
  if (typeof v === "object") {
    const parts = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== 0 && x !== null);
    return parts.length ? parts.map(([k, x]) => `${typeof x === "number" ? x.toLocaleString("en-US") : String(x)} ${k}`).join(", ") : "none";
  }
  return String(v);
}

/**
 * A job's parameters or result as labelled lines: known fields by name (bytes as sizes, a
 * restore's counts as "3 restored, 1 skipped"), anything else humanized; empty values left out.
 */
export function factsOf(data: unknown, o: { type?: string; kind: "params" | "result" }): Fact[] {
  if (!data || typeof data !== "object") return [];
  const out: Fact[] = [];
  for (const [k, v] of Object.entries(data as Record<string, unknown>)) {
    if (k === "target" && o.type === "restore") {
      out.push({ label: o.kind === "params" ? "Restore to" : "Restored to", value: typeof v === "string" && v ? v : "the original location" });
      continue;
    }
    if (k === "paths" && v === null && o.type === "restore") {
      out.push({ label: "Selected paths", value: "everything in the recovery point" });
      continue;
    }
    if (k === "recoveryPointId" && v === null) continue;
    const text = value(k, v);
    if (text === null) continue;
    out.push({ label: k === "counts" ? "Files" : (LABELS[k] ?? humanize(k)), value: text });
  }
  return out;
}
