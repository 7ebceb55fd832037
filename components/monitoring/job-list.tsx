"use client";

import { useState, type ReactNode } from "react";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/trpc-provider";
import { messageOf } from "@/components/trpc/errors";
import { useCurrentUser } from "@/components/shell/use-current-user";
import { Skeleton } from "@/components/ui/skeleton";
import { Notice } from "@/components/ui/notice";
import { isJobOpen } from "./format";
import { JobNoticeLine, roleActsOnJobs, type JobNotice } from "./job-actions";
import { FAST_REFRESH_MS, JOB_PAGE_SIZE, JobsTable, SLOW_REFRESH_MS, type JobFilter } from "./job-pages";
import { useNow } from "./time";

/**
 * The Jobs page's table for one fixed filter, to sit inside another page (a link's catalog
 * copies and replications): same rows, same actions, live while one of them runs.
 */
export function JobList({ filter, label, empty }: { filter: JobFilter; label: string; empty: ReactNode }) {
  const trpc = useTRPC();
  const me = useCurrentUser();
  const now = useNow(1_000);
  const [more, setMore] = useState(0);
  const [notice, setNotice] = useState<JobNotice | null>(null);
  const first = useQuery({
    ...trpc.monitoring.jobs.queryOptions({ ...filter, limit: JOB_PAGE_SIZE }),
    placeholderData: keepPreviousData,
    refetchInterval: (q) => (q.state.data?.some((j) => isJobOpen(j.state)) ? FAST_REFRESH_MS : SLOW_REFRESH_MS),
  });
  if (first.isPending) return <Skeleton rows={2} />;
  if (first.isError) return <Notice tone="error">{messageOf(first.error)}</Notice>;
  if (first.data.length === 0) return <p className="text-sm text-slate-600">{empty}</p>;
  const actions = roleActsOnJobs(me?.role, first.data);
  const refreshMs = first.data.some((j) => isJobOpen(j.state)) ? FAST_REFRESH_MS : SLOW_REFRESH_MS;
  return (
    <div className="space-y-3">
      {notice && <JobNoticeLine notice={notice} />}
      <JobsTable
        label={label}
        rows={first.data}
        filter={filter}
        now={now}
        role={me?.role}
        actions={actions}
        refreshMs={refreshMs}
        onNotice={setNotice}
        more={more}
        onLoadMore={() => setMore(more + 1)}
      />
    </div>
  );
}
