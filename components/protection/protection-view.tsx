"use client";

import Link from "next/link";
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/trpc-provider";
import { messageOf } from "@/components/trpc/errors";
import { useCurrentUser } from "@/components/shell/use-current-user";
import { PageHeader } from "@/components/ui/page-header";
import { EmptyState } from "@/components/ui/empty-state";
import { Skeleton } from "@/components/ui/skeleton";
import { Notice } from "@/components/ui/notice";
import { GroupCard } from "./group-card";
import { UnprotectedSources } from "./unprotected-sources";
import { LIVE_REFRESH_MS, useActiveJobs } from "./use-live-protection";

const linkButton = "inline-flex items-center justify-center rounded-md bg-brand-600 px-3.5 py-2 text-sm font-medium text-white shadow-sm hover:bg-brand-700";

/** The Protection page's groups and unprotected data sources (the computers follow on the page). */
export function ProtectionView() {
  const trpc = useTRPC();
  const isAdmin = useCurrentUser()?.role === "admin";
  const groups = useQuery({ ...trpc.protection.groups.queryOptions(), refetchInterval: LIVE_REFRESH_MS });
  const unprotected = useQuery({ ...trpc.protection.unprotected.queryOptions(), refetchInterval: 10_000 });
  const jobsOf = useActiveJobs();
  const canCreate = (unprotected.data?.length ?? 0) > 0;

  return (
    <>
      <PageHeader
        title="Protection groups"
        description="Data sources that share one policy: retention, synchronization frequency, recovery-point schedule, consistency checks and SLA. States refresh every few seconds while jobs run."
        actions={
          isAdmin &&
          canCreate && (
            <Link href="/protection/new" className={linkButton}>
              New protection group
            </Link>
          )
        }
      />
      <div className="space-y-6">
        {groups.isPending ? (
          <Skeleton rows={4} />
        ) : groups.isError ? (
          <Notice tone="error">{messageOf(groups.error)}</Notice>
        ) : groups.data.length === 0 ? (
          <EmptyState
            title="Nothing is protected yet"
            action={isAdmin && canCreate ? <Link href="/protection/new" className={linkButton}>Create a protection group</Link> : undefined}
          >
            A protection group gives data sources a shared policy: how often they are synchronized, when recovery points are made and how long they are kept.{" "}
            {canCreate
              ? `${isAdmin ? "Create one" : "An administrator creates one"} from the unprotected data sources listed below.`
              : `Groups are made from the data sources of paired computers: ${isAdmin ? "pair a computer's protection agent below" : "an administrator pairs a computer's protection agent below"}, and its folders and databases appear here, ready to be protected.`}
          </EmptyState>
        ) : (
          groups.data.map((g) => <GroupCard key={g.id} group={g} jobs={jobsOf(g.id)} isAdmin={isAdmin} />)
        )}
        {unprotected.data && unprotected.data.length > 0 && <UnprotectedSources sources={unprotected.data} isAdmin={isAdmin} />}
      </div>
    </>
  );
}
