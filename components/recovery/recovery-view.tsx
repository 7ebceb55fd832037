"use client";

import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/trpc-provider";
import { PageHeader } from "@/components/ui/page-header";
import { EmptyState } from "@/components/ui/empty-state";
import { Skeleton } from "@/components/ui/skeleton";
import { Table, Td, Th } from "@/components/ui/table";
import { Notice } from "@/components/ui/notice";
import { formatDateTime } from "@/components/ui/format";
import { messageOf } from "@/components/trpc/errors";

export function RecoveryView() {
  const trpc = useTRPC();
  const sources = useQuery(trpc.recovery.sources.queryOptions());

  return (
    <>
      <PageHeader title="Recovery" description="Browse the recovery points of each protected data source, find a file's older versions and restore them." />
      {sources.isPending ? (
        <Skeleton />
      ) : sources.isError ? (
        <Notice tone="error">{messageOf(sources.error)}</Notice>
      ) : sources.data.length === 0 ? (
        <EmptyState title="No recovery points yet">
          Recovery points are made on the schedule of each protection group. When the first one exists, its data source is listed here and you can
          browse it, search it and restore from it. If you expected some, check <strong>Monitoring → Jobs</strong> for failed jobs.
        </EmptyState>
      ) : (
        <Table label="Recoverable data sources">
          <thead>
            <tr>
              <Th>Computer</Th>
              <Th>Data source</Th>
              <Th>Recovery points</Th>
              <Th>Latest</Th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100">
            {sources.data.map((s) => (
              <tr key={s.id}>
                <Td className="font-medium text-slate-900">{s.computer}</Td>
                <Td>
                  <span className="text-slate-500">{s.kind}</span> {s.path}
                </Td>
                <Td>{s.recoveryPoints}</Td>
                <Td>{formatDateTime(s.latest)}</Td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
    </>
  );
}
