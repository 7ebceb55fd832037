import { Table, Td, Th } from "@/components/ui/table";
import { formatBytes, formatDateTime } from "@/components/ui/format";
import type { LinkDetail } from "./types";

/** The primary's catalog as the secondary holds it: signed snapshots, newest first, kept for the link's retention. */
export function CatalogSnapshotsTable({ link }: { link: LinkDetail }) {
  if (link.catalogSnapshots.length === 0)
    return (
      <p className="text-sm text-slate-600">
        No copy of {link.primary.name}&apos;s catalog {link.role === "secondary" ? "is held here" : `is held by ${link.secondary.name}`} yet
        {link.config ? ": the first one comes with the next catalog copy." : ": they start once the secondary's settings are saved."}
      </p>
    );
  return (
    <Table label={`Catalog copies of ${link.primary.name}`}>
      <thead>
        <tr>
          <Th>Taken on {link.primary.name}</Th>
          {link.role === "secondary" && <Th>Copied here</Th>}
          <Th>Size</Th>
          <Th>Recovery point</Th>
        </tr>
      </thead>
      <tbody className="divide-y divide-slate-100">
        {link.catalogSnapshots.map((s) => (
          <tr key={s.id}>
            <Td>{formatDateTime(s.takenAt)}</Td>
            {link.role === "secondary" && <Td>{formatDateTime(s.copiedAt)}</Td>}
            <Td>{formatBytes(s.sizeBytes)}</Td>
            <Td className="font-mono text-xs">{s.manifestId}</Td>
          </tr>
        ))}
      </tbody>
    </Table>
  );
}
