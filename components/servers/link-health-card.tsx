"use client";

import Link from "next/link";
import type { ReactNode } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/trpc-provider";
import { messageOf } from "@/components/trpc/errors";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { Notice } from "@/components/ui/notice";
import { formatBytes, formatDateTime } from "@/components/ui/format";
import { LINK_STATES, everyLabel, formatAgo, formatLag } from "./link-text";
import type { LinkDetail } from "./types";

function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div>
      <dt className="text-xs font-medium uppercase tracking-wide text-slate-500">{label}</dt>
      <dd className="mt-0.5 text-sm text-slate-900">{children}</dd>
    </div>
  );
}

const When = ({ at, now }: { at: Date | null; now: Date }) => <span title={formatDateTime(at)}>{at ? `${formatAgo(at, now)} (${formatDateTime(at)})` : "never"}</span>;

/** The link's health with its reasons, and what the secondary last did; admins of the secondary replicate now from here. */
export function LinkHealthCard({ link, now, canReplicate }: { link: LinkDetail; now: Date; canReplicate: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const replicate = useMutation(
    trpc.servers.replicateNow.mutationOptions({
      onSuccess: () => Promise.all([queryClient.invalidateQueries(trpc.monitoring.jobs.pathFilter()), queryClient.invalidateQueries(trpc.servers.pathFilter())]),
    }),
  );
  const state = LINK_STATES[link.health.state];
  const peer = link.role === "secondary" ? link.primary : link.secondary;
  return (
    <Card
      title="Health"
      actions={
        canReplicate && (
          <Button variant="secondary" disabled={replicate.isPending || !link.config} title={link.config ? undefined : "Save the settings first"} onClick={() => replicate.mutate({ primaryId: link.primary.id })}>
            {replicate.isPending ? "Queuing…" : "Replicate now"}
          </Button>
        )
      }
    >
      <div className="space-y-5">
        <div className="flex flex-wrap items-start gap-3">
          <span data-testid="link-state">
            <Badge tone={state.tone}>{state.label}</Badge>
          </span>
          <div className="min-w-0 flex-1 text-sm text-slate-700">
            {link.health.reasons.length ? (
              <ul className="list-inside list-disc space-y-0.5">
                {link.health.reasons.map((r) => (
                  <li key={r}>{r}</li>
                ))}
              </ul>
            ) : (
              <p>{state.meaning}.</p>
            )}
          </div>
        </div>
        {replicate.error && <Notice tone="error">{messageOf(replicate.error)}</Notice>}
        {replicate.data && (
          <Notice tone="success">
            Queued: the{" "}
            <Link href={`/monitoring/jobs/${replicate.data.catalogCopyJobId}`} className="font-medium underline">
              catalog copy (job #{replicate.data.catalogCopyJobId})
            </Link>{" "}
            and the{" "}
            <Link href={`/monitoring/jobs/${replicate.data.replicationJobId}`} className="font-medium underline">
              replication (job #{replicate.data.replicationJobId})
            </Link>
            . Their progress shows under Jobs below.
          </Notice>
        )}
        <dl className="grid gap-x-6 gap-y-4 sm:grid-cols-2 lg:grid-cols-4">
          <Fact label="Lag">{formatLag(link.health.lagSeconds)}</Fact>
          <Fact label={`Last contact with ${peer.name}`}>
            <When at={link.lastContactAt} now={now} />
          </Fact>
          <Fact label="Last catalog copy">
            <When at={link.lastCatalogCopyAt} now={now} />
          </Fact>
          <Fact label="Last replication">
            <When at={link.lastReplicationAt} now={now} />
            {link.lastReplicationError && (
              <p role="alert" className="mt-1 text-xs text-red-700">
                Failed: {link.lastReplicationError}
              </p>
            )}
          </Fact>
          <Fact label="In sync with the primary as of">
            <When at={link.inSyncAt} now={now} />
          </Fact>
          <Fact label="Data replicated">{formatBytes(link.bytesReplicated)}</Fact>
          <Fact label="Schedule">
            {link.config ? `catalog ${everyLabel(link.config.catalogEveryMinutes)}, replicas ${everyLabel(link.config.replicaEveryMinutes)}` : "not configured yet"}
          </Fact>
          <Fact label="Automatic switch">
            {link.config ? (link.config.autoSwitch ? `on, after ${link.config.graceMinutes} min without contact` : "off (switch by hand)") : "—"}
          </Fact>
        </dl>
      </div>
    </Card>
  );
}
