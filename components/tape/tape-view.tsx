"use client";

import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/trpc-provider";
import { PageHeader } from "@/components/ui/page-header";
import { EmptyState } from "@/components/ui/empty-state";
import { Skeleton } from "@/components/ui/skeleton";
import { Table, Td, Th } from "@/components/ui/table";
import { Badge } from "@/components/ui/badge";
import { Notice } from "@/components/ui/notice";
import { formatBytes } from "@/components/ui/format";
import { messageOf } from "@/components/trpc/errors";

export function TapeView() {
  const trpc = useTRPC();
  const inv = useQuery(trpc.tape.inventory.queryOptions());

  return (
    <>
      <PageHeader title="Tape library" description="Slots, drives, mail slots and barcoded cartridges of the libraries this server writes its catalog and long-term recovery points to." />
      {inv.isPending ? (
        <Skeleton />
      ) : inv.isError ? (
        <Notice tone="error">{messageOf(inv.error)}</Notice>
      ) : inv.data.libraries.length === 0 ? (
        <EmptyState title="No tape library is attached">
          Attach a library to back the catalog and long-term recovery points up to tape: the built-in virtual library (files on disk) or a SCSI
          library driven through <code className="rounded bg-slate-100 px-1">mtx</code> and <code className="rounded bg-slate-100 px-1">mt</code>. Then run a
          fast inventory to list its cartridges.
        </EmptyState>
      ) : (
        <div className="space-y-6">
          <Table label="Libraries">
            <thead>
              <tr>
                <Th>Library</Th>
                <Th>Driver</Th>
                <Th>Slots</Th>
                <Th>Drives</Th>
                <Th>Mail slots</Th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {inv.data.libraries.map((l) => (
                <tr key={l.id}>
                  <Td className="font-medium text-slate-900">{l.name}</Td>
                  <Td>{l.driver}</Td>
                  <Td>{l.slots}</Td>
                  <Td>{l.drives}</Td>
                  <Td>{l.mailSlots}</Td>
                </tr>
              ))}
            </tbody>
          </Table>
          {inv.data.media.length === 0 ? (
            <EmptyState title="No cartridges inventoried">Run a fast inventory to read the barcodes in the library&apos;s slots.</EmptyState>
          ) : (
            <Table label="Cartridges">
              <thead>
                <tr>
                  <Th>Barcode</Th>
                  <Th>State</Th>
                  <Th>Slot</Th>
                  <Th>Used</Th>
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-100">
                {inv.data.media.map((m) => (
                  <tr key={m.id}>
                    <Td className="font-mono">{m.barcode}</Td>
                    <Td>
                      <Badge>{m.state}</Badge>
                    </Td>
                    <Td>{m.slot ?? "—"}</Td>
                    <Td>
                      {formatBytes(m.usedBytes)} of {formatBytes(m.capacityBytes)}
                    </Td>
                  </tr>
                ))}
              </tbody>
            </Table>
          )}
        </div>
      )}
    </>
  );
}
