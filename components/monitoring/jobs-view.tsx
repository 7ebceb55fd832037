"use client";

import { useState } from "react";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/trpc-provider";
import { messageOf } from "@/components/trpc/errors";
import { useCurrentUser } from "@/components/shell/use-current-user";
import { PageHeader } from "@/components/ui/page-header";
import { EmptyState } from "@/components/ui/empty-state";
import { Skeleton } from "@/components/ui/skeleton";
import { Notice } from "@/components/ui/notice";
import { Button } from "@/components/ui/button";
import { SelectField } from "@/components/ui/field";
import { JOB_STATE_FILTERS, JOB_TYPE_LABEL, JOB_TYPES, type JobStateFilter } from "./format";
import { JobNoticeLine, roleActsOnJobs, type JobNotice } from "./job-actions";
import { FAST_REFRESH_MS, JOB_PAGE_SIZE, JobsTable, SLOW_REFRESH_MS, type JobFilter } from "./job-pages";
import { useNow } from "./time";
import { useUrlFilters } from "./use-url-filters";

const FILTERS = {
  state: { default: "", allowed: Object.keys(JOB_STATE_FILTERS) },
  type: { default: "", allowed: JOB_TYPES },
};

/** DPM's Jobs tab: every job, newest first, live while something runs. */
export function JobsView() {
  const trpc = useTRPC();
  const me = useCurrentUser();
  const now = useNow(1_000);
  const [f, setFilters] = useUrlFilters(FILTERS);
  const [more, setMore] = useState({ key: "", pages: 0 });
  const [notice, setNotice] = useState<JobNotice | null>(null);

  const filter: JobFilter = { states: f.state ? [...JOB_STATE_FILTERS[f.state as JobStateFilter].states] : undefined, type: f.type || undefined };
  const filterKey = JSON.stringify(filter);
  const pagesMore = more.key === filterKey ? more.pages : 0;
  // What is running or waiting, whatever the filters: it sets the pace of the refresh.
  const open = useQuery({
    ...trpc.monitoring.jobs.queryOptions({ states: ["running", "queued", "scheduled"], limit: 100 }),
    refetchInterval: (q) => ((q.state.data?.length ?? 0) > 0 ? FAST_REFRESH_MS : SLOW_REFRESH_MS),
  });
  const running = open.data?.filter((j) => j.state === "running").length ?? 0;
  const waiting = (open.data?.length ?? 0) - running;
  const refreshMs = running + waiting > 0 ? FAST_REFRESH_MS : SLOW_REFRESH_MS;
  const first = useQuery({ ...trpc.monitoring.jobs.queryOptions({ ...filter, limit: JOB_PAGE_SIZE }), placeholderData: keepPreviousData, refetchInterval: refreshMs });
  const actions = roleActsOnJobs(me?.role, first.data ?? []);
  const filtered = f.state !== "" || f.type !== "";

  return (
    <>
      <PageHeader
        title="Jobs"
        description="Synchronizations, recovery points, consistency checks, recoveries, verification and clean-up, newest first. Open a job for its parameters, result and log."
      />
      <div className="mb-5 flex flex-wrap items-end justify-between gap-4">
        <div className="flex flex-wrap items-end gap-4">
          <div className="w-52">
            <SelectField label="State" value={f.state} onChange={(e) => setFilters({ state: e.target.value })}>
              <option value="">Any state</option>
              {Object.entries(JOB_STATE_FILTERS).map(([k, v]) => (
                <option key={k} value={k}>
                  {v.label}
                </option>
              ))}
            </SelectField>
          </div>
          <div className="w-64">
            <SelectField label="Type" value={f.type} onChange={(e) => setFilters({ type: e.target.value })}>
              <option value="">Any type</option>
              {JOB_TYPES.map((t) => (
                <option key={t} value={t}>
                  {JOB_TYPE_LABEL[t]}
                </option>
              ))}
            </SelectField>
          </div>
          {filtered && (
            <Button variant="ghost" onClick={() => setFilters({ state: "", type: "" })}>
              Clear filters
            </Button>
          )}
        </div>
        <p className="flex items-center gap-2 pb-2 text-sm text-slate-600" aria-live="polite">
          <span aria-hidden className={`h-2 w-2 rounded-full ${running ? "animate-pulse bg-brand-500" : waiting ? "bg-amber-400" : "bg-slate-300"}`} />
          {open.data === undefined ? "…" : running + waiting === 0 ? "Nothing running" : [running && `${running} running`, waiting && `${waiting} waiting`].filter(Boolean).join(", ")}
          <span className="text-slate-400">· refreshes every {refreshMs / 1000} s</span>
        </p>
      </div>
      {notice && (
        <div className="mb-4">
          <JobNoticeLine notice={notice} />
        </div>
      )}
      {first.isPending ? (
        <Skeleton rows={5} />
      ) : first.isError ? (
        <Notice tone="error">{messageOf(first.error)}</Notice>
      ) : first.data.length === 0 ? (
        filtered ? (
          <EmptyState title="No jobs match these filters" action={<Button variant="secondary" onClick={() => setFilters({ state: "", type: "" })}>Show all jobs</Button>}>
            No {f.state ? JOB_STATE_FILTERS[f.state as JobStateFilter].label.toLowerCase() : ""} {f.type ? JOB_TYPE_LABEL[f.type] : ""} jobs are on record.
          </EmptyState>
        ) : (
          <EmptyState title="No jobs have run yet">
            Jobs come from the schedules of protection groups, from recoveries and from the server&apos;s daily verification and clean-up. Once a data
            source is added to a protection group, its initial replica appears here with its progress, then its synchronizations and recovery points.
          </EmptyState>
        )
      ) : (
        <div className={first.isPlaceholderData ? "opacity-60 transition-opacity" : "transition-opacity"}>
          <JobsTable
            label="Jobs"
            rows={first.data}
            filter={filter}
            now={now}
            role={me?.role}
            actions={actions}
            refreshMs={refreshMs}
            onNotice={setNotice}
            more={pagesMore}
            onLoadMore={() => setMore({ key: filterKey, pages: pagesMore + 1 })}
          />
        </div>
      )}
    </>
  );
}
