"use client";

import Link from "next/link";
import { Notice } from "@/components/ui/notice";
import type { RemoveLinkOutcome } from "./types";

/** What removing a link did, shown in place of the link that is gone. */
export function RemovedLinkOutcome({ outcome }: { outcome: RemoveLinkOutcome }) {
  const { primary, secondary, otherEnd, standby, deleted } = outcome;
  const peer = outcome.end === "secondary" ? primary : secondary;
  return (
    <div className="space-y-4 text-sm text-slate-700">
      <Notice tone="success">
        The link {primary.name} → {secondary.name} is removed on this server. {primary.name} can now be protected by another server.
      </Notice>
      {otherEnd.told ? (
        <p>{peer.name} removed its half of the link too.</p>
      ) : (
        <Notice tone={otherEnd.stillListed ? "warning" : "info"}>{otherEnd.message}.</Notice>
      )}
      <ul className="list-inside list-disc space-y-1">
        {outcome.end === "primary" ? (
          <li>{secondary.name} keeps the copies it holds of this server&apos;s catalog and recovery points.</li>
        ) : deleted ? (
          <li>
            Deleted here: {deleted.recoveryPoints} recovery point{deleted.recoveryPoints === 1 ? "" : "s"} of {deleted.dataSources} data source{deleted.dataSources === 1 ? "" : "s"} and{" "}
            {deleted.catalogSnapshots} catalog cop{deleted.catalogSnapshots === 1 ? "y" : "ies"}.
            {outcome.pruneJobId !== null && (
              <>
                {" "}
                Their space is freed by{" "}
                <Link href={`/monitoring/jobs/${outcome.pruneJobId}`} className="font-medium text-brand-700 underline">
                  prune job #{outcome.pruneJobId}
                </Link>
                .
              </>
            )}
          </li>
        ) : (
          <li>The copies of {primary.name} stay on this server, read-only: Recovery lists them as &ldquo;kept: link removed&rdquo;, and they expire under their retention.</li>
        )}
        {standby && (
          <li>
            {standby.removed} protection agent{standby.removed === 1 ? "" : "s"} of {outcome.end === "primary" ? "this server" : primary.name} dropped{" "}
            {outcome.end === "secondary" ? "this server" : secondary.name} as a standby server
            {standby.failed.length > 0 && `; ${standby.failed.map((f) => `${f.agent}: ${f.error}`).join("; ")}`}.
          </li>
        )}
        {outcome.cancelledJobs.length > 0 && <li>Cancelled job{outcome.cancelledJobs.length === 1 ? "" : "s"} of the link: #{outcome.cancelledJobs.join(", #")}.</li>}
      </ul>
      <Link href="/servers" className="inline-block font-medium text-brand-700 hover:underline">
        ← Back to Servers
      </Link>
    </div>
  );
}
