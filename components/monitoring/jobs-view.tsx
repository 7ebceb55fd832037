"use client";

import { useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/trpc-provider";
import { PageHeader } from "@/components/ui/page-header";
import { EmptyState } from "@/components/ui/empty-state";
import { Skeleton } from "@/components/ui/skeleton";
import { Table, Td, Th } from "@/components/ui/table";
import { Badge, type BadgeTone } from "@/components/ui/badge";
import { Notice } from "@/components/ui/notice";
import { SelectField } from "@/components/ui/field";
import { formatDateTime } from "@/components/ui/format";
import { messageOf } from "@/components/trpc/errors";

const STATES = ["scheduled", "queued", "running", "succeeded", "failed", "cancelled"] as const;
const STATE_TONE: Record<(typeof STATES)[number], BadgeTone> = {
  scheduled: "neutral",
  queued: "neutral",
  running: "info",
  succeeded: "ok",
  failed: "critical",
  cancelled: "warning",
};

export function JobsView() {
  const trpc = useTRPC();
  const [state, setState] = useState<(typeof STATES)[number] | "">("");
  const jobs = useQuery({ ...trpc.monitoring.jobs.queryOptions({ state: state || undefined, limit: 200 }), refetchInterval: 5_000 });

  return (
    <>
      <PageHeader
        title="Jobs"
        description="Synchronizations, recovery points, consistency checks, restores, verification and tape work, newest first."
        actions={
          <div className="w-48">
            <SelectField label="State" value={state} onChange={(e) => setState(e.target.value as typeof state)}>
              <option value="">Any state</option>
              {STATES.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </SelectField>
          </div>
        }
      />
      {jobs.isPending ? (
        <Skeleton />
      ) : jobs.isError ? (
        <Notice tone="error">{messageOf(jobs.error)}</Notice>
      ) : jobs.data.length === 0 ? (
        <EmptyState title={state ? `No ${state} jobs` : "No jobs have run yet"}>
          Jobs are created by the schedules of protection groups, by restores and by tape operations. Once a data source is protected its
          synchronizations and recovery points appear here, with their progress and logs.
        </EmptyState>
      ) : (
        <Table label="Jobs">
          <thead>
            <tr>
              <Th>Job</Th>
              <Th>Target</Th>
              <Th>State</Th>
              <Th>Created</Th>
              <Th>Finished</Th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100">
            {jobs.data.map((j) => (
              <tr key={j.id}>
                <Td className="font-medium text-slate-900">
                  #{j.id} {j.type}
                </Td>
                <Td>{j.target}</Td>
                <Td>
                  <Badge tone={STATE_TONE[j.state]}>{j.state}</Badge>
                  {j.error && <span className="ml-2 text-xs text-red-700">{j.error}</span>}
                </Td>
                <Td>{formatDateTime(j.createdAt)}</Td>
                <Td>{formatDateTime(j.finishedAt)}</Td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
    </>
  );
}
