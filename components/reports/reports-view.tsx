"use client";

import { useMemo, useState, type ReactNode } from "react";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import type { ReportsDashboard } from "@/server/domain/reports/get-reports-dashboard";
import { useTRPC } from "@/components/trpc/trpc-provider";
import { messageOf } from "@/components/trpc/errors";
import { PageHeader } from "@/components/ui/page-header";
import { Card } from "@/components/ui/card";
import { Skeleton } from "@/components/ui/skeleton";
import { Notice } from "@/components/ui/notice";
import { EmptyState } from "@/components/ui/empty-state";
import { Table, Td, Th } from "@/components/ui/table";
import { formatBytes } from "@/components/ui/format";
import { HealthChart } from "@/components/charts/health-chart";
import { SlaChart } from "@/components/charts/sla-chart";
import { JobSuccessChart } from "@/components/charts/job-success-chart";
import { StorageGrowthChart } from "@/components/charts/storage-growth-chart";
import { DownloadCsvButton } from "./download-csv-button";
import { RangeSelector, type RangeDays } from "./range-selector";
import { WorstSourcesTable } from "./worst-sources-table";
import { describeDaysUntilFull, formatDay, formatShare } from "./report-text";

/** The SLA chart shows this many groups, lowest compliance first; the CSV has them all. */
const SLA_CHART_GROUPS = 15;

export function ReportsView() {
  const trpc = useTRPC();
  const [days, setDays] = useState<RangeDays>(30);
  const dashboard = useQuery({ ...trpc.reports.dashboard.queryOptions({ days }), placeholderData: keepPreviousData });

  return (
    <>
      <PageHeader
        title="Reports"
        description="Recovery-point health, SLA compliance, job outcomes, storage growth and the data sources that need attention. Days are UTC days; today counts up to now."
        actions={<RangeSelector value={days} onChange={setDays} />}
      />
      {dashboard.isPending ? (
        <Skeleton rows={8} />
      ) : dashboard.isError ? (
        <Notice tone="error">{messageOf(dashboard.error)}</Notice>
      ) : (
        <div className="space-y-6" aria-busy={dashboard.isPlaceholderData || undefined}>
          <p className="text-sm text-slate-600" aria-live="polite">
            {formatDay(dashboard.data.range.firstDay, { year: true })} to {formatDay(dashboard.data.range.lastDay, { year: true })} ({dashboard.data.range.days} days)
            {dashboard.isPlaceholderData ? <span className="ml-2 text-slate-500">Updating…</span> : null}
          </p>
          <Dashboard data={dashboard.data} days={days} />
        </div>
      )}
    </>
  );
}

function Dashboard({ data, days }: { data: ReportsDashboard; days: RangeDays }) {
  const noGroups = data.sla.length === 0;
  return (
    <>
      <SummaryTiles data={data} />
      {noGroups ? (
        <EmptyState title="No protection groups yet">
          Health and SLA charts appear once data sources are protected: an admin creates a protection group on the Protection page, and its recovery points show here.
        </EmptyState>
      ) : (
        <>
          <HealthCard data={data} days={days} />
          <SlaCard data={data} days={days} />
        </>
      )}
      <div className="grid gap-6 2xl:grid-cols-2">
        <JobsCard data={data} days={days} />
        <StorageCard data={data} days={days} />
      </div>
      <Card title="Data sources that need attention" actions={<DownloadCsvButton dataset="worst" days={days} what="the data sources that need attention" />}>
        {data.worst.length === 0 ? (
          <EmptyState title="No data source needs attention">No data source has an active critical alert or warning, and every protected one has a recovery point within its SLA.</EmptyState>
        ) : (
          <>
            <p className="mb-3 text-sm text-slate-600">Most active critical alerts first, then most warnings, then longest past the SLA (now, whatever the range).</p>
            <WorstSourcesTable rows={data.worst} />
          </>
        )}
      </Card>
    </>
  );
}

function Tile({ label, value, note }: { label: string; value: ReactNode; note: ReactNode }) {
  return (
    <Card>
      <p className="text-sm text-slate-500">{label}</p>
      <p className="mt-1 text-3xl font-semibold tabular-nums text-slate-900">{value}</p>
      <p className="mt-1 text-xs text-slate-500">{note}</p>
    </Card>
  );
}

function SummaryTiles({ data }: { data: ReportsDashboard }) {
  const t = data.health.totals;
  const sourceDays = t.ok + t.warning + t.critical;
  const sources = data.sla.reduce((n, g) => n + g.sources, 0);
  const within = data.sla.reduce((n, g) => n + g.withinSlaNow, 0);
  const s = data.storage;
  return (
    <div className="grid gap-4 sm:grid-cols-2 xl:grid-cols-4">
      <Tile label="Healthy source-days" value={formatShare(sourceDays ? t.ok / sourceDays : null)} note={`${t.ok.toLocaleString()} OK of ${sourceDays.toLocaleString()} in the range`} />
      <Tile label="Within SLA now" value={formatShare(sources ? within / sources : null)} note={`${within.toLocaleString()} of ${sources.toLocaleString()} protected data sources`} />
      <Tile label="Job success rate" value={formatShare(data.jobs.totals.rate)} note={`${data.jobs.totals.succeeded.toLocaleString()} succeeded, ${data.jobs.totals.failed.toLocaleString()} failed`} />
      <Tile
        label="Days until the disk is full"
        value={s.daysUntilFull === null ? "—" : s.daysUntilFull > 3650 ? "10+ years" : s.daysUntilFull < 1 ? "< 1" : s.daysUntilFull.toLocaleString()}
        note={s.daysUntilFull === null ? (s.pool.diskFreeBytes === null ? "the disk's free space is unknown" : "the pool is not growing") : `at ${formatBytes(Math.round(s.averageDailyGrowthBytes))} a day`}
      />
    </div>
  );
}

function HealthCard({ data, days }: { data: ReportsDashboard; days: RangeDays }) {
  const [groupId, setGroupId] = useState<number | "all">("all");
  const group = groupId === "all" ? undefined : data.health.groups.find((g) => g.id === groupId);
  const chartData = useMemo(
    () => (group ? data.health.days.map((day, i) => ({ day, ok: group.ok[i]!, warning: group.warning[i]!, critical: group.critical[i]! })) : data.health.overall),
    [data.health, group],
  );
  const counted = chartData.some((d) => d.ok + d.warning + d.critical > 0);
  return (
    <Card
      title="Recovery-point health per day"
      actions={
        <div className="flex items-center gap-3">
          <label className="flex items-center gap-2 text-sm text-slate-600">
            Protection group
            <select
              value={String(groupId)}
              onChange={(e) => setGroupId(e.target.value === "all" ? "all" : Number(e.target.value))}
              className="rounded-md border-0 bg-white py-1 pl-2 pr-8 text-sm text-slate-900 shadow-sm ring-1 ring-inset ring-slate-300 focus:ring-2 focus:ring-brand-500"
            >
              <option value="all">All groups</option>
              {data.health.groups.map((g) => (
                <option key={g.id} value={g.id}>
                  {g.name}
                </option>
              ))}
            </select>
          </label>
          <DownloadCsvButton dataset="health" days={days} what="recovery-point health" />
        </div>
      }
    >
      {counted ? (
        <HealthChart data={chartData} label={`Protected data sources per day by recovery-point health, ${group ? group.name : "all protection groups"}`} />
      ) : (
        <EmptyState title="No protected data sources in this range">
          {group ? `${group.name} had no protected data source on these days.` : "No data source was protected on these days."} An admin adds data sources to a protection group on the Protection page.
        </EmptyState>
      )}
      <p className="mt-3 text-xs leading-relaxed text-slate-500">
        Each bar counts the protected data sources of a day. <strong className="font-medium text-green-700">OK</strong>: the recovery points the group&apos;s SLA asks for (one per SLA period) and no failed job.{" "}
        <strong className="font-medium text-amber-700">Warning</strong>: fewer than that, or a failed job. <strong className="font-medium text-red-700">Critical</strong>: no recovery point at all. Today and the day protection began count the hours protected so far.
      </p>
    </Card>
  );
}

function SlaCard({ data, days }: { data: ReportsDashboard; days: RangeDays }) {
  const withSources = data.sla.filter((g) => g.sources > 0);
  const bars = [...withSources]
    .sort((a, b) => (a.shareNow ?? 1) - (b.shareNow ?? 1) || (a.shareInRange ?? 1) - (b.shareInRange ?? 1) || a.name.localeCompare(b.name))
    .slice(0, SLA_CHART_GROUPS)
    .map((g) => ({ name: `${g.name} (${g.slaHours} h)`, now: round1((g.shareNow ?? 0) * 100), inRange: round1((g.shareInRange ?? 0) * 100) }));
  const empty = data.sla.length - withSources.length;
  return (
    <Card title="SLA compliance per protection group" actions={<DownloadCsvButton dataset="sla" days={days} what="SLA compliance" />}>
      {bars.length === 0 ? (
        <EmptyState title="No protected data sources yet">The protection groups have no data sources. An admin adds members to a group on the Protection page.</EmptyState>
      ) : (
        <>
          <p className="mb-3 text-sm text-slate-600">
            <span className="font-medium text-slate-800">Within SLA now</span>: data sources whose latest recovery point is newer than the group&apos;s SLA (in brackets).{" "}
            <span className="font-medium text-slate-800">OK source-days</span>: the share of the range&apos;s days that were OK.
            {withSources.length > SLA_CHART_GROUPS ? ` Showing the ${SLA_CHART_GROUPS} groups with the lowest compliance of ${withSources.length}; the CSV has all of them.` : ""}
            {empty > 0 ? ` ${empty} ${empty === 1 ? "group has" : "groups have"} no data sources.` : ""}
          </p>
          <SlaChart data={bars} label="SLA compliance per protection group, in percent" />
        </>
      )}
    </Card>
  );
}

function JobsCard({ data, days }: { data: ReportsDashboard; days: RangeDays }) {
  const j = data.jobs;
  const chartData = j.perDay.map((d) => ({ day: d.day, succeeded: d.succeeded, failed: d.failed, ratePct: d.rate === null ? null : round1(d.rate * 100) }));
  return (
    <Card title="Job success rate" actions={<DownloadCsvButton dataset="jobs" days={days} what="job outcomes" />}>
      {j.totals.succeeded + j.totals.failed === 0 ? (
        <EmptyState title="No finished jobs in this range">Jobs appear as protection groups run on their schedule. Choose a longer range, or see Jobs for what is running now.</EmptyState>
      ) : (
        <>
          <JobSuccessChart data={chartData} label="Share of finished jobs that succeeded, per day" />
          <div className="mt-4">
            <Table label="Jobs by type">
              <thead>
                <tr>
                  <Th>Job type</Th>
                  <Th className="text-right">Succeeded</Th>
                  <Th className="text-right">Failed</Th>
                  <Th className="text-right">Other</Th>
                  <Th className="text-right">Success rate</Th>
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-100">
                {j.byType.map((t) => (
                  <tr key={t.type}>
                    <Td>{t.type}</Td>
                    <Td className="text-right tabular-nums">{t.succeeded.toLocaleString()}</Td>
                    <Td className="text-right tabular-nums">{t.failed.toLocaleString()}</Td>
                    <Td className="text-right tabular-nums text-slate-500">{t.other.toLocaleString()}</Td>
                    <Td className="text-right tabular-nums">{formatShare(t.rate)}</Td>
                  </tr>
                ))}
              </tbody>
            </Table>
            <p className="mt-2 text-xs text-slate-500">Success rate = succeeded / (succeeded + failed); cancelled jobs and those still running are under Other. A job counts on the day it was created.</p>
          </div>
        </>
      )}
    </Card>
  );
}

function StorageCard({ data, days }: { data: ReportsDashboard; days: RangeDays }) {
  const s = data.storage;
  const p = s.pool;
  return (
    <Card title="Storage" actions={<DownloadCsvButton dataset="storage" days={days} what="storage usage" />}>
      <dl className="grid gap-4 sm:grid-cols-3">
        <div>
          <dt className="text-sm text-slate-500">Protected data</dt>
          <dd className="text-xl font-semibold tabular-nums text-slate-900">{formatBytes(s.protectedBytes)}</dd>
          <dd className="text-xs text-slate-500">latest recovery point of each protected source</dd>
        </div>
        <div>
          <dt className="text-sm text-slate-500">Storage pool used</dt>
          <dd className="text-xl font-semibold tabular-nums text-slate-900">{p.poolBytes === null ? "No pool yet" : formatBytes(p.poolBytes)}</dd>
          <dd className="text-xs text-slate-500">deduplicated and compressed</dd>
        </div>
        <div>
          <dt className="text-sm text-slate-500">Free on the pool&apos;s disk</dt>
          <dd className="text-xl font-semibold tabular-nums text-slate-900">{p.diskFreeBytes === null ? "Unknown" : formatBytes(p.diskFreeBytes)}</dd>
          <dd className="text-xs text-slate-500">{p.diskTotalBytes === null ? "" : `of ${formatBytes(p.diskTotalBytes)}`}</dd>
        </div>
      </dl>
      <p className="mt-4 rounded-md bg-slate-50 px-3 py-2 text-sm text-slate-700" data-testid="days-until-full">
        {describeDaysUntilFull({ daysUntilFull: s.daysUntilFull, averageDailyGrowthBytes: s.averageDailyGrowthBytes, diskFreeBytes: p.diskFreeBytes, rangeDays: data.range.days, generatedAt: data.generatedAt })}
      </p>
      <div className="mt-4">
        {s.addedBytes > 0 ? (
          <StorageGrowthChart data={s.perDay} label="Bytes added to the storage pool per day, and their running total" />
        ) : (
          <EmptyState title="No growth in this range">No recovery point added data to the pool on these days.</EmptyState>
        )}
      </div>
    </Card>
  );
}

const round1 = (x: number) => Math.round(x * 10) / 10;
