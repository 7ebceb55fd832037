"use client";

import { LinkView } from "@/components/servers/link-view";
import { JobList } from "@/components/monitoring/job-list";

/** The link's page: the Servers area's view, with the Jobs list (Monitoring's) of the link's peer inside it. */
export function LinkPage({ primaryId, secondaryId }: { primaryId: string; secondaryId: string }) {
  return (
    <LinkView
      primaryId={primaryId}
      secondaryId={secondaryId}
      jobs={(peerServerId, empty) => <JobList filter={{ peerServerId }} label="Jobs of this link" empty={empty} />}
    />
  );
}
