"use client";

import Link from "next/link";
import { useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/trpc-provider";
import { useCurrentUser } from "@/components/shell/use-current-user";
import { PageHeader } from "@/components/ui/page-header";
import { EmptyState } from "@/components/ui/empty-state";
import { Skeleton } from "@/components/ui/skeleton";
import { Notice } from "@/components/ui/notice";
import { messageOf } from "@/components/trpc/errors";
import { BrowsePanel } from "./browse-panel";
import { FileSearch } from "./file-search";
import { RestoreWizard } from "./restore-wizard";
import { HelpdeskOriginalToggle } from "./helpdesk-original-toggle";
import type { RestoreDraft } from "./types";

const TABS = [
  { id: "browse", label: "Browse" },
  { id: "search", label: "Search" },
] as const;

export function RecoveryView() {
  const trpc = useTRPC();
  const user = useCurrentUser();
  const sources = useQuery(trpc.recovery.sources.queryOptions());
  const [tab, setTab] = useState<(typeof TABS)[number]["id"]>("browse");
  const [searchOpened, setSearchOpened] = useState(false);
  const [draft, setDraft] = useState<RestoreDraft | null>(null);
  const canRestore = user?.role === "admin" || user?.role === "helpdesk";

  return (
    <>
      <PageHeader
        title="Recovery"
        description="Pick a data source and a recovery point from its calendar, or search for a file across all recovery points, and restore files, folders or an older version."
        actions={user?.role === "admin" ? <HelpdeskOriginalToggle /> : undefined}
      />
      {sources.isPending || !user ? (
        <Skeleton rows={5} />
      ) : sources.isError ? (
        <Notice tone="error">{messageOf(sources.error)}</Notice>
      ) : sources.data.length === 0 ? (
        <EmptyState
          title="No recovery points yet"
          action={
            user.role === "admin" ? (
              <Link href="/protection" className="rounded-md bg-brand-600 px-3.5 py-2 text-sm font-medium text-white shadow-sm hover:bg-brand-700">
                Go to Protection
              </Link>
            ) : undefined
          }
        >
          {user.role === "admin" ? (
            <>
              Protect data sources on the Protection page: recovery points appear here after each protection group&apos;s first synchronization. Then you can browse them by
              date, search them for a file, and restore. If you expected some, check Monitoring › Jobs for failed jobs.
            </>
          ) : (
            <>
              An admin protects data sources on the Protection page; recovery points appear here after the first synchronization. Then you can browse them by date, search
              them for a file, and restore. If you expected some, ask an administrator to check the protection jobs.
            </>
          )}
        </EmptyState>
      ) : (
        <div className="space-y-6">
          <div role="tablist" aria-label="Find what to restore" className="flex gap-1 border-b border-slate-200">
            {TABS.map((t) => (
              <button
                key={t.id}
                id={`recovery-tab-${t.id}`}
                type="button"
                role="tab"
                aria-selected={tab === t.id}
                aria-controls={`recovery-panel-${t.id}`}
                onClick={() => {
                  setTab(t.id);
                  if (t.id === "search") setSearchOpened(true);
                }}
                className={`-mb-px border-b-2 px-4 py-2 text-sm font-medium ${tab === t.id ? "border-brand-600 text-brand-700" : "border-transparent text-slate-600 hover:text-slate-900"}`}
              >
                {t.label}
              </button>
            ))}
          </div>
          {!canRestore && (
            <Notice tone="info">You can browse and search recovery points. Restores are run by help desk and administrators.</Notice>
          )}
          <div role="tabpanel" id="recovery-panel-browse" aria-labelledby="recovery-tab-browse" hidden={tab !== "browse"}>
            <BrowsePanel sources={sources.data} canRestore={canRestore} onRestore={setDraft} />
          </div>
          <div role="tabpanel" id="recovery-panel-search" aria-labelledby="recovery-tab-search" hidden={tab !== "search"}>
            {searchOpened && <FileSearch sources={sources.data} canRestore={canRestore} onRestore={setDraft} />}
          </div>
        </div>
      )}
      {draft && user && <RestoreWizard draft={draft} role={user.role} onClose={() => setDraft(null)} />}
    </>
  );
}
