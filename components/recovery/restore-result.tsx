"use client";

import Link from "next/link";
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/trpc-provider";
import { Notice } from "@/components/ui/notice";
import { formatBytes, formatDateTime } from "@/components/ui/format";
import { auditEntryFor, auditRecordedByServer, formatDuration, orderedCounts, problemLines, restoreOutcome, restoreResultOf } from "./restore-report";
import type { RestoreJob, Role } from "./types";

/** "cancelled by hal" → "Cancelled by hal." */
function sentence(s: string | null): string {
  if (!s) return "";
  const t = s.trim();
  return `${t.charAt(0).toUpperCase()}${t.slice(1)}${/[.!?]$/.test(t) ? "" : "."}`;
}

/** The job's error under a "Restore failed" heading, without saying it twice. */
function FailureText({ error }: { error: string | null }) {
  const text = sentence(error);
  const lead = /^restore failed\b/i.exec(text);
  if (lead)
    return (
      <>
        <strong>{text.slice(0, lead[0].length)}</strong>
        {text.slice(lead[0].length)}
      </>
    );
  return (
    <>
      <strong>Restore failed.</strong> {text}
    </>
  );
}

/** The folder the restore was asked to write to (the agent's report names it once it ran). */
function requestedTarget(job: RestoreJob): string {
  return typeof job.params.target === "string" ? job.params.target : "the original location";
}

/** What the restore did: outcome, counts per outcome, target, bytes, the log's problem lines. */
export function RestoreReport({ job, role }: { job: RestoreJob; role: Role }) {
  const result = restoreResultOf(job.result);
  const problems = problemLines(job.log, job.error);
  const took = job.startedAt && job.finishedAt ? (job.finishedAt.getTime() - job.startedAt.getTime()) / 1000 : null;
  const counts = result ? orderedCounts(result.counts) : [];
  const outcome = restoreOutcome(job.state, result);
  const total = result ? Object.values(result.counts).reduce((a, b) => a + b, 0) : 0;
  const bad = (result?.counts.failed ?? 0) + (result?.counts.refused ?? 0);
  return (
    <section aria-label="Result" className="space-y-4">
      {outcome === "succeeded" ? (
        <Notice tone="success">
          <strong>Restore succeeded.</strong> Every item was written and verified against its hash{result ? <> in {result.target}</> : null}.
        </Notice>
      ) : outcome === "incomplete" ? (
        <Notice tone="warning">
          <strong>Restore incomplete.</strong> {bad.toLocaleString()} of {total.toLocaleString()} item{total === 1 ? "" : "s"} could not be restored; the problems are listed below.
        </Notice>
      ) : outcome === "failed" ? (
        <Notice tone="error">
          <FailureText error={job.error} />
        </Notice>
      ) : (
        <Notice tone="warning">
          <strong>Restore cancelled.</strong> {sentence(job.error)} Items already written stay in the target folder.
        </Notice>
      )}
      {counts.length > 0 && (
        <ul aria-label="Items by outcome" className="grid grid-cols-2 gap-3 sm:grid-cols-5">
          {counts.map((c) => (
            <li key={c.outcome} className={`rounded-md border px-3 py-2 ${c.outcome === "failed" || c.outcome === "refused" ? "border-red-200 bg-red-50 text-red-800" : "border-slate-200 bg-white text-slate-800"}`}>
              <span className="block text-xl font-semibold tabular-nums">{c.count.toLocaleString()}</span>
              <span className="text-xs capitalize">{c.outcome}</span>
            </li>
          ))}
        </ul>
      )}
      <dl className="grid grid-cols-[8rem_minmax(0,1fr)] gap-x-4 gap-y-1.5 text-sm">
        <dt className="font-medium text-slate-500">Target</dt>
        <dd className="break-all text-slate-900">{result?.target ?? requestedTarget(job)}</dd>
        <dt className="font-medium text-slate-500">Data restored</dt>
        <dd className="text-slate-900">{formatBytes(result?.bytes ?? job.bytesDone)}</dd>
        <dt className="font-medium text-slate-500">Finished</dt>
        <dd className="text-slate-900">
          {formatDateTime(job.finishedAt)}
          {took !== null && <span className="text-slate-500"> (took {formatDuration(took)})</span>}
        </dd>
        <dt className="font-medium text-slate-500">Requested by</dt>
        <dd className="text-slate-900">{job.requestedBy ?? "—"}</dd>
      </dl>
      {problems.length > 0 && (
        <div>
          <h3 className="mb-1 text-sm font-semibold text-red-800">Problems ({problems.length})</h3>
          <ul aria-label="Problems" className="max-h-48 space-y-0.5 overflow-y-auto rounded-md border border-red-200 bg-red-50 px-3 py-2 font-mono text-xs text-red-900">
            {problems.map((l, i) => (
              <li key={i} className="break-all">
                {l.message}
              </li>
            ))}
          </ul>
        </div>
      )}
      <div className="flex flex-wrap items-center justify-between gap-3 text-sm">
        <AuditLine job={job} role={role} />
        <Link href="/monitoring/jobs" className="font-medium text-brand-700 hover:underline">
          See it in Monitoring › Jobs
        </Link>
      </div>
    </section>
  );
}

/**
 * "Recorded in the audit log" only when it is known to be true: administrators and managers
 * can read the audit log and see the job's entry; for help desk, only when the server says so
 * in the job itself (help desk may not read the audit log).
 */
function AuditLine({ job, role }: { job: RestoreJob; role: Role }) {
  const trpc = useTRPC();
  const canRead = role === "admin" || role === "manager";
  const audit = useQuery({ ...trpc.audit.list.queryOptions({ action: "restore.finished", from: job.createdAt, limit: 100 }), enabled: canRead });
  const recorded = canRead ? audit.data !== undefined && auditEntryFor(audit.data.events, job.id) !== undefined : auditRecordedByServer(restoreResultOf(job.result), job.log);
  if (!recorded) return <span />;
  return (
    <span className="flex items-center gap-1.5 text-green-800">
      <svg aria-hidden viewBox="0 0 20 20" className="h-4 w-4" fill="none" stroke="currentColor" strokeWidth="2">
        <path d="M4 10l4 4 8-8" />
      </svg>
      Recorded in the audit log
    </span>
  );
}
