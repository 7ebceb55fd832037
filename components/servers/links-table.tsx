import Link from "next/link";
import { Badge } from "@/components/ui/badge";
import { Table, Td, Th } from "@/components/ui/table";
import { formatDateTime } from "@/components/ui/format";
import { LINK_STATES, formatAgo, formatLag, linkHref } from "./link-text";
import type { Topology } from "./types";

/** The topology's links as rows: the graph's information for keyboards and screen readers, and the way to each link's page. */
export function LinksTable({ topology, now }: { topology: Topology; now: Date }) {
  const name = (id: string) => topology.nodes.find((n) => n.id === id)?.name ?? id;
  const relation = (e: Topology["edges"][number]) =>
    e.secondary === topology.selfId ? "this server protects it" : e.primary === topology.selfId ? "protects this server" : "further down the chain";
  return (
    <Table label="Links between servers">
      <thead>
        <tr>
          <Th>Link (primary → secondary)</Th>
          <Th>State and lag</Th>
          <Th>Last catalog copy</Th>
          <Th>Last replication</Th>
          <Th>Last contact</Th>
        </tr>
      </thead>
      <tbody className="divide-y divide-slate-100">
        {topology.edges.map((e) => {
          const s = LINK_STATES[e.state];
          return (
            <tr key={`${e.primary}>${e.secondary}`} className="align-top hover:bg-slate-50">
              <Td>
                <Link href={linkHref(e.primary, e.secondary)} className="font-medium text-brand-700 hover:underline">
                  {name(e.primary)} → {name(e.secondary)}
                </Link>
                <div className="text-xs text-slate-500">
                  {relation(e)}
                  {e.secondary === topology.selfId && ` · ${e.protectedSources} data source${e.protectedSources === 1 ? "" : "s"} selected`}
                  {e.switchedSources > 0 && <span className="text-violet-700"> · {e.switchedSources} switched</span>}
                </div>
              </Td>
              <Td>
                <span className="flex flex-wrap items-center gap-2">
                  <Badge tone={s.tone}>{s.label}</Badge>
                  {e.lagSeconds !== null && <span className="text-xs text-slate-600">lag {formatLag(e.lagSeconds)}</span>}
                </span>
                {e.reasons.length > 0 && <div className="mt-1 w-56 whitespace-normal text-xs text-slate-600">{e.reasons.join("; ")}</div>}
              </Td>
              <Td title={formatDateTime(e.lastCatalogCopyAt)}>{formatAgo(e.lastCatalogCopyAt, now)}</Td>
              <Td title={formatDateTime(e.lastReplicationAt)}>{formatAgo(e.lastReplicationAt, now)}</Td>
              <Td title={formatDateTime(e.lastContactAt)}>{formatAgo(e.lastContactAt, now)}</Td>
            </tr>
          );
        })}
      </tbody>
    </Table>
  );
}
