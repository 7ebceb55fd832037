"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/trpc-provider";
import { messageOf } from "@/components/trpc/errors";
import { Button } from "@/components/ui/button";
import { Notice } from "@/components/ui/notice";
import { ActiveJobs } from "./job-progress";
import { KeepOrDeleteDialog } from "./keep-or-delete-dialog";
import { MembersTable } from "./members-table";
import { describeConsistencyCheck, describePolicy } from "./policy-summary";
import { HealthBadge } from "./status-badges";
import type { Job, ProtectionGroup } from "./types";
import { useRunNow } from "./use-run-now";

/**
 * One protection group: its health, its policy in words, its members, the jobs running for
 * it and, for admins, DPM's actions on the whole group.
 */
export function GroupCard({ group, jobs, isAdmin, linkToGroup = true, afterStop }: { group: ProtectionGroup; jobs: Job[]; isAdmin: boolean; linkToGroup?: boolean; afterStop?: () => void }) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const runNow = useRunNow(group);
  const [stopping, setStopping] = useState(false);
  const stop = useMutation(
    trpc.protection.stopProtection.mutationOptions({
      onSuccess: async () => {
        setStopping(false);
        await queryClient.invalidateQueries(trpc.protection.pathFilter());
        afterStop?.();
      },
    }),
  );
  const hasDatabases = group.members.some((m) => m.kind === "sqlite");
  const recoveryPoints = group.members.reduce((n, m) => n + m.recoveryPoints, 0);
  const groupTarget = { groupId: group.id };

  return (
    <section aria-label={`Protection group ${group.name}`} className="rounded-lg border border-slate-200 bg-white shadow-sm">
      <header className="space-y-3 border-b border-slate-100 px-5 py-4">
        <div className="flex flex-wrap items-center justify-between gap-3">
          <h2 className="flex items-center gap-2 text-base font-semibold text-slate-900">
            {linkToGroup ? (
              <Link href={`/protection/groups/${group.id}`} className="hover:underline">
                {group.name}
              </Link>
            ) : (
              group.name
            )}
            <HealthBadge health={group.health} />
            <span className="text-sm font-normal text-slate-500">
              {group.members.length} {group.members.length === 1 ? "member" : "members"}
            </span>
          </h2>
          {isAdmin && (
            <div className="flex flex-wrap gap-2">
              <Button variant="secondary" onClick={() => router.push(`/protection/groups/${group.id}/edit`)}>
                Edit policy
              </Button>
              <Button
                variant="danger"
                onClick={() => {
                  stop.reset();
                  setStopping(true);
                }}
              >
                Stop protection
              </Button>
            </div>
          )}
        </div>
        <div className="text-sm">
          <p className="text-slate-700">{describePolicy(group.policy)}</p>
          <p className="text-slate-500">{describeConsistencyCheck(group.policy.consistencyCheck)}</p>
        </div>
        {isAdmin && group.members.length > 0 && (
          <div role="group" aria-label={`Run now on every member of ${group.name}`} className="flex flex-wrap items-center gap-2">
            <span className="text-xs font-medium uppercase tracking-wide text-slate-500">Run now on every member</span>
            <Button variant="secondary" disabled={runNow.pending} onClick={() => runNow.run("synchronization", groupTarget)}>
              Synchronize now
            </Button>
            <Button variant="secondary" disabled={runNow.pending} onClick={() => runNow.run("recovery-point", groupTarget)}>
              Create recovery point now
            </Button>
            {hasDatabases && (
              <Button variant="secondary" disabled={runNow.pending} onClick={() => runNow.run("express-full", groupTarget)}>
                Express full now
              </Button>
            )}
            <Button variant="secondary" disabled={runNow.pending} onClick={() => runNow.run("consistency-check", groupTarget)}>
              Run consistency check
            </Button>
          </div>
        )}
      </header>
      <div className="space-y-4 p-5">
        {runNow.outcome && (
          <Notice tone={runNow.outcome.tone}>
            <div className="flex items-start justify-between gap-3">
              <div>
                <p>{runNow.outcome.text}</p>
                {runNow.outcome.skipped.length > 0 && (
                  <ul className="mt-1 list-disc pl-5" aria-label="Skipped members">
                    {runNow.outcome.skipped.map((s) => (
                      <li key={s.name}>
                        Skipped <strong>{s.name}</strong>: {s.reason}
                      </li>
                    ))}
                  </ul>
                )}
              </div>
              <button type="button" onClick={runNow.clear} className="text-xs underline" aria-label="Dismiss">
                Dismiss
              </button>
            </div>
          </Notice>
        )}
        {group.members.length === 0 ? (
          <p className="text-sm text-slate-600">This group has no members. {isAdmin && "Edit it to add data sources, or stop protection to delete it."}</p>
        ) : (
          <MembersTable group={group} isAdmin={isAdmin} running={runNow.pending} run={(type, dataSourceId) => runNow.run(type, { dataSourceId })} />
        )}
        <ActiveJobs jobs={jobs} />
      </div>
      {isAdmin && (
        <KeepOrDeleteDialog
          open={stopping}
          title={`Stop protection of ${group.name}?`}
          recoveryPoints={recoveryPoints}
          confirmLabel="Stop protection"
          pending={stop.isPending}
          error={stop.error ? messageOf(stop.error) : null}
          onCancel={() => setStopping(false)}
          onConfirm={(keepData) => stop.mutate({ id: group.id, keepData })}
        >
          The group is deleted and its {group.members.length === 1 ? "member is" : `${group.members.length} members are`} no longer synchronized or given
          recovery points. They are listed again under unprotected data sources and can join another group.
        </KeepOrDeleteDialog>
      )}
    </section>
  );
}
