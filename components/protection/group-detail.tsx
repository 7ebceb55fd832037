"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/trpc-provider";
import { codeOf, messageOf } from "@/components/trpc/errors";
import { useCurrentUser } from "@/components/shell/use-current-user";
import { PageHeader } from "@/components/ui/page-header";
import { EmptyState } from "@/components/ui/empty-state";
import { Notice } from "@/components/ui/notice";
import { Skeleton } from "@/components/ui/skeleton";
import { Table, Td, Th } from "@/components/ui/table";
import { Badge, type BadgeTone } from "@/components/ui/badge";
import { formatDateTime } from "@/components/ui/format";
import { GroupCard } from "./group-card";
import { jobTitle } from "./job-progress";
import { LIVE_REFRESH_MS, useActiveJobs } from "./use-live-protection";

const STATE_TONE: Record<string, BadgeTone> = { running: "info", succeeded: "ok", failed: "critical", cancelled: "warning" };

/** One protection group, live: its members, running jobs and recent job history. */
export function GroupDetail({ id, just }: { id: number; just: "created" | "updated" | null }) {
  const trpc = useTRPC();
  const router = useRouter();
  const isAdmin = useCurrentUser()?.role === "admin";
  const group = useQuery({ ...trpc.protection.group.queryOptions({ id }), refetchInterval: LIVE_REFRESH_MS });
  const recent = useQuery({ ...trpc.monitoring.jobs.queryOptions({ groupId: id, limit: 15 }), refetchInterval: LIVE_REFRESH_MS });
  const jobsOf = useActiveJobs(id);
  const active = jobsOf(id);
  const back = (
    <Link href="/protection" className="text-sm font-medium text-brand-700 hover:underline">
      ← All protection groups
    </Link>
  );

  if (group.isPending) return <Skeleton rows={5} />;
  if (group.isError) {
    return codeOf(group.error) === "NOT_FOUND" ? (
      <>
        <PageHeader title="Protection group" />
        <EmptyState title="This protection group does not exist" action={back}>
          It may have been deleted by stopping its protection. Its former members are listed under unprotected data sources.
        </EmptyState>
      </>
    ) : (
      <Notice tone="error">{messageOf(group.error)}</Notice>
    );
  }
  const g = group.data;
  const initial = active.filter((j) => j.type === "recovery-point" && j.trigger === "system");
  return (
    <>
      <PageHeader title={g.name} description={<>Protection group · created {formatDateTime(g.createdAt)} · {back}</>} />
      <div className="space-y-6">
        {just === "created" && (
          <Notice tone="success">
            Protection group {g.name} created.{" "}
            {initial.length > 0
              ? `${initial.length === 1 ? "The initial replica is" : `${initial.length} initial replicas are`} being made now (each is also its member's first recovery point); progress shows below and under `
              : g.members.every((m) => m.recoveryPoints > 0)
                ? "Each member's initial replica is made, and with it its first recovery point; the jobs are listed below and under "
                : "Each member's initial replica is queued; follow it below and under "}
            <Link href="/monitoring/jobs" className="font-medium underline">
              Monitoring → Jobs
            </Link>
            .
          </Notice>
        )}
        {just === "updated" && <Notice tone="success">Changes to {g.name} saved. New schedules apply from now on.</Notice>}
        <GroupCard group={g} jobs={active} isAdmin={isAdmin} linkToGroup={false} afterStop={() => router.push("/protection")} />
        <section aria-label="Recent jobs" className="space-y-2">
          <h2 className="text-sm font-semibold text-slate-800">
            Recent jobs of this group{" "}
            <Link href="/monitoring/jobs" className="font-normal text-brand-700 hover:underline">
              (all jobs)
            </Link>
          </h2>
          {recent.data && recent.data.length > 0 ? (
            <Table label="Recent jobs of this group">
              <thead>
                <tr>
                  <Th>Job</Th>
                  <Th>Data source</Th>
                  <Th>State</Th>
                  <Th>Started</Th>
                  <Th>Finished</Th>
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-100">
                {recent.data.map((j) => (
                  <tr key={j.id}>
                    <Td className="font-medium text-slate-900">
                      #{j.id} {jobTitle(j)}
                    </Td>
                    <Td>{j.computer ? `${j.computer} · ${j.target}` : j.target}</Td>
                    <Td className="whitespace-normal">
                      <Badge tone={STATE_TONE[j.state] ?? "neutral"}>{j.state}</Badge>
                      {j.error && <span className="ml-2 text-xs text-red-700">{j.error}</span>}
                    </Td>
                    <Td>{formatDateTime(j.startedAt)}</Td>
                    <Td>{formatDateTime(j.finishedAt)}</Td>
                  </tr>
                ))}
              </tbody>
            </Table>
          ) : (
            <p className="text-sm text-slate-600">No jobs yet. They appear as the group&apos;s schedule runs, or when you start one from the actions above.</p>
          )}
        </section>
      </div>
    </>
  );
}
