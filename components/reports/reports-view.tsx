"use client";

import { useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/trpc-provider";
import { PageHeader } from "@/components/ui/page-header";
import { Card } from "@/components/ui/card";
import { Skeleton } from "@/components/ui/skeleton";
import { Notice } from "@/components/ui/notice";
import { EmptyState } from "@/components/ui/empty-state";
import { DailyActivityChart } from "@/components/charts/daily-activity-chart";
import { messageOf } from "@/components/trpc/errors";

const RANGES = [7, 30, 90] as const;

export function ReportsView() {
  const trpc = useTRPC();
  const [days, setDays] = useState<(typeof RANGES)[number]>(30);
  const history = useQuery(trpc.reports.history.queryOptions({ days }));

  return (
    <>
      <PageHeader
        title="Reports"
        description="Recovery-point health and job outcomes over time."
        actions={
          <div role="group" aria-label="Time range" className="inline-flex rounded-md shadow-sm ring-1 ring-slate-300">
            {RANGES.map((r) => (
              <button key={r} type="button" aria-pressed={days === r} onClick={() => setDays(r)} className={`px-3 py-1.5 text-sm first:rounded-l-md last:rounded-r-md ${days === r ? "bg-slate-800 text-white" : "bg-white text-slate-700 hover:bg-slate-50"}`}>
                {r} days
              </button>
            ))}
          </div>
        }
      />
      {history.isPending ? (
        <Skeleton rows={6} />
      ) : history.isError ? (
        <Notice tone="error">{messageOf(history.error)}</Notice>
      ) : (
        <div className="space-y-6">
          <div className="grid gap-4 sm:grid-cols-3">
            {[
              ["Recovery points", history.data.totals.recoveryPoints],
              ["Jobs succeeded", history.data.totals.jobsSucceeded],
              ["Jobs failed", history.data.totals.jobsFailed],
            ].map(([label, value]) => (
              <Card key={label as string}>
                <p className="text-sm text-slate-500">{label}</p>
                <p className="mt-1 text-3xl font-semibold tabular-nums text-slate-900">{value}</p>
                <p className="text-xs text-slate-400">last {days} days</p>
              </Card>
            ))}
          </div>
          <Card title="Per day">
            {history.data.totals.recoveryPoints + history.data.totals.jobsSucceeded + history.data.totals.jobsFailed === 0 ? (
              <EmptyState title="No activity in this range">
                Charts fill in as protection groups make recovery points. Protect a data source, or choose a longer range.
              </EmptyState>
            ) : (
              <DailyActivityChart data={history.data.series} />
            )}
          </Card>
        </div>
      )}
    </>
  );
}
