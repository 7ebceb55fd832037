"use client";

import { useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/trpc-provider";
import { PageHeader } from "@/components/ui/page-header";
import { EmptyState } from "@/components/ui/empty-state";
import { Skeleton } from "@/components/ui/skeleton";
import { Table, Td, Th } from "@/components/ui/table";
import { Badge } from "@/components/ui/badge";
import { Notice } from "@/components/ui/notice";
import { formatDateTime } from "@/components/ui/format";
import { messageOf } from "@/components/trpc/errors";

const SEVERITY_TONE = { critical: "critical", warning: "warning", info: "info" } as const;

export function AlertsView() {
  const trpc = useTRPC();
  const [show, setShow] = useState<"active" | "all">("active");
  const alerts = useQuery(trpc.monitoring.alerts.queryOptions({ active: show === "active" ? true : undefined, limit: 200 }));

  return (
    <>
      <PageHeader
        title="Alerts"
        description="Conditions that need attention: missed recovery points, failed synchronizations, inconsistent replicas, storage and tape problems."
        actions={
          <div role="group" aria-label="Show" className="inline-flex rounded-md shadow-sm ring-1 ring-slate-300">
            {(["active", "all"] as const).map((v) => (
              <button key={v} type="button" aria-pressed={show === v} onClick={() => setShow(v)} className={`px-3 py-1.5 text-sm first:rounded-l-md last:rounded-r-md ${show === v ? "bg-slate-800 text-white" : "bg-white text-slate-700 hover:bg-slate-50"}`}>
                {v === "active" ? "Active" : "All, with history"}
              </button>
            ))}
          </div>
        }
      />
      {alerts.isPending ? (
        <Skeleton />
      ) : alerts.isError ? (
        <Notice tone="error">{messageOf(alerts.error)}</Notice>
      ) : alerts.data.length === 0 ? (
        <EmptyState title={show === "active" ? "No active alerts" : "No alerts yet"}>
          Alerts are raised here when protection needs attention and resolve themselves when the condition clears. With nothing protected yet there is
          nothing to alert on: pair a protected computer and add its data sources to a protection group under <strong>Protection</strong>.
        </EmptyState>
      ) : (
        <Table label="Alerts">
          <thead>
            <tr>
              <Th>Severity</Th>
              <Th>Alert</Th>
              <Th>Affects</Th>
              <Th>Raised</Th>
              <Th>State</Th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100">
            {alerts.data.map((a) => (
              <tr key={a.id}>
                <Td>
                  <Badge tone={SEVERITY_TONE[a.severity]}>{a.severity}</Badge>
                </Td>
                <Td className="font-medium text-slate-900">{a.title}</Td>
                <Td>{a.target}</Td>
                <Td>{formatDateTime(a.raisedAt)}</Td>
                <Td>{a.active ? (a.acknowledgedBy ? `Acknowledged by ${a.acknowledgedBy}` : "Active") : `Resolved ${formatDateTime(a.resolvedAt)}`}</Td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
    </>
  );
}
