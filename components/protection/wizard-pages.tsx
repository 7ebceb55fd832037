"use client";

import Link from "next/link";
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/trpc-provider";
import { messageOf } from "@/components/trpc/errors";
import { useCurrentUser } from "@/components/shell/use-current-user";
import { PageHeader } from "@/components/ui/page-header";
import { EmptyState } from "@/components/ui/empty-state";
import { Notice } from "@/components/ui/notice";
import { Skeleton } from "@/components/ui/skeleton";
import { GroupWizard } from "./group-wizard";

function AdminsOnly({ what }: { what: string }) {
  return (
    <EmptyState title={`Only administrators ${what}`} action={<Link href="/protection" className="text-sm font-medium text-brand-700 hover:underline">Back to protection groups</Link>}>
      Your role can read protection groups and their policies but not change them.
    </EmptyState>
  );
}

/** What both wizards need: DPM's defaults and ranges, the computers' sources and the groups (for names). */
function useWizardData(enabled: boolean) {
  const trpc = useTRPC();
  const defaults = useQuery({ ...trpc.protection.defaults.queryOptions({ hasDatabases: true }), enabled, staleTime: Infinity });
  const computers = useQuery({ ...trpc.protection.computers.queryOptions(), enabled });
  const groups = useQuery({ ...trpc.protection.groups.queryOptions(), enabled });
  const error = defaults.error ?? computers.error ?? groups.error;
  const ready = defaults.data && computers.data && groups.data ? { defaults: defaults.data, computers: computers.data, groups: groups.data } : null;
  return { ready, error };
}

export function NewGroupPage({ preselect }: { preselect: number[] }) {
  const me = useCurrentUser();
  const isAdmin = me?.role === "admin";
  const { ready, error } = useWizardData(isAdmin);
  return (
    <>
      <PageHeader title="New protection group" description="Choose the data sources to protect together, name the group and set its short-term goals, as in DPM's Create New Protection Group wizard." />
      {!me ? (
        <Skeleton />
      ) : !isAdmin ? (
        <AdminsOnly what="create protection groups" />
      ) : error ? (
        <Notice tone="error">{messageOf(error)}</Notice>
      ) : !ready ? (
        <Skeleton rows={5} />
      ) : !ready.computers.some((c) => c.sources.some((s) => s.groupId === null)) ? (
        <EmptyState title="There is nothing left to protect" action={<Link href="/protection" className="text-sm font-medium text-brand-700 hover:underline">Go to the Protection page</Link>}>
          {ready.computers.some((c) => c.sources.length > 0)
            ? "Every data source this server knows is in a protection group already. To protect more, give an agent more folders or databases (custodian agent --folder NAME=PATH), pair another computer, or remove a member from its group."
            : "No data sources are known yet. Pair a computer's protection agent on the Protection page; its folders and databases can then be protected here."}
        </EmptyState>
      ) : (
        <GroupWizard
          mode="create"
          computers={ready.computers}
          takenNames={ready.groups.map((g) => g.name)}
          limits={ready.defaults}
          initialPolicy={{ ...ready.defaults.policy, expressFull: null }}
          defaultExpressFull={ready.defaults.policy.expressFull}
          preselect={preselect}
        />
      )}
    </>
  );
}

export function EditGroupPage({ id }: { id: number }) {
  const me = useCurrentUser();
  const isAdmin = me?.role === "admin";
  const { ready, error } = useWizardData(isAdmin);
  const group = ready?.groups.find((g) => g.id === id);
  return (
    <>
      <PageHeader
        title={group ? `Modify ${group.name}` : "Modify protection group"}
        description="Add members, rename the group or change its short-term goals. Members leave a group through their Remove action on the group's page."
      />
      {!me ? (
        <Skeleton />
      ) : !isAdmin ? (
        <AdminsOnly what="change protection groups" />
      ) : error ? (
        <Notice tone="error">{messageOf(error)}</Notice>
      ) : !ready ? (
        <Skeleton rows={5} />
      ) : !group ? (
        <EmptyState title="This protection group does not exist" action={<Link href="/protection" className="text-sm font-medium text-brand-700 hover:underline">Back to protection groups</Link>}>
          It may have been deleted by stopping its protection.
        </EmptyState>
      ) : (
        <GroupWizard
          key={group.id}
          mode="edit"
          group={group}
          computers={ready.computers}
          takenNames={ready.groups.filter((g) => g.id !== id).map((g) => g.name)}
          limits={ready.defaults}
          initialPolicy={group.policy}
          defaultExpressFull={ready.defaults.policy.expressFull}
        />
      )}
    </>
  );
}
