"use client";

import { useMutation, useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/trpc-provider";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Notice } from "@/components/ui/notice";
import { formatBytes } from "@/components/ui/format";
import { messageOf } from "@/components/trpc/errors";
import { ENDED, formatDuration, progressPercent, rateAndEta, restoreOutcome, restoreResultOf } from "./restore-report";
import { RestoreReport } from "./restore-result";
import type { RestoreJob, Role } from "./types";

const POLL_MS = 1000;

/** A restore job while it runs (a progress bar fed by monitoring.job every second), then its report. */
export function RestoreProgress({ jobId, role, onClose }: { jobId: number; role: Role; onClose: () => void }) {
  const trpc = useTRPC();
  const job = useQuery({ ...trpc.monitoring.job.queryOptions({ id: jobId }), refetchInterval: (q) => (q.state.data && ENDED.has(q.state.data.state) ? false : POLL_MS) });
  const cancel = useMutation(trpc.monitoring.cancelJob.mutationOptions({ onSettled: () => void job.refetch() }));

  if (job.isPending) return <p className="text-sm text-slate-500">Starting restore job #{jobId}…</p>;
  if (job.isError) return <Notice tone="error">{messageOf(job.error)}</Notice>;
  const j = job.data;
  const ended = ENDED.has(j.state);

  return (
    <div className="space-y-5">
      <div className="space-y-2">
        <div className="flex items-center justify-between text-sm">
          <span className="font-medium text-slate-800">
            {j.state === "queued" || j.state === "scheduled" ? "Waiting to start…" : j.state === "running" ? "Restoring…" : "Finished"}{" "}
            <span className="font-normal text-slate-500">job #{j.id}</span>
          </span>
          <OutcomeBadge job={j} />
        </div>
        <ProgressBar job={j} />
        <ProgressLine job={j} />
      </div>

      {!ended ? (
        <div className="flex items-center justify-between gap-4 rounded-md bg-slate-50 px-4 py-3 text-sm text-slate-600">
          <span>You can close this window: the restore goes on, and Monitoring › Jobs shows it as job #{j.id}.</span>
          {(role === "admin" || role === "helpdesk") && (
            <Button variant="danger" className="shrink-0 whitespace-nowrap" disabled={cancel.isPending} onClick={() => cancel.mutate({ id: j.id })}>
              Cancel restore
            </Button>
          )}
        </div>
      ) : (
        <RestoreReport job={j} role={role} />
      )}
      {cancel.isError && <Notice tone="error">{messageOf(cancel.error)}</Notice>}
      {ended && (
        <div className="flex justify-end">
          <Button onClick={onClose}>Close</Button>
        </div>
      )}
    </div>
  );
}

/** Bytes and items so far, the rate and the time left; once ended, the report's own figures (the last progress sample may lag). */
function ProgressLine({ job }: { job: RestoreJob }) {
  const result = restoreResultOf(job.result);
  const speed = rateAndEta(job);
  if (result) {
    const items = Object.values(result.counts).reduce((a, b) => a + b, 0);
    return (
      <p className="text-sm tabular-nums text-slate-600">
        {formatBytes(result.bytes)} · {items.toLocaleString()} item{items === 1 ? "" : "s"}
      </p>
    );
  }
  return (
    <p className="text-sm tabular-nums text-slate-600">
      {formatBytes(job.bytesDone)}
      {job.bytesTotal !== null && <> of {formatBytes(job.bytesTotal)}</>} · {job.filesDone.toLocaleString()} item{job.filesDone === 1 ? "" : "s"}
      {speed.rate !== null && <> · {formatBytes(speed.rate)}/s</>}
      {speed.eta !== null && <> · about {formatDuration(speed.eta)} left</>}
      {speed.estimating && <> · estimating the time left…</>}
    </p>
  );
}

const OUTCOME_BADGE = {
  running: { tone: "info", label: "running" },
  succeeded: { tone: "ok", label: "succeeded" },
  incomplete: { tone: "warning", label: "incomplete" },
  failed: { tone: "critical", label: "failed" },
  cancelled: { tone: "warning", label: "cancelled" },
} as const;

function OutcomeBadge({ job }: { job: RestoreJob }) {
  const o = restoreOutcome(job.state, restoreResultOf(job.result));
  const b = o === "running" && job.state !== "running" ? { tone: "neutral" as const, label: job.state } : OUTCOME_BADGE[o];
  return <Badge tone={b.tone}>{b.label}</Badge>;
}

function ProgressBar({ job }: { job: RestoreJob }) {
  const pct = progressPercent(job);
  const outcome = restoreOutcome(job.state, restoreResultOf(job.result));
  // Running with (almost) nothing reported yet: show that work goes on rather than an empty bar.
  const busy = pct === null || (job.state === "running" && pct < 1);
  const colour = outcome === "failed" ? "bg-red-500" : outcome === "cancelled" || outcome === "incomplete" ? "bg-amber-500" : outcome === "succeeded" ? "bg-green-600" : "bg-brand-600";
  return (
    <div
      role="progressbar"
      aria-label="Restore progress"
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={pct ?? undefined}
      aria-valuetext={pct === null ? "working, total unknown" : `${pct}%`}
      className="h-3 overflow-hidden rounded-full bg-slate-200"
    >
      <div className={`h-full rounded-full ${colour} ${busy ? "w-full animate-pulse opacity-40" : ""}`} style={busy ? undefined : { width: `${pct}%` }} />
    </div>
  );
}
