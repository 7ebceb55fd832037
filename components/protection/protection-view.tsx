"use client";

import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/trpc-provider";
import { PageHeader } from "@/components/ui/page-header";
import { EmptyState } from "@/components/ui/empty-state";
import { Skeleton } from "@/components/ui/skeleton";
import { Table, Td, Th } from "@/components/ui/table";
import { Card } from "@/components/ui/card";
import { Notice } from "@/components/ui/notice";
import { messageOf } from "@/components/trpc/errors";

export function ProtectionView() {
  const trpc = useTRPC();
  const overview = useQuery(trpc.protection.overview.queryOptions());

  return (
    <>
      <PageHeader
        title="Protection groups"
        description="Data sources that share one policy: retention, synchronization frequency, recovery-point schedule, consistency checks and SLA."
      />
      {overview.isPending ? (
        <Skeleton />
      ) : overview.isError ? (
        <Notice tone="error">{messageOf(overview.error)}</Notice>
      ) : (
        <div className="space-y-6">
          {overview.data.groups.length === 0 ? (
            <EmptyState title="Nothing is protected yet">
              {overview.data.unprotected.length > 0 ? (
                <>Create a protection group and add the data sources listed below to it.</>
              ) : overview.data.computers === 0 ? (
                <>
                  Start by installing the protection agent (<code className="rounded bg-slate-100 px-1">custodian agent</code>) on a computer that holds
                  folders or SQLite databases, and pair it with this server. Its data sources then appear here, ready to be added to a protection group.
                </>
              ) : (
                <>
                  {overview.data.computers} {overview.data.computers === 1 ? "computer is" : "computers are"} paired with this server (this server&apos;s own
                  built-in agent among them), but no data sources are known yet. Give an agent folders or databases to protect (
                  <code className="whitespace-nowrap rounded bg-slate-100 px-1">custodian agent --folder NAME=PATH</code> or{" "}
                  <code className="whitespace-nowrap rounded bg-slate-100 px-1">--sqlite NAME=PATH</code>); they then appear here, ready to be added to a protection group.
                </>
              )}
            </EmptyState>
          ) : (
            <Table label="Protection groups">
              <thead>
                <tr>
                  <Th>Group</Th>
                  <Th>Members</Th>
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-100">
                {overview.data.groups.map((g) => (
                  <tr key={g.id}>
                    <Td className="font-medium text-slate-900">{g.name}</Td>
                    <Td>{g.members}</Td>
                  </tr>
                ))}
              </tbody>
            </Table>
          )}
          {overview.data.unprotected.length > 0 && (
            <Card title={`Unprotected data sources (${overview.data.unprotected.length})`}>
              <ul className="divide-y divide-slate-100 text-sm">
                {overview.data.unprotected.map((s) => (
                  <li key={s.id} className="py-2">
                    <span className="font-medium">{s.computer}</span> <span className="text-slate-500">{s.kind}</span> {s.path}
                  </li>
                ))}
              </ul>
            </Card>
          )}
        </div>
      )}
    </>
  );
}
