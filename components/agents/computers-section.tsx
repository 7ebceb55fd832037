"use client";

import Link from "next/link";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@/server/api/root";
import { useTRPC } from "@/components/trpc/trpc-provider";
import { messageOf } from "@/components/trpc/errors";
import { useCurrentUser } from "@/components/shell/use-current-user";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { EmptyState } from "@/components/ui/empty-state";
import { Notice } from "@/components/ui/notice";
import { Skeleton } from "@/components/ui/skeleton";
import { formatDateTime } from "@/components/ui/format";
import { PairComputerForm } from "./pair-computer-form";
import { AddLocalSourceForm } from "./add-local-source-form";

type Computer = inferRouterOutputs<AppRouter>["protection"]["computers"][number];
type Agent = inferRouterOutputs<AppRouter>["agents"]["list"][number];

const code = "whitespace-nowrap rounded bg-slate-100 px-1 font-mono text-[0.8rem]";

/** Protected computers, their agents and data sources; admins pair new computers and re-read sources here. */
export function ComputersSection() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const isAdmin = useCurrentUser()?.role === "admin";
  const computers = useQuery({ ...trpc.protection.computers.queryOptions(), refetchInterval: 10_000 });
  const agents = useQuery({ ...trpc.agents.list.queryOptions(), refetchInterval: 10_000 });
  const refresh = useMutation(
    trpc.protection.refreshSources.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries(trpc.protection.pathFilter()),
    }),
  );
  const list = computers.data ?? [];
  const anySources = list.some((c) => c.sources.length > 0);
  const paired = list.some((c) => !c.builtIn);

  return (
    <section aria-label="Protected computers" className="mt-10 space-y-4">
      <div className="flex flex-wrap items-end justify-between gap-3">
        <div>
          <h2 className="text-lg font-semibold text-slate-900">Protected computers</h2>
          <p className="text-sm text-slate-600">Computers whose protection agent is paired with this server, and the folders and databases each one offers.</p>
        </div>
        {isAdmin && list.length > 0 && (
          <Button variant="secondary" onClick={() => refresh.mutate()} disabled={refresh.isPending}>
            {refresh.isPending ? "Reading data sources…" : "Refresh data sources"}
          </Button>
        )}
      </div>
      {refresh.isError && <Notice tone="error">{messageOf(refresh.error)}</Notice>}
      {computers.isPending ? (
        <Skeleton rows={2} />
      ) : computers.isError ? (
        <Notice tone="error">{messageOf(computers.error)}</Notice>
      ) : (
        <>
          {!paired && !anySources && (
            <EmptyState title="No computer is paired yet">
              On each computer to protect, start the protection agent with the folders and databases it offers, for example{" "}
              <code className={code}>custodian agent --port 3200 --folder docs=/srv/docs --sqlite crm=/srv/crm.db</code>. It prints its address and a
              one-time pairing token; {isAdmin ? "enter both in the form below" : "an administrator enters both here"}. Its data sources then appear here, ready
              to be added to a protection group.
            </EmptyState>
          )}
          {list.map((c) => (
            <ComputerCard key={c.id} computer={c} agent={agents.data?.find((a) => a.computerId === c.id)} isAdmin={isAdmin} />
          ))}
        </>
      )}
      {isAdmin && (
        <Card title="Pair a computer">
          <PairComputerForm />
        </Card>
      )}
    </section>
  );
}

function ComputerCard({ computer: c, agent, isAdmin }: { computer: Computer; agent: Agent | undefined; isAdmin: boolean }) {
  return (
    <Card
      title={
        <span className="flex items-center gap-2">
          {c.name}
          {c.builtIn && <Badge>built-in agent</Badge>}
        </span>
      }
      actions={
        <span className="text-xs text-slate-500">
          {c.url ?? "no agent"} · paired {formatDateTime(agent?.pairedAt)} · last contact {formatDateTime(c.lastContactAt)}
        </span>
      }
    >
      {c.sources.length === 0 ? (
        c.builtIn ? (
          <p className="text-sm text-slate-600">This server&apos;s built-in agent offers no data sources yet{isAdmin ? ": add a folder or a database of this server below." : "."}</p>
        ) : (
          <p className="text-sm text-slate-600">
            This agent offers no data sources. Restart it with <code className={code}>--folder NAME=PATH</code> or <code className={code}>--sqlite NAME=PATH</code>, then
            refresh the data sources.
          </p>
        )
      ) : (
        <ul aria-label={`Data sources of ${c.name}`} className="divide-y divide-slate-100 text-sm">
          {c.sources.map((s) => (
            <li key={s.id} className="flex flex-wrap items-center gap-x-3 gap-y-1 py-2">
              <span className="font-medium text-slate-900">{s.name}</span>
              <span className="text-slate-500">{s.kind === "sqlite" ? "SQLite database" : "Folder"}</span>
              <span className="min-w-0 flex-1 truncate font-mono text-xs text-slate-600" title={s.path}>
                {s.path}
              </span>
              {!s.present && <Badge tone="critical">not found</Badge>}
              {s.groupId !== null ? (
                <Link href={`/protection/groups/${s.groupId}`} className="text-xs text-brand-700 hover:underline">
                  in group {s.group}
                </Link>
              ) : (
                <Badge tone="warning">unprotected</Badge>
              )}
            </li>
          ))}
        </ul>
      )}
      {c.builtIn && isAdmin && <AddLocalSourceForm />}
    </Card>
  );
}
