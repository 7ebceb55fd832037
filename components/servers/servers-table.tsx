"use client";

import { Badge } from "@/components/ui/badge";
import { Table, Td, Th } from "@/components/ui/table";
import { formatDateTime } from "@/components/ui/format";
import { formatAgo } from "./link-text";
import { useOrigin } from "./use-origin";
import type { ServerRow } from "./types";

/** Every server this catalog knows, with its part towards this one. */
export function ServersTable({ servers, now }: { servers: ServerRow[]; now: Date }) {
  const selfUrl = useOrigin();
  return (
    <Table label="Servers">
      <thead>
        <tr>
          <Th>Name</Th>
          <Th>Role towards this server</Th>
          <Th>Address</Th>
          <Th>Release</Th>
          <Th>Last contact</Th>
          <Th>Known since</Th>
        </tr>
      </thead>
      <tbody className="divide-y divide-slate-100">
        {servers.map((s) => (
          <tr key={s.id}>
            <Td className="font-medium text-slate-900">
              {s.name}
              <div className="max-w-40 truncate font-mono text-xs font-normal text-slate-500" title={`Identity: ${s.id}`}>
                {s.id}
              </div>
            </Td>
            <Td>
              <span className="flex flex-wrap gap-1">
                {s.isSelf && <Badge tone="info">this server</Badge>}
                {s.isPrimary && <Badge>primary: this server protects it</Badge>}
                {s.isSecondary && <Badge>secondary: it protects this server</Badge>}
                {/* A peer recorded with its key but with no link left: the link between them was removed. */}
                {!s.isSelf && !s.isPrimary && !s.isSecondary && <Badge>{s.keyId ? "link removed" : "known through the chain"}</Badge>}
              </span>
            </Td>
            <Td className="font-mono text-xs">{s.isSelf ? selfUrl || "—" : s.url || "—"}</Td>
            <Td>{s.version ?? "—"}</Td>
            <Td title={formatDateTime(s.lastContactAt)}>{s.isSelf ? "—" : formatAgo(s.lastContactAt, now)}</Td>
            <Td title={formatDateTime(s.createdAt)}>{s.createdAt.toLocaleDateString(undefined, { year: "numeric", month: "short", day: "numeric" })}</Td>
          </tr>
        ))}
      </tbody>
    </Table>
  );
}
