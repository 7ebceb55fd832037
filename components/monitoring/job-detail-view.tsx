"use client";

import Link from "next/link";
import { useState, type ReactNode } from "react";
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/trpc-provider";
import { codeOf, messageOf } from "@/components/trpc/errors";
import { useCurrentUser } from "@/components/shell/use-current-user";
import { PageHeader } from "@/components/ui/page-header";
import { EmptyState } from "@/components/ui/empty-state";
import { Skeleton } from "@/components/ui/skeleton";
import { Notice } from "@/components/ui/notice";
import { Card } from "@/components/ui/card";
import { formatBytes, formatDateTime } from "@/components/ui/format";
import { factsOf, formatCount, formatDuration, isJobOpen, jobTypeLabel, TRIGGER_LABEL, type Fact } from "./format";
import { JobActions, JobNoticeLine, type JobNotice } from "./job-actions";
import { JobLog } from "./job-log";
import { JobProgress } from "./job-progress";
import { JobState } from "./job-state";
import { RelativeTime, useNow } from "./time";

const POLL_MS = 2_000;

/** One job: what it was asked to do, by whom, how it went, what it produced, and its log. */
export function JobDetailView({ id }: { id: number }) {
  const trpc = useTRPC();
  const me = useCurrentUser();
  const now = useNow(1_000);
  const [notice, setNotice] = useState<JobNotice | null>(null);
  const job = useQuery({ ...trpc.monitoring.job.queryOptions({ id }), refetchInterval: (q) => (q.state.data && isJobOpen(q.state.data.state) ? POLL_MS : false) });

  if (job.isPending) return <Skeleton rows={6} />;
  if (job.isError)
    return codeOf(job.error) === "NOT_FOUND" ? (
      <EmptyState title={`There is no job #${id}`} action={<BackLink />}>
        It may have been removed with its protection group&apos;s data, or the address is mistyped.
      </EmptyState>
    ) : (
      <Notice tone="error">{messageOf(job.error)}</Notice>
    );

  const j = job.data;
  const open = isJobOpen(j.state);
  const end = j.finishedAt ?? (j.state === "running" ? now : null);
  const done = totalsOf(j);
  return (
    <>
      <div className="mb-2">
        <BackLink />
      </div>
      <PageHeader
        title={`${jobTypeLabel(j.type)} #${j.id}`}
        description={
          <>
            {j.target}
            {j.computer && <> on {j.computer}</>}
            {j.group && <>, protection group {j.group}</>}
          </>
        }
        actions={<JobActions job={j} role={me?.role} onNotice={setNotice} />}
      />
      <div className="space-y-6">
        {notice && <JobNoticeLine notice={notice} />}
        <Card title={open ? "Progress" : "Outcome"} actions={<JobState state={j.state} endedBy={j.endedBy} error={j.error} />}>
          {open ? (
            <JobProgress job={j} wide />
          ) : j.error ? (
            <div className="rounded-md border border-red-200 bg-red-50 px-4 py-3 text-sm text-red-800">
              <p className="font-medium">{j.state === "cancelled" ? "Cancelled" : "Error"}</p>
              <p className="mt-1 whitespace-pre-wrap break-words">{j.error}</p>
              {j.state === "failed" && j.canRetry && <p className="mt-2 text-red-700">The system ended this job; it can be retried.</p>}
            </div>
          ) : (
            <p className="text-sm text-slate-700">
              Succeeded after {j.startedAt && j.finishedAt ? formatDuration(j.finishedAt.getTime() - j.startedAt.getTime()) : "—"}
              {done.files > 0 || done.bytes > 0 ? `: ${formatCount(done.files, "file")}, ${formatBytes(done.bytes)}.` : "."}
            </p>
          )}
        </Card>
        <div className="grid gap-6 lg:grid-cols-2">
          <Card title="Summary">
            <Facts>
              <Row label="Type">{jobTypeLabel(j.type)}</Row>
              <Row label="Target">{j.target}</Row>
              {j.computer && <Row label="Computer">{j.computer}</Row>}
              {j.group && <Row label="Protection group">{j.group}</Row>}
              <Row label="Trigger">{TRIGGER_LABEL[j.trigger] ?? j.trigger}</Row>
              <Row label="Requested by">{j.requestedBy ?? <span className="text-slate-500">nobody (the system)</span>}</Row>
              <Row label="Attempt">
                {j.attempt}
                {j.retryOf !== null && (
                  <>
                    {" "}
                    — retry of{" "}
                    <Link href={`/monitoring/jobs/${j.retryOf}`} className="font-medium text-brand-700 hover:underline">
                      #{j.retryOf}
                    </Link>
                  </>
                )}
              </Row>
              {j.scheduledFor && <Row label="Scheduled for">{formatDateTime(j.scheduledFor)}</Row>}
              <Row label="Created">
                {formatDateTime(j.createdAt)} <span className="text-slate-500">(<RelativeTime date={j.createdAt} now={now} />)</span>
              </Row>
              <Row label="Started">{formatDateTime(j.startedAt)}</Row>
              <Row label="Finished">{formatDateTime(j.finishedAt)}</Row>
              <Row label="Duration">{j.startedAt && end ? `${formatDuration(end.getTime() - j.startedAt.getTime())}${open ? " so far" : ""}` : "—"}</Row>
            </Facts>
          </Card>
          <div className="space-y-6">
            <FactsCard title="Parameters" facts={factsOf(j.params, { type: j.type, kind: "params" })} empty="None: the job works on its target as configured." />
            <FactsCard title="Result" facts={factsOf(j.result, { type: j.type, kind: "result" })} empty={open ? "Not yet: the job is still going." : j.state === "succeeded" ? "Nothing to report." : "None: the job did not finish its work."} />
          </div>
        </div>
        <Card title={`Log (${j.log.length} ${j.log.length === 1 ? "line" : "lines"})`} actions={open ? <span className="text-xs text-slate-500">updates every {POLL_MS / 1000} s</span> : undefined}>
          <JobLog log={j.log} />
        </Card>
      </div>
    </>
  );
}

/** Files and bytes of a finished job: its result's own figures when it has them, else the last progress. */
function totalsOf(j: { result: unknown; filesDone: number; bytesDone: number }) {
  const r = (j.result && typeof j.result === "object" ? j.result : {}) as Record<string, unknown>;
  const counted = r.counts && typeof r.counts === "object" ? Object.values(r.counts as Record<string, unknown>).reduce<number>((a, n) => a + (typeof n === "number" ? n : 0), 0) : null;
  return { files: typeof r.files === "number" ? r.files : (counted ?? j.filesDone), bytes: typeof r.bytes === "number" ? r.bytes : j.bytesDone };
}

function BackLink() {
  return (
    <Link href="/monitoring/jobs" className="text-sm text-brand-700 hover:underline">
      ← All jobs
    </Link>
  );
}

function Facts({ children }: { children: ReactNode }) {
  return <dl className="grid grid-cols-[minmax(8rem,auto)_1fr] gap-x-6 gap-y-2 text-sm">{children}</dl>;
}

function Row({ label, children }: { label: string; children: ReactNode }) {
  return (
    <>
      <dt className="text-slate-500">{label}</dt>
      <dd className="min-w-0 break-words text-slate-900">{children}</dd>
    </>
  );
}

function FactsCard({ title, facts, empty }: { title: string; facts: Fact[]; empty: string }) {
  return (
    <div role="region" aria-label={title}>
      <Card title={title}>
      {facts.length ? (
        <Facts>
          {facts.map((f) => (
            <Row key={f.label} label={f.label}>
              {f.value}
            </Row>
          ))}
        </Facts>
      ) : (
        <p className="text-sm text-slate-500">{empty}</p>
      )}
      </Card>
    </div>
  );
}

