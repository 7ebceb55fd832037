"use client";

import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/trpc-provider";
import { messageOf } from "@/components/trpc/errors";
import { Button } from "@/components/ui/button";
import { Notice } from "@/components/ui/notice";
import { Skeleton } from "@/components/ui/skeleton";
import { AlertCard, type AlertNotice } from "./alert-card";
import type { AlertRow } from "./types";

export const ALERT_PAGE_SIZE = 25;
export const ALERTS_REFRESH_MS = 15_000;

export interface AlertFilter {
  active?: boolean;
  severity?: "critical" | "warning" | "info";
  type?: string;
}

interface PageProps {
  filter: AlertFilter;
  now: Date;
  canAct: boolean;
  onNotice: (n: AlertNotice) => void;
  /** How many more pages the user asked for after this one. */
  more: number;
  onLoadMore: () => void;
}

/**
 * One page of alerts, then the next one (keyset paging: `before` is the last id shown), or the
 * "Load more" button when this page was full. Each page's cursor follows the page before it as
 * it refreshes, so an alert raised meanwhile pushes the rest down without leaving a gap.
 */
export function AlertPageItems({ rows, ...p }: PageProps & { rows: AlertRow[] }) {
  const last = rows.at(-1);
  return (
    <>
      {rows.map((a) => (
        <li key={a.id}>
          <AlertCard alert={a} now={p.now} canAct={p.canAct} onNotice={p.onNotice} />
        </li>
      ))}
      {last && rows.length >= ALERT_PAGE_SIZE && (p.more > 0 ? <NextAlertPage {...p} before={last.id} more={p.more - 1} /> : <LoadMore onClick={p.onLoadMore} />)}
    </>
  );
}

function NextAlertPage({ before, ...p }: PageProps & { before: number }) {
  const trpc = useTRPC();
  const page = useQuery({ ...trpc.monitoring.alerts.queryOptions({ ...p.filter, before, limit: ALERT_PAGE_SIZE }), placeholderData: keepPreviousData, refetchInterval: ALERTS_REFRESH_MS });
  if (page.isPending)
    return (
      <li>
        <Skeleton rows={2} />
      </li>
    );
  if (page.isError)
    return (
      <li>
        <Notice tone="error">{messageOf(page.error)}</Notice>
      </li>
    );
  if (page.data.length === 0)
    return (
      <li className="py-2 text-center text-sm text-slate-500">
        That was the last alert.
      </li>
    );
  return <AlertPageItems rows={page.data} {...p} />;
}

function LoadMore({ onClick }: { onClick: () => void }) {
  return (
    <li className="flex justify-center pt-2">
      <Button variant="secondary" onClick={onClick}>
        Load more
      </Button>
    </li>
  );
}
