"use client";

import type { WorstDataSource } from "@/server/domain/reports/list-worst-data-sources";
import { Badge } from "@/components/ui/badge";
import { Table, Td, Th } from "@/components/ui/table";
import { formatHoursBeyond } from "./report-text";

const when = (d: Date) => d.toLocaleString(undefined, { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });

/** The data sources that most need attention, worst first (read-only). */
export function WorstSourcesTable({ rows }: { rows: WorstDataSource[] }) {
  return (
    <Table label="Data sources that need attention">
      <thead>
        <tr>
          <Th>Data source</Th>
          <Th>Group</Th>
          <Th>Latest recovery point</Th>
          <Th>Active alerts</Th>
          <Th title="Time since the latest recovery point beyond the group's SLA">Past SLA by</Th>
        </tr>
      </thead>
      <tbody className="divide-y divide-slate-100">
        {rows.map((s) => (
          <tr key={s.id}>
            <Td className="max-w-64 whitespace-normal">
              <span className="font-medium text-slate-900">{s.name}</span>
              <span className="text-slate-500"> on {s.computer}</span>
              <span className="block truncate font-mono text-xs text-slate-500" title={s.path}>
                {s.path}
              </span>
            </Td>
            <Td className="max-w-40 whitespace-normal">{s.group ?? <span className="text-slate-500">Not protected</span>}</Td>
            <Td>{s.latestRecoveryPointAt ? when(s.latestRecoveryPointAt) : <span className="text-slate-500">None yet</span>}</Td>
            <Td>
              <span className="inline-flex gap-1.5">
                {s.activeCriticalAlerts > 0 && <Badge tone="critical">{s.activeCriticalAlerts} critical</Badge>}
                {s.activeWarningAlerts > 0 && <Badge tone="warning">{s.activeWarningAlerts} {s.activeWarningAlerts === 1 ? "warning" : "warnings"}</Badge>}
                {s.activeCriticalAlerts + s.activeWarningAlerts === 0 && <span className="text-slate-500">none</span>}
              </span>
            </Td>
            <Td>{s.hoursBeyondSla > 0 ? <Badge tone="critical">{formatHoursBeyond(s.hoursBeyondSla)}</Badge> : <span className="text-slate-500">within SLA</span>}</Td>
          </tr>
        ))}
      </tbody>
    </Table>
  );
}
