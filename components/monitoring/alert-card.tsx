"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/trpc-provider";
import { messageOf } from "@/components/trpc/errors";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { ALERT_TYPE_LABEL, SEVERITY_LABEL } from "./format";
import { ConfirmButton } from "./confirm-button";
import { JobRefText } from "./job-ref-text";
import { RelativeTime } from "./time";
import type { AlertRow } from "./types";

const EDGE = { critical: "border-l-red-500", warning: "border-l-amber-400", info: "border-l-brand-500" } as const;

export type AlertNotice = { tone: "success" | "error"; text: string };

/** One alert: what, where, since when, what to do; and for admins, acknowledge or mark inactive. */
export function AlertCard({ alert: a, now, canAct, onNotice }: { alert: AlertRow; now: Date; canAct: boolean; onNotice: (n: AlertNotice) => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const refresh = () => Promise.all([queryClient.invalidateQueries(trpc.monitoring.alerts.pathFilter()), queryClient.invalidateQueries(trpc.monitoring.alertCounts.pathFilter())]);
  const onError = (e: unknown) => {
    onNotice({ tone: "error", text: messageOf(e) });
    return refresh();
  };
  const acknowledge = useMutation(trpc.monitoring.acknowledgeAlert.mutationOptions({ onSuccess: refresh, onError }));
  const inactivate = useMutation(
    trpc.monitoring.inactivateAlert.mutationOptions({
      onSuccess: () => {
        onNotice({ tone: "success", text: `“${a.title}” was marked inactive. The system raises it again if the condition persists.` });
        return refresh();
      },
      onError,
    }),
  );
  const where = [a.computer, a.group ? `group ${a.group}` : null].filter(Boolean).join(" · ");
  const titleId = `alert-${a.id}-title`;

  return (
    <article aria-labelledby={titleId} className={`rounded-lg border border-l-4 border-slate-200 bg-white px-5 py-4 shadow-sm ${EDGE[a.severity]} ${a.active ? "" : "opacity-75"}`}>
      <div className="flex flex-wrap items-start justify-between gap-3">
        <div className="min-w-0 space-y-1">
          <div className="flex flex-wrap items-center gap-2">
            <Badge tone={a.severity}>{SEVERITY_LABEL[a.severity]}</Badge>
            {!a.active && <Badge>Inactive</Badge>}
            <h3 id={titleId} className="font-semibold text-slate-900">
              {a.title}
            </h3>
          </div>
          <p className="text-sm text-slate-600">
            {where || "This server"}
            {!a.title.startsWith(ALERT_TYPE_LABEL[a.type] ?? a.type) && <span className="text-slate-400"> · {ALERT_TYPE_LABEL[a.type] ?? a.type}</span>}
          </p>
        </div>
        {canAct && a.active && (
          <div className="flex shrink-0 items-start gap-2">
            {!a.acknowledgedBy && (
              <Button variant="secondary" className="px-2.5 py-1.5 text-xs" disabled={acknowledge.isPending} onClick={() => acknowledge.mutate({ id: a.id })}>
                Acknowledge
              </Button>
            )}
            <ConfirmButton
              variant="secondary"
              question="Mark this alert inactive? If the condition still holds, the system raises it again."
              confirmLabel="Mark inactive"
              disabled={inactivate.isPending}
              onConfirm={() => inactivate.mutate({ id: a.id })}
            >
              Mark inactive
            </ConfirmButton>
          </div>
        )}
      </div>
      {a.detail && (
        <p className="mt-3 text-sm text-slate-700">
          <JobRefText text={a.detail} />
        </p>
      )}
      {a.recommendedAction && (
        <p className="mt-2 text-sm text-slate-700">
          <span className="font-medium text-slate-900">Recommended action: </span>
          <JobRefText text={a.recommendedAction} />
        </p>
      )}
      <p className="mt-3 flex flex-wrap gap-x-2 gap-y-1 text-xs text-slate-500">
        <span>
          Raised <RelativeTime date={a.raisedAt} now={now} />
        </span>
        {a.lastSeenAt && (
          <span>
            · last seen <RelativeTime date={a.lastSeenAt} now={now} />
          </span>
        )}
        {a.acknowledgedBy && (
          <span>
            · acknowledged by <span className="font-medium text-slate-700">{a.acknowledgedBy}</span> <RelativeTime date={a.acknowledgedAt} now={now} />
          </span>
        )}
        {!a.active && (
          <span>
            · resolved <RelativeTime date={a.resolvedAt} now={now} />{" "}
            {a.resolvedBy === "system" || !a.resolvedBy ? (
              "by the system (the condition cleared)"
            ) : (
              <>
                by <span className="font-medium text-slate-700">{a.resolvedBy}</span> (marked inactive)
              </>
            )}
          </span>
        )}
      </p>
    </article>
  );
}
