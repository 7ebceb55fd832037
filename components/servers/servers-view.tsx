"use client";

import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/trpc-provider";
import { useCurrentUser } from "@/components/shell/use-current-user";
import { PageHeader } from "@/components/ui/page-header";
import { Skeleton } from "@/components/ui/skeleton";
import { Card } from "@/components/ui/card";
import { EmptyState } from "@/components/ui/empty-state";
import { Notice } from "@/components/ui/notice";
import { messageOf } from "@/components/trpc/errors";
import { TopologyGraph } from "./topology-graph";
import { TopologyLegend } from "./topology-legend";
import { LinksTable } from "./links-table";
import { ServersTable } from "./servers-table";
import { EnrolmentTokenPanel } from "./enrolment-token-panel";
import { LinkPrimaryForm } from "./link-primary-form";

const REFRESH_MS = 15_000;

/** DPM's secondary protection, Custodian's way: the topology with each link's health, the servers, and (admins) making links. */
export function ServersView() {
  const trpc = useTRPC();
  const me = useCurrentUser();
  const servers = useQuery({ ...trpc.servers.list.queryOptions(), refetchInterval: REFRESH_MS });
  const topology = useQuery({ ...trpc.servers.topology.queryOptions(), refetchInterval: REFRESH_MS });
  const isAdmin = me?.role === "admin";
  const self = servers.data?.find((s) => s.isSelf);
  const secondary = servers.data?.find((s) => s.isSecondary);

  return (
    <>
      <PageHeader
        title="Servers"
        description="This backup server, the primaries it protects, the secondary that protects it and the chain beyond. A secondary keeps copies of its primary's catalog and selected replicas, and can take over protection when the primary is lost."
      />
      {topology.isPending || servers.isPending ? (
        <Skeleton rows={4} />
      ) : topology.isError || servers.isError ? (
        <Notice tone="error">{messageOf(topology.error ?? servers.error)}</Notice>
      ) : (
        <div className="space-y-6">
          {topology.data.edges.length === 0 ? (
            <EmptyState title="No server protects this one, and it protects no other server">
              If this server&apos;s disk fails, its catalog and recovery points go with it. Link a second Custodian server as its secondary:{" "}
              {isAdmin
                ? "create an enrolment token below under Protect this server, and enter it on the other server under Protect a primary server (or do the reverse to make this server the secondary)."
                : "an administrator creates an enrolment token on one server and enters it on the other."}{" "}
              The graph of the servers and their links appears here once they are linked.
            </EmptyState>
          ) : (
            <>
              <Card title="Topology">
                <figure aria-label="Server topology" className="space-y-4">
                  <div className="overflow-hidden rounded-md border border-slate-100 bg-slate-50/60">
                    <TopologyGraph topology={topology.data} now={new Date(topology.dataUpdatedAt)} />
                  </div>
                  <figcaption className="space-y-2">
                    <TopologyLegend />
                    <p className="text-xs text-slate-500">Arrows run from the primary to its secondary. Open a link from its label or from the table below.</p>
                  </figcaption>
                </figure>
              </Card>
              <section aria-labelledby="links-heading" className="space-y-3">
                <h2 id="links-heading" className="text-base font-semibold text-slate-900">
                  Links
                </h2>
                <LinksTable topology={topology.data} now={new Date(topology.dataUpdatedAt)} />
              </section>
            </>
          )}
          <section aria-labelledby="servers-heading" className="space-y-3">
            <h2 id="servers-heading" className="text-base font-semibold text-slate-900">
              Servers this one knows
            </h2>
            <ServersTable servers={servers.data} now={new Date(servers.dataUpdatedAt)} />
          </section>
          {isAdmin && self && (
            <div className="grid gap-6 xl:grid-cols-2">
              <EnrolmentTokenPanel protectedBy={secondary?.name ?? null} />
              <LinkPrimaryForm selfId={self.id} />
            </div>
          )}
        </div>
      )}
    </>
  );
}
