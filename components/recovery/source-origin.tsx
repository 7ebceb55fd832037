import { Badge } from "@/components/ui/badge";
import type { RecoverableSource } from "./types";

/**
 * Where a data source's recovery points come from when they are not this server's own: a
 * copy of a primary server's source (secondary protection), served by this server after a
 * switch, or kept after the link with the primary was removed, or of the primary's own
 * computer (those two restore to a folder on this server).
 */
export function SourceOrigin({ source }: { source: Pick<RecoverableSource, "originServer" | "protectedHere" | "originUnlinked" | "originAgentless"> }) {
  if (source.originServer === null) return null;
  return (
    <span className="inline-flex flex-wrap gap-1.5 align-middle">
      <Badge tone="info">copy of {source.originServer}</Badge>
      {source.protectedHere && <Badge tone="warning">served by this server (switched)</Badge>}
      {source.originUnlinked && <Badge tone="neutral">kept: link removed</Badge>}
      {source.originAgentless && <Badge tone="neutral">{source.originServer}&apos;s own computer: restores to this server</Badge>}
    </span>
  );
}
