"use client";

import { useState } from "react";
import { useInfiniteQuery } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/trpc-provider";
import { messageOf } from "@/components/trpc/errors";
import { PageHeader } from "@/components/ui/page-header";
import { Skeleton } from "@/components/ui/skeleton";
import { Table, Td, Th } from "@/components/ui/table";
import { Badge, type BadgeTone } from "@/components/ui/badge";
import { Notice } from "@/components/ui/notice";
import { Button } from "@/components/ui/button";
import { EmptyState } from "@/components/ui/empty-state";
import { SelectField, TextField } from "@/components/ui/field";
import { formatDateTime } from "@/components/ui/format";

const OUTCOME_TONE: Record<string, BadgeTone> = { ok: "ok", denied: "critical", failed: "warning", error: "critical" };

export function AuditView() {
  const trpc = useTRPC();
  const [filter, setFilter] = useState({ username: "", action: "", outcome: "" as "" | "ok" | "denied" | "failed" | "error", from: "", to: "" });
  // Dates are days in the browser's time zone: "from" is the start of its day, "to" the end of its day.
  const day = (d: string, end: boolean) => (d ? new Date(`${d}T${end ? "23:59:59.999" : "00:00:00"}`) : undefined);
  const input = {
    username: filter.username || undefined,
    action: filter.action || undefined,
    outcome: filter.outcome || undefined,
    from: day(filter.from, false),
    to: day(filter.to, true),
    limit: 100,
  };
  const events = useInfiniteQuery(
    trpc.audit.list.infiniteQueryOptions(input, { getNextPageParam: (last) => last.nextCursor ?? undefined }),
  );

  const rows = events.data?.pages.flatMap((p) => p.events) ?? [];
  return (
    <>
      <PageHeader title="Audit log" description="Every change and every sign-in attempt: who, what, when and from where. Newest first." />
      <form className="mb-4 grid gap-4 sm:grid-cols-3 lg:grid-cols-5" onSubmit={(e) => e.preventDefault()} aria-label="Filter the audit log">
        <TextField label="User" value={filter.username} onChange={(e) => setFilter({ ...filter, username: e.target.value })} placeholder="any user" />
        <TextField label="Action contains" value={filter.action} onChange={(e) => setFilter({ ...filter, action: e.target.value })} placeholder="e.g. users. or auth.login" />
        <SelectField label="Outcome" value={filter.outcome} onChange={(e) => setFilter({ ...filter, outcome: e.target.value as typeof filter.outcome })}>
          <option value="">Any outcome</option>
          <option value="ok">ok</option>
          <option value="failed">failed</option>
          <option value="denied">denied</option>
          <option value="error">error</option>
        </SelectField>
        <TextField label="From" type="date" value={filter.from} onChange={(e) => setFilter({ ...filter, from: e.target.value })} />
        <TextField label="To" type="date" value={filter.to} onChange={(e) => setFilter({ ...filter, to: e.target.value })} />
      </form>
      {events.isPending ? (
        <Skeleton rows={6} />
      ) : events.isError ? (
        <Notice tone="error">{messageOf(events.error)}</Notice>
      ) : rows.length === 0 ? (
        <EmptyState title="No matching events">Change or clear the filters above.</EmptyState>
      ) : (
        <div className="space-y-4">
          <Table label="Audit events">
            <thead>
              <tr>
                <Th>Time</Th>
                <Th>User</Th>
                <Th>Action</Th>
                <Th>Target</Th>
                <Th>Outcome</Th>
                <Th>From</Th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {rows.map((e) => (
                <tr key={e.id}>
                  <Td>{formatDateTime(e.at)}</Td>
                  <Td className="font-medium text-slate-900">{e.username || "—"}</Td>
                  <Td className="font-mono text-xs">{e.action}</Td>
                  <Td>{e.target}</Td>
                  <Td title={e.detail} className="max-w-md">
                    <Badge tone={OUTCOME_TONE[e.outcome] ?? "neutral"}>{e.outcome}</Badge>
                    {e.detail && <span className="ml-2 inline-block max-w-xs truncate align-middle text-xs text-slate-500">{e.detail}</span>}
                  </Td>
                  <Td className="font-mono text-xs">{e.clientAddress}</Td>
                </tr>
              ))}
            </tbody>
          </Table>
          {events.hasNextPage && (
            <Button variant="secondary" onClick={() => void events.fetchNextPage()} disabled={events.isFetchingNextPage}>
              Load older events
            </Button>
          )}
        </div>
      )}
    </>
  );
}
