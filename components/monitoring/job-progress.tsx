import { formatBytes } from "@/components/ui/format";
import { formatCount, formatEta, formatRate, progressFraction } from "./format";
import { ProgressBar } from "./progress-bar";
import type { JobRow } from "./types";

type Progress = Pick<JobRow, "id" | "state" | "filesDone" | "bytesDone" | "bytesTotal" | "bytesPerSecond" | "etaSeconds">;

/**
 * A running job's progress: a real bar when the total is known (share, done of total, rate,
 * time left), otherwise an indeterminate bar with the files and bytes read so far.
 */
export function JobProgress({ job, wide = false }: { job: Progress; wide?: boolean }) {
  if (job.state === "queued" || job.state === "scheduled") return <span className="text-sm text-slate-500">Waiting to start</span>;
  const fraction = progressFraction(job.bytesDone, job.bytesTotal);
  const parts = [
    fraction !== null
      ? `${formatBytes(job.bytesDone)} of ${formatBytes(job.bytesTotal ?? 0)}`
      : job.filesDone === 0 && job.bytesDone === 0
        ? "working; no file finished yet"
        : `${formatCount(job.filesDone, "file")}, ${formatBytes(job.bytesDone)} so far`,
    job.bytesPerSecond > 0 ? formatRate(job.bytesPerSecond) : null,
    fraction !== null && job.etaSeconds !== null ? formatEta(job.etaSeconds) : null,
  ].filter(Boolean);
  return (
    <div className={wide ? "space-y-2" : "w-56 space-y-1"} data-testid={`progress-${job.id}`}>
      <div className="flex items-center gap-2">
        <ProgressBar fraction={fraction} label={`Progress of job ${job.id}`} />
        {fraction !== null && <span className="w-10 shrink-0 text-right text-xs font-medium tabular-nums text-slate-700">{Math.floor(fraction * 100)}%</span>}
      </div>
      <p className="whitespace-normal text-xs tabular-nums text-slate-600">{parts.join(" · ")}</p>
    </div>
  );
}
