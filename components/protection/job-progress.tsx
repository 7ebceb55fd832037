import Link from "next/link";
import { Badge } from "@/components/ui/badge";
import { formatBytes } from "@/components/ui/format";
import type { Job } from "./types";

const JOB_LABEL: Record<string, string> = {
  synchronization: "Synchronization",
  "recovery-point": "Recovery point",
  "express-full": "Express full",
  "consistency-check": "Consistency check",
  restore: "Restore",
  verify: "Verify",
  prune: "Prune",
  "catalog-copy": "Catalog copy",
  replication: "Replication",
  "pull-recovery-points": "Pull recovery points back",
};

export function jobLabel(type: string): string {
  return JOB_LABEL[type] ?? type;
}

/** A job's name as the pages show it: the system's own jobs say why they ran. */
export function jobTitle(j: Pick<Job, "type" | "trigger">): string {
  if (j.trigger === "system" && j.type === "recovery-point") return "Initial replica";
  if (j.trigger === "system" && j.type === "consistency-check") return "Consistency check (automatic)";
  return jobLabel(j.type);
}

function eta(seconds: number): string {
  if (seconds < 60) return `about ${seconds} s left`;
  if (seconds < 3600) return `about ${Math.round(seconds / 60)} min left`;
  return `about ${(seconds / 3600).toFixed(1)} h left`;
}

/** One queued or running job: what, on what, and how far it has got. */
export function JobProgress({ job }: { job: Job }) {
  const pct = job.bytesTotal ? Math.min(100, Math.round((job.bytesDone / job.bytesTotal) * 100)) : null;
  const running = job.state === "running";
  const facts = [
    running && job.filesDone > 0 ? `${job.filesDone.toLocaleString()} ${job.filesDone === 1 ? "file" : "files"}` : null,
    running && job.bytesDone > 0 ? (job.bytesTotal ? `${formatBytes(job.bytesDone)} of ${formatBytes(job.bytesTotal)}` : formatBytes(job.bytesDone)) : null,
    running && job.bytesPerSecond > 0 ? `${formatBytes(job.bytesPerSecond)}/s` : null,
    job.etaSeconds !== null ? eta(job.etaSeconds) : null,
  ].filter(Boolean);
  return (
    <li className="py-2.5" aria-label={`Job ${job.id}`}>
      <div className="flex flex-wrap items-center gap-x-3 gap-y-1 text-sm">
        <Link href="/monitoring/jobs" className="font-medium text-slate-900 hover:underline">
          #{job.id} {jobTitle(job)}
        </Link>
        <span className="text-slate-600">{job.computer ? `${job.computer} · ${job.target}` : job.target}</span>
        <Badge tone={running ? "info" : "neutral"}>{job.state}</Badge>
        {facts.length > 0 && <span className="text-xs text-slate-500">{facts.join(" · ")}</span>}
      </div>
      {running && (
        <div
          role="progressbar"
          aria-label={`Progress of job ${job.id}`}
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={pct ?? undefined}
          className="mt-1.5 h-1.5 w-full max-w-md overflow-hidden rounded-full bg-slate-200"
        >
          {pct === null ? <div className="h-full w-1/3 animate-pulse rounded-full bg-brand-500" /> : <div className="h-full rounded-full bg-brand-600 transition-all" style={{ width: `${pct}%` }} />}
        </div>
      )}
    </li>
  );
}

/** The jobs of a group (or a page) that have not ended, with progress bars. */
export function ActiveJobs({ jobs, title = "Running now" }: { jobs: Job[]; title?: string }) {
  if (jobs.length === 0) return null;
  return (
    <section aria-label={title} className="rounded-md border border-brand-100 bg-brand-50/40 px-4 py-2">
      <h3 className="pt-1 text-xs font-semibold uppercase tracking-wide text-slate-500">
        {title} <span className="font-normal normal-case text-slate-500">(<Link href="/monitoring/jobs" className="underline">all jobs</Link>)</span>
      </h3>
      <ul className="divide-y divide-brand-100">
        {jobs.map((j) => (
          <JobProgress key={j.id} job={j} />
        ))}
      </ul>
    </section>
  );
}
