"use client";

import Link from "next/link";
import { useState, type ReactNode } from "react";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/trpc-provider";
import { codeOf, messageOf } from "@/components/trpc/errors";
import { useCurrentUser } from "@/components/shell/use-current-user";
import { PageHeader } from "@/components/ui/page-header";
import { Skeleton } from "@/components/ui/skeleton";
import { Notice } from "@/components/ui/notice";
import { EmptyState } from "@/components/ui/empty-state";
import { LinkHealthCard } from "./link-health-card";
import { LinkSettingsCard } from "./link-settings-form";
import { MirroredSources, SwitchedSources } from "./protected-sources";
import { CatalogSnapshotsTable } from "./catalog-snapshots-table";
import { RebuildTokenPanel } from "./rebuild-token-panel";
import { RemoveLinkDialog } from "./remove-link-dialog";
import { RemovedLinkOutcome } from "./removed-link-outcome";
import { Button } from "@/components/ui/button";
import type { RemoveLinkOutcome } from "./types";

const REFRESH_MS = 5_000;

function Section({ title, description, children }: { title: string; description?: ReactNode; children: ReactNode }) {
  return (
    <section aria-label={title} className="space-y-3">
      <div>
        <h2 className="text-base font-semibold text-slate-900">{title}</h2>
        {description && <p className="mt-0.5 text-sm text-slate-600">{description}</p>}
      </div>
      {children}
    </section>
  );
}

/**
 * One link between a primary and its secondary, from this server's end: health and lag,
 * the secondary's settings (its admin changes them), the sources copied or switched, the
 * catalog copies and the link's jobs (`jobs` renders the Jobs list for the peer's id).
 */
export function LinkView({ primaryId, secondaryId, jobs }: { primaryId: string; secondaryId: string; jobs: (peerServerId: string, empty: string) => ReactNode }) {
  const trpc = useTRPC();
  const me = useCurrentUser();
  const queryClient = useQueryClient();
  const [removing, setRemoving] = useState(false);
  const [removed, setRemoved] = useState<RemoveLinkOutcome | null>(null);
  // Once removed, the link is gone: the page shows what the removal did instead of asking for it again.
  const link = useQuery({ ...trpc.servers.link.queryOptions({ primaryId, secondaryId }), refetchInterval: REFRESH_MS, enabled: removed === null });
  const back = (
    <Link href="/servers" className="text-sm font-medium text-brand-700 hover:underline">
      ← Servers
    </Link>
  );
  if (removed)
    return (
      <>
        <PageHeader title={`${removed.primary.name} → ${removed.secondary.name}`} description="This link was removed." actions={back} />
        <RemovedLinkOutcome outcome={removed} />
      </>
    );
  if (link.isPending)
    return (
      <>
        <PageHeader title="Link between servers" actions={back} />
        <Skeleton rows={5} />
      </>
    );
  if (link.isError)
    return (
      <>
        <PageHeader title="Link between servers" actions={back} />
        {codeOf(link.error) === "NOT_FOUND" ? (
          <EmptyState title="This server knows no such link">The link may have been removed, or it is between two other servers of the chain. The Servers page lists the links this server knows.</EmptyState>
        ) : (
          <Notice tone="error">{messageOf(link.error)}</Notice>
        )}
      </>
    );

  const l = link.data;
  const now = new Date(link.dataUpdatedAt);
  const admin = me?.role === "admin";
  const onSecondary = l.role === "secondary";
  const peer = onSecondary ? l.primary : l.secondary;
  return (
    <>
      <PageHeader
        title={`${l.primary.name} → ${l.secondary.name}`}
        description={
          onSecondary
            ? `This server (${l.secondary.name}) is the secondary of ${l.primary.name}: it keeps copies of its catalog and of the replicas selected below, and can take over protection of them.`
            : `${l.secondary.name} is this server's secondary: it keeps copies of this server's catalog and of the replicas its admin selected. Its settings are changed on ${l.secondary.name}.`
        }
        actions={back}
      />
      <div className="space-y-8">
        <LinkHealthCard link={l} now={now} canReplicate={admin && onSecondary} />
        {admin && onSecondary && <LinkSettingsCard link={l} />}
        {onSecondary ? (
          <Section
            title="Protected data sources"
            description={`${l.primary.name}'s data sources whose recovery points are copied here, by ${l.primary.name}'s protection group. Switch protection makes this server protect them when ${l.primary.name} is lost.`}
          >
            <MirroredSources link={l} canSwitch={admin} />
          </Section>
        ) : (
          <Section title="Switched data sources" description={`This server's data sources that ${l.secondary.name} protected after a switch; take ownership to protect them here again.`}>
            <SwitchedSources link={l} canTakeOwnership={admin} />
          </Section>
        )}
        <Section
          title={onSecondary ? "Catalog copies" : `Catalog snapshots for ${l.secondary.name}`}
          description={`Signed snapshots of ${l.primary.name}'s catalog${l.config ? `, kept ${l.config.catalogRetentionDays} days` : ""}: what a rebuilt primary restores its catalog from.`}
        >
          <CatalogSnapshotsTable link={l} />
        </Section>
        {admin && onSecondary && (
          <Section title={`Rebuild ${l.primary.name}`} description="When the primary's machine is lost: a new server rebuilt from this one's copies.">
            <RebuildTokenPanel primary={l.primary} />
          </Section>
        )}
        <Section title="Jobs" description={onSecondary ? `Catalog copies and replications from ${peer.name}.` : `Recovery points pulled back from ${peer.name} after a switch back.`}>
          {jobs(
            peer.id,
            onSecondary
              ? "No job of this link has run yet: catalog copies and replications appear here, on schedule or after Replicate now."
              : `No recovery points have been pulled back from ${peer.name}: that happens after a switch back.`,
          )}
        </Section>
        {admin && (
          <section aria-label="Danger zone" className="space-y-3 rounded-lg border border-red-200 p-4">
            <div>
              <h2 className="text-base font-semibold text-red-800">Danger zone</h2>
              <p className="mt-0.5 text-sm text-slate-600">
                {onSecondary
                  ? `Stop protecting ${l.primary.name}: this server no longer copies its catalog and replicas, and keeps or deletes the copies it holds.`
                  : `Stop ${l.secondary.name} protecting this server: it no longer copies this server's catalog and replicas, and keeps the copies it holds.`}{" "}
                Both servers drop the link; {onSecondary ? l.primary.name : "this server"} can then be protected by another server.
              </p>
            </div>
            <Button variant="danger" onClick={() => setRemoving(true)}>
              Remove link…
            </Button>
          </section>
        )}
      </div>
      {removing && (
        <RemoveLinkDialog
          link={l}
          onClose={() => setRemoving(false)}
          onRemoved={(outcome) => {
            setRemoving(false);
            setRemoved(outcome);
            void queryClient.invalidateQueries(trpc.servers.list.pathFilter());
            void queryClient.invalidateQueries(trpc.servers.topology.pathFilter());
          }}
        />
      )}
    </>
  );
}
