"use client";

import Link from "next/link";
import type { ReactNode } from "react";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/trpc-provider";
import { messageOf } from "@/components/trpc/errors";
import { Button } from "@/components/ui/button";
import { Table, Td, Th } from "@/components/ui/table";
import { formatBytes } from "@/components/ui/format";
import { formatCount, formatDuration, isJobOpen, jobTypeLabel } from "./format";
import { JobActions, type JobNotice } from "./job-actions";
import { JobProgress } from "./job-progress";
import { JobState } from "./job-state";
import { RelativeTime } from "./time";
import type { JobRow, Role } from "./types";

export const JOB_PAGE_SIZE = 50;
export const FAST_REFRESH_MS = 2_000;
export const SLOW_REFRESH_MS = 10_000;

export interface JobFilter {
  states?: ("scheduled" | "queued" | "running" | "succeeded" | "failed" | "cancelled")[];
  type?: string;
  /** A link's jobs: those run with (or for) that peer server. */
  peerServerId?: string;
}

interface PageProps {
  filter: JobFilter;
  now: Date;
  role: Role | undefined;
  actions: boolean;
  columns: number;
  refreshMs: number;
  onNotice: (n: JobNotice) => void;
  more: number;
  onLoadMore: () => void;
}

/** The jobs table: its header, the first page of rows, and the next pages as they are loaded. */
export function JobsTable({ label, rows, ...p }: Omit<PageProps, "columns"> & { label: string; rows: JobRow[] }) {
  return (
    <Table label={label}>
      <thead>
        <tr>
          <Th>Job</Th>
          <Th>Target</Th>
          <Th>State</Th>
          <Th>Progress or outcome</Th>
          <Th>Started</Th>
          {p.actions && <Th className="text-right">Actions</Th>}
        </tr>
      </thead>
      <JobPageRows rows={rows} columns={p.actions ? 6 : 5} {...p} />
    </Table>
  );
}

/** One page of jobs as a table body, then the next page (keyset: `before` = the last id) or "Load more". */
function JobPageRows({ rows, ...p }: PageProps & { rows: JobRow[] }) {
  const last = rows.at(-1);
  return (
    <>
      <tbody className="divide-y divide-slate-100">
        {rows.map((j) => (
          <JobTableRow key={j.id} job={j} {...p} />
        ))}
      </tbody>
      {last && rows.length >= JOB_PAGE_SIZE && (p.more > 0 ? <NextJobPage {...p} before={last.id} more={p.more - 1} /> : <Tail columns={p.columns}><Button variant="secondary" onClick={p.onLoadMore}>Load more</Button></Tail>)}
    </>
  );
}

function NextJobPage({ before, ...p }: PageProps & { before: number }) {
  const trpc = useTRPC();
  const page = useQuery({ ...trpc.monitoring.jobs.queryOptions({ ...p.filter, before, limit: JOB_PAGE_SIZE }), placeholderData: keepPreviousData, refetchInterval: p.refreshMs });
  if (page.isPending) return <Tail columns={p.columns}>Loading…</Tail>;
  if (page.isError) return <Tail columns={p.columns}><span className="text-red-700">{messageOf(page.error)}</span></Tail>;
  if (page.data.length === 0) return <Tail columns={p.columns}>That was the last job.</Tail>;
  return <JobPageRows rows={page.data} {...p} />;
}

function Tail({ columns, children }: { columns: number; children: ReactNode }) {
  return (
    <tbody>
      <tr>
        <td colSpan={columns} className="border-t border-slate-100 px-4 py-3 text-center text-sm text-slate-500">
          {children}
        </td>
      </tr>
    </tbody>
  );
}

function JobTableRow({ job: j, now, role, actions, onNotice }: PageProps & { job: JobRow }) {
  const open = isJobOpen(j.state);
  const end = j.finishedAt ?? (j.state === "running" ? now : null);
  return (
    <tr className="align-top" data-testid={`job-${j.id}`}>
      <Td>
        <Link href={`/monitoring/jobs/${j.id}`} className="font-medium text-brand-700 hover:underline">
          {jobTypeLabel(j.type)}
        </Link>
        <div className="text-xs text-slate-500">
          #{j.id}
          {j.attempt > 1 && ` · attempt ${j.attempt}`}
        </div>
      </Td>
      <Td>
        <div className="max-w-60 whitespace-normal break-words">
          <div className="text-slate-900">{j.target}</div>
          {(j.computer || j.group) && <div className="text-xs text-slate-500">{[j.computer, j.group && `group ${j.group}`].filter(Boolean).join(" · ")}</div>}
        </div>
      </Td>
      <Td>
        <JobState state={j.state} endedBy={j.endedBy} error={j.error} />
      </Td>
      <Td>
        {open ? (
          <JobProgress job={j} />
        ) : j.state === "succeeded" ? (
          <span className="text-xs text-slate-600">{j.filesDone || j.bytesDone ? `${formatCount(j.filesDone, "file")}, ${formatBytes(j.bytesDone)}` : "—"}</span>
        ) : j.error ? (
          <p className="line-clamp-2 max-w-72 whitespace-normal break-words text-xs text-red-700" title={j.error}>
            {j.error}
          </p>
        ) : null}
      </Td>
      <Td>
        <RelativeTime date={j.startedAt ?? j.createdAt} now={now} />
        <div className="text-xs tabular-nums text-slate-500">{j.startedAt && end ? `${j.state === "running" ? "running for" : "took"} ${formatDuration(end.getTime() - j.startedAt.getTime())}` : "not started"}</div>
      </Td>
      {actions && (
        <Td className="text-right">
          <JobActions job={j} role={role} onNotice={onNotice} />
        </Td>
      )}
    </tr>
  );
}
