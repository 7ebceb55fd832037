"use client";

import Link from "next/link";
import { useState } from "react";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/trpc-provider";
import { messageOf } from "@/components/trpc/errors";
import { useCurrentUser } from "@/components/shell/use-current-user";
import { PageHeader } from "@/components/ui/page-header";
import { EmptyState } from "@/components/ui/empty-state";
import { Skeleton } from "@/components/ui/skeleton";
import { Notice } from "@/components/ui/notice";
import { Button } from "@/components/ui/button";
import { SelectField } from "@/components/ui/field";
import { ALERT_TYPE_LABEL, ALERT_TYPES } from "./format";
import { AlertCounters } from "./alert-counters";
import { ALERT_PAGE_SIZE, ALERTS_REFRESH_MS, AlertPageItems, type AlertFilter } from "./alert-pages";
import type { AlertNotice } from "./alert-card";
import { Segmented } from "./segmented";
import { useNow } from "./time";
import { useUrlFilters } from "./use-url-filters";

const FILTERS = {
  status: { default: "active", allowed: ["active", "inactive", "all"] },
  severity: { default: "", allowed: ["critical", "warning", "info"] },
  type: { default: "", allowed: ALERT_TYPES },
};
const STATUS_OPTIONS = [
  { value: "active", label: "Active" },
  { value: "inactive", label: "Inactive" },
  { value: "all", label: "All" },
] as const;

/** DPM's Alerts tab: what needs attention now, and the history of what was resolved. */
export function AlertsView() {
  const trpc = useTRPC();
  const me = useCurrentUser();
  const now = useNow(5_000);
  const [f, setFilters] = useUrlFilters(FILTERS);
  const [more, setMore] = useState({ key: "", pages: 0 });
  const [notice, setNotice] = useState<AlertNotice | null>(null);

  const filter: AlertFilter = {
    active: f.status === "all" ? undefined : f.status === "active",
    severity: (f.severity || undefined) as AlertFilter["severity"],
    type: f.type || undefined,
  };
  const filterKey = JSON.stringify(filter);
  const pagesMore = more.key === filterKey ? more.pages : 0;
  const first = useQuery({ ...trpc.monitoring.alerts.queryOptions({ ...filter, limit: ALERT_PAGE_SIZE }), placeholderData: keepPreviousData, refetchInterval: ALERTS_REFRESH_MS });
  const counts = useQuery({ ...trpc.monitoring.alertCounts.queryOptions(), refetchInterval: ALERTS_REFRESH_MS });
  const filtered = f.severity !== "" || f.type !== "";

  return (
    <>
      <PageHeader
        title="Alerts"
        description="Conditions that need attention (failed synchronizations, missed recovery points, inconsistent replicas, storage running out) and their history. The system raises alerts and resolves them when the condition clears."
      />
      <AlertCounters counts={counts.data} selected={f.status === "active" ? f.severity : ""} onSelect={(s) => setFilters({ status: "active", severity: f.status === "active" && f.severity === s ? "" : s })} />
      <div className="mb-5 flex flex-wrap items-end gap-4">
        <Segmented label="Status" value={f.status as "active"} options={STATUS_OPTIONS} onChange={(v) => setFilters({ status: v })} />
        <div className="w-44">
          <SelectField label="Severity" value={f.severity} onChange={(e) => setFilters({ severity: e.target.value })}>
            <option value="">Any severity</option>
            <option value="critical">Critical</option>
            <option value="warning">Warning</option>
            <option value="info">Information</option>
          </SelectField>
        </div>
        <div className="w-64">
          <SelectField label="Type" value={f.type} onChange={(e) => setFilters({ type: e.target.value })}>
            <option value="">Any type</option>
            {ALERT_TYPES.map((t) => (
              <option key={t} value={t}>
                {ALERT_TYPE_LABEL[t]}
              </option>
            ))}
          </SelectField>
        </div>
        {filtered && (
          <Button variant="ghost" onClick={() => setFilters({ severity: "", type: "" })}>
            Clear filters
          </Button>
        )}
      </div>
      {notice && (
        <div className="mb-4">
          <Notice tone={notice.tone}>{notice.text}</Notice>
        </div>
      )}
      {first.isPending ? (
        <Skeleton rows={4} />
      ) : first.isError ? (
        <Notice tone="error">{messageOf(first.error)}</Notice>
      ) : first.data.length === 0 ? (
        <NoAlerts status={f.status} filtered={filtered} onShow={(status) => setFilters({ status, severity: "", type: "" })} />
      ) : (
        <ul aria-label="Alerts" className={`space-y-3 transition-opacity ${first.isPlaceholderData ? "opacity-60" : ""}`}>
          <AlertPageItems
            rows={first.data}
            filter={filter}
            now={now}
            canAct={me?.role === "admin"}
            onNotice={setNotice}
            more={pagesMore}
            onLoadMore={() => setMore({ key: filterKey, pages: pagesMore + 1 })}
          />
        </ul>
      )}
    </>
  );
}

/** Says why the list is empty: healthy, nothing protected yet, no history, or the filters. */
function NoAlerts({ status, filtered, onShow }: { status: string; filtered: boolean; onShow: (status: string) => void }) {
  const trpc = useTRPC();
  const any = useQuery(trpc.monitoring.alerts.queryOptions({ limit: 1 }));
  const groupsQuery = useQuery(trpc.protection.groups.queryOptions());
  if (filtered)
    return (
      <EmptyState title="No alerts match these filters" action={<Button variant="secondary" onClick={() => onShow(status)}>Clear filters</Button>}>
        Nothing of this severity or type is {status === "all" ? "on record" : status}.
      </EmptyState>
    );
  if (any.isPending || groupsQuery.isPending) return <Skeleton rows={2} />;
  const groups = groupsQuery.data?.length ?? 0;
  const history = (any.data?.length ?? 0) > 0;
  if (groups === 0 && !history)
    return (
      <EmptyState title="No alerts: nothing is protected yet" action={<Link href="/protection" className="text-sm font-medium text-brand-700 hover:underline">Go to Protection</Link>}>
        Alerts are raised when protection needs attention: a failed synchronization, a missed recovery point, an inconsistent replica, a storage pool
        running out of space. Pair a protected computer and add its data sources to a protection group under <strong>Protection</strong>; its health is then watched here.
      </EmptyState>
    );
  if (status === "active")
    return (
      <EmptyState
        title="No active alerts: protection is healthy"
        action={history ? <Button variant="secondary" onClick={() => onShow("all")}>Show alert history</Button> : undefined}
      >
        Every protected data source is synchronized and within its recovery-point objective. When a job fails or a condition needs attention, an alert
        appears here with what to do; it becomes inactive by itself once the condition clears.
      </EmptyState>
    );
  return (
    <EmptyState title={status === "inactive" ? "No inactive alerts yet" : "No alerts yet"} action={status === "inactive" ? <Button variant="secondary" onClick={() => onShow("active")}>Show active alerts</Button> : undefined}>
      {status === "inactive"
        ? "Alerts that the system resolved or an administrator marked inactive are kept here as history."
        : "No alert has been raised on this server so far. Alerts appear here when protection needs attention and stay as history after they are resolved."}
    </EmptyState>
  );
}
