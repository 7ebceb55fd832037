"use client";

import { useState } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/trpc-provider";
import { messageOf } from "@/components/trpc/errors";
import { Table, Td, Th } from "@/components/ui/table";
import { formatDateTime } from "@/components/ui/format";
import { formatShortDateTime } from "./policy-summary";
import { ActionsMenu } from "./actions-menu";
import { KeepOrDeleteDialog } from "./keep-or-delete-dialog";
import { HealthBadge, KIND_LABEL, ReplicaBadge } from "./status-badges";
import type { GroupMember, ProtectionGroup } from "./types";
import type { RunKind } from "./use-run-now";

/** A group's members with their replica state, latest recovery point and health; admins get per-member actions. */
export function MembersTable({ group, isAdmin, run, running }: { group: ProtectionGroup; isAdmin: boolean; run: (type: RunKind, dataSourceId: number) => void; running: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [removing, setRemoving] = useState<GroupMember | null>(null);
  const remove = useMutation(
    trpc.protection.removeMembers.mutationOptions({
      onSuccess: async () => {
        setRemoving(null);
        await queryClient.invalidateQueries(trpc.protection.pathFilter());
      },
    }),
  );

  return (
    <>
      <Table label={`Members of ${group.name}`}>
        <thead>
          <tr>
            <Th>Data source</Th>
            <Th>Computer</Th>
            <Th>Replica</Th>
            <Th>Latest recovery point</Th>
            <Th className="text-right">Recovery points</Th>
            <Th>Health</Th>
            {isAdmin && (
              <Th>
                <span className="sr-only">Actions</span>
              </Th>
            )}
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {group.members.map((m) => (
            <tr key={m.id} aria-label={`${m.computer} ${m.name}`}>
              <Td className="whitespace-normal">
                <span className="font-medium text-slate-900">{m.name}</span>
                <span className="block max-w-56 truncate text-xs text-slate-500" title={m.path}>
                  {KIND_LABEL[m.kind]} · {m.path}
                </span>
                {!m.present && <span className="block text-xs text-red-700">not found on the computer</span>}
              </Td>
              <Td>{m.computer}</Td>
              <Td data-testid="replica-state">
                <ReplicaBadge state={m.replicaState} />
              </Td>
              <Td title={m.latestRecoveryPointAt ? formatDateTime(m.latestRecoveryPointAt) : undefined}>
                {m.latestRecoveryPointAt ? formatShortDateTime(m.latestRecoveryPointAt) : <span className="text-slate-400">none yet</span>}
              </Td>
              <Td className="text-right tabular-nums" data-testid="recovery-point-count">
                {m.recoveryPoints}
              </Td>
              <Td>
                <HealthBadge health={m.health} />
              </Td>
              {isAdmin && (
                <Td className="text-right">
                  <ActionsMenu
                    label={`Actions for ${m.name}`}
                    actions={[
                      { label: "Synchronize now", onSelect: () => run("synchronization", m.id), disabled: running },
                      { label: "Create recovery point now", onSelect: () => run("recovery-point", m.id), disabled: running },
                      ...(m.kind === "sqlite" ? [{ label: "Express full now", onSelect: () => run("express-full", m.id), disabled: running }] : []),
                      { label: "Run consistency check", onSelect: () => run("consistency-check", m.id), disabled: running },
                      {
                        label: "Remove from group…",
                        danger: true,
                        onSelect: () => {
                          remove.reset();
                          setRemoving(m);
                        },
                      },
                    ]}
                  />
                </Td>
              )}
            </tr>
          ))}
        </tbody>
      </Table>
      {isAdmin && (
        <KeepOrDeleteDialog
          open={removing !== null}
          title={`Remove ${removing?.name ?? ""} from ${group.name}?`}
          recoveryPoints={removing?.recoveryPoints ?? 0}
          confirmLabel="Remove member"
          pending={remove.isPending}
          error={remove.error ? messageOf(remove.error) : null}
          onCancel={() => setRemoving(null)}
          onConfirm={(keepData) => removing && remove.mutate({ members: [removing.id], keepData })}
        >
          {removing?.name} on {removing?.computer} stops being protected by this group. It is listed again under unprotected data sources and can be
          added to a group later; a data source is moved between groups this way.
        </KeepOrDeleteDialog>
      )}
    </>
  );
}
