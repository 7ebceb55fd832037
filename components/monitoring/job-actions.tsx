"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/trpc-provider";
import { messageOf } from "@/components/trpc/errors";
import Link from "next/link";
import { Button } from "@/components/ui/button";
import { Notice } from "@/components/ui/notice";
import { ConfirmButton } from "./confirm-button";
import { isJobOpen } from "./format";
import type { JobRow, Role } from "./types";

export type JobNotice = { tone: "success" | "error"; text: string; jobId?: number };

/** Who may do what to a job, as the API decides it: admins cancel and retry, help desk cancels restores. */
export function jobPermissions(role: Role | undefined, job: Pick<JobRow, "type" | "state" | "canRetry">) {
  const open = isJobOpen(job.state);
  return {
    cancel: open && (role === "admin" || (role === "helpdesk" && job.type === "restore")),
    retry: role === "admin" && job.canRetry,
  };
}

/** Whether the Jobs table needs an actions column: for admins always, for help desk while a recovery it may cancel is listed. */
export const roleActsOnJobs = (role: Role | undefined, rows: readonly Pick<JobRow, "type" | "state" | "canRetry">[]) =>
  role === "admin" || (role === "helpdesk" && rows.some((j) => jobPermissions(role, j).cancel));

export function JobActions({ job, role, onNotice }: { job: Pick<JobRow, "id" | "type" | "state" | "canRetry">; role: Role | undefined; onNotice: (n: JobNotice) => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const refresh = () => Promise.all([queryClient.invalidateQueries(trpc.monitoring.jobs.pathFilter()), queryClient.invalidateQueries(trpc.monitoring.job.pathFilter())]);
  const onError = (e: unknown) => {
    onNotice({ tone: "error", text: messageOf(e) });
    return refresh();
  };
  const cancel = useMutation(
    trpc.monitoring.cancelJob.mutationOptions({
      onSuccess: (r) => {
        onNotice({ tone: "success", text: r.outcome === "cancelled" ? `Job #${job.id} was cancelled before it started.` : `Job #${job.id} is stopping; it ends as cancelled in a moment.` });
        return refresh();
      },
      onError,
    }),
  );
  const retry = useMutation(
    trpc.monitoring.retryJob.mutationOptions({
      onSuccess: (r) => {
        onNotice({ tone: "success", text: `Job #${job.id} is retried as job #${r.id}.`, jobId: r.id });
        return refresh();
      },
      onError,
    }),
  );
  const may = jobPermissions(role, job);
  if (!may.cancel && !may.retry) return null;
  return (
    <div className="flex items-start justify-end gap-2">
      {may.retry && (
        <Button variant="secondary" className="px-2.5 py-1.5 text-xs" disabled={retry.isPending} aria-label={`Retry job ${job.id}`} onClick={() => retry.mutate({ id: job.id })}>
          Retry
        </Button>
      )}
      {may.cancel && (
        <ConfirmButton
          ariaLabel={`Cancel job ${job.id}`}
          question={`Cancel job #${job.id}? A job cancelled by a user is not retried.`}
          confirmLabel="Cancel job"
          keepLabel="Let it run"
          disabled={cancel.isPending}
          onConfirm={() => cancel.mutate({ id: job.id })}
        >
          Cancel
        </ConfirmButton>
      )}
    </div>
  );
}

/** What a cancel or retry did, with a link to the job it made. */
export function JobNoticeLine({ notice }: { notice: JobNotice }) {
  return (
    <Notice tone={notice.tone}>
      {notice.text}{" "}
      {notice.jobId && (
        <Link href={`/monitoring/jobs/${notice.jobId}`} className="font-medium underline">
          Open job #{notice.jobId}
        </Link>
      )}
    </Notice>
  );
}
