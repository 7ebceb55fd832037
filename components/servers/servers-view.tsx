"use client";

import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/trpc-provider";
import { PageHeader } from "@/components/ui/page-header";
import { Skeleton } from "@/components/ui/skeleton";
import { Table, Td, Th } from "@/components/ui/table";
import { Badge } from "@/components/ui/badge";
import { Notice } from "@/components/ui/notice";
import { formatDateTime } from "@/components/ui/format";
import { messageOf } from "@/components/trpc/errors";

export function ServersView() {
  const trpc = useTRPC();
  const servers = useQuery(trpc.servers.list.queryOptions());

  return (
    <>
      <PageHeader title="Servers" description="This backup server, the primaries it protects and the secondary that protects it." />
      {servers.isPending ? (
        <Skeleton />
      ) : servers.isError ? (
        <Notice tone="error">{messageOf(servers.error)}</Notice>
      ) : (
        <div className="space-y-6">
          <Table label="Servers">
            <thead>
              <tr>
                <Th>Name</Th>
                <Th>Role</Th>
                <Th>Identity</Th>
                <Th>Known since</Th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {servers.data.map((s) => (
                <tr key={s.id}>
                  <Td className="font-medium text-slate-900">{s.name}</Td>
                  <Td>{s.isSelf ? <Badge tone="info">this server</Badge> : <Badge>peer</Badge>}</Td>
                  <Td className="font-mono text-xs">{s.id}</Td>
                  <Td>{formatDateTime(s.createdAt)}</Td>
                </tr>
              ))}
            </tbody>
          </Table>
          {servers.data.length <= 1 && (
            <Notice tone="warning">
              This server is not protected by a secondary server and protects no other server. If its disk fails, its catalog and recovery points go
              with it: once secondary protection is available, link a second Custodian server to protect this one.
            </Notice>
          )}
        </div>
      )}
    </>
  );
}
