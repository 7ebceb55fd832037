"use client";

import { useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { Role } from "@/db/schema/users";
import { useTRPC } from "@/components/trpc/trpc-provider";
import { messageOf } from "@/components/trpc/errors";
import { PageHeader } from "@/components/ui/page-header";
import { Skeleton } from "@/components/ui/skeleton";
import { Table, Td, Th } from "@/components/ui/table";
import { Badge } from "@/components/ui/badge";
import { Notice } from "@/components/ui/notice";
import { Button } from "@/components/ui/button";
import { formatDateTime } from "@/components/ui/format";
import { ROLE_INFO, ROLE_LIST } from "@/components/shell/roles";
import { useCurrentUser } from "@/components/shell/use-current-user";
import { CreateUserForm } from "./create-user-form";

export function UsersView() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const me = useCurrentUser();
  const isAdmin = me?.role === "admin";
  const users = useQuery(trpc.users.list.queryOptions());
  const [notice, setNotice] = useState<{ tone: "success" | "error"; text: string } | null>(null);
  const refresh = () => queryClient.invalidateQueries(trpc.users.list.pathFilter());
  const update = useMutation(
    trpc.users.update.mutationOptions({
      onSuccess: (u) => {
        setNotice({ tone: "success", text: `User ${u.username} updated.` });
        return refresh();
      },
      onError: (e) => setNotice({ tone: "error", text: messageOf(e) }),
    }),
  );
  const reset = useMutation(
    trpc.users.resetPassword.mutationOptions({
      onSuccess: (r) => {
        setNotice({ tone: "success", text: `Temporary password for ${r.username}: ${r.temporaryPassword} — shown once; the user must change it at next sign-in.` });
        return refresh();
      },
      onError: (e) => setNotice({ tone: "error", text: messageOf(e) }),
    }),
  );

  return (
    <>
      <PageHeader title="Users" description="Who may sign in to this server, and with which role. Roles are enforced by the server on every request." />
      <div className="space-y-6">
        {notice && <Notice tone={notice.tone}>{notice.text}</Notice>}
        {users.isPending ? (
          <Skeleton />
        ) : users.isError ? (
          <Notice tone="error">{messageOf(users.error)}</Notice>
        ) : (
          <Table label="Users">
            <thead>
              <tr>
                <Th>User</Th>
                <Th>Role</Th>
                <Th>Status</Th>
                <Th>Last sign-in</Th>
                {isAdmin && <Th className="text-right">Actions</Th>}
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {users.data.map((u) => (
                <tr key={u.id}>
                  <Td>
                    <span className="font-medium text-slate-900">{u.username}</span>
                    {u.displayName && <span className="ml-2 text-slate-500">{u.displayName}</span>}
                  </Td>
                  <Td>
                    {isAdmin ? (
                      <select
                        aria-label={`Role of ${u.username}`}
                        value={u.role}
                        onChange={(e) => {
                          const role = e.target.value as Role;
                          if (window.confirm(`Change ${u.username}'s role to ${ROLE_INFO[role].label}? Their open sessions end.`)) update.mutate({ id: u.id, role });
                        }}
                        className="rounded-md border-0 py-1 pl-2 pr-7 text-sm ring-1 ring-inset ring-slate-300"
                      >
                        {ROLE_LIST.map((r) => (
                          <option key={r} value={r}>
                            {ROLE_INFO[r].label}
                          </option>
                        ))}
                      </select>
                    ) : (
                      ROLE_INFO[u.role].label
                    )}
                  </Td>
                  <Td>
                    {u.disabled ? <Badge tone="critical">disabled</Badge> : <Badge tone="ok">active</Badge>}
                    {u.mustChangePassword && <span className="ml-2"><Badge tone="warning">must change password</Badge></span>}
                  </Td>
                  <Td>{formatDateTime(u.lastLoginAt)}</Td>
                  {isAdmin && (
                    <Td className="space-x-2 text-right">
                      <Button variant="secondary" onClick={() => window.confirm(`Reset ${u.username}'s password? Their open sessions end.`) && reset.mutate({ id: u.id })} aria-label={`Reset password of ${u.username}`}>
                        Reset password
                      </Button>
                      <Button variant={u.disabled ? "secondary" : "danger"} onClick={() => (u.disabled || window.confirm(`Disable ${u.username}? They are signed out at once.`)) && update.mutate({ id: u.id, disabled: !u.disabled })} aria-label={`${u.disabled ? "Enable" : "Disable"} ${u.username}`}>
                        {u.disabled ? "Enable" : "Disable"}
                      </Button>
                    </Td>
                  )}
                </tr>
              ))}
            </tbody>
          </Table>
        )}
        {isAdmin && <CreateUserForm />}
      </div>
    </>
  );
}
