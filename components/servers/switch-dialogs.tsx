"use client";

import Link from "next/link";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/trpc-provider";
import { messageOf } from "@/components/trpc/errors";
import { Modal } from "@/components/ui/modal";
import { Button } from "@/components/ui/button";
import { Notice } from "@/components/ui/notice";

/** What a switch or a switch back is asked for: a protection group of the primary, or data sources. */
export type SwitchTarget = { label: string } & ({ groupId: number } | { dataSourceIds: number[] });

interface Outcome {
  done: { id: number; name: string; computer: string; checkJobId: number }[];
  refused: { id: number; name: string; computer: string; issues: { rule: string; message: string }[] }[];
}

const JobLink = ({ id, children }: { id: number; children: string }) => (
  <Link href={`/monitoring/jobs/${id}`} className="font-medium text-brand-700 underline">
    {children}
  </Link>
);

function OutcomeLists({ outcome, doneLabel, doneWord }: { outcome: Outcome; doneLabel: string; doneWord: string }) {
  return (
    <div className="space-y-4 text-sm">
      <p role="status" className="text-slate-700">
        {outcome.done.length} {doneWord}, {outcome.refused.length} refused.
      </p>
      {outcome.done.length > 0 && (
        <section aria-label={doneLabel}>
          <h3 className="font-medium text-green-800">{doneLabel}</h3>
          <ul className="mt-1 list-inside list-disc space-y-0.5 text-slate-700">
            {outcome.done.map((s) => (
              <li key={s.id}>
                {s.computer} › {s.name}: consistency check <JobLink id={s.checkJobId}>{`job #${s.checkJobId}`}</JobLink>
              </li>
            ))}
          </ul>
        </section>
      )}
      {outcome.refused.length > 0 && (
        <section aria-label="Refused">
          <h3 className="font-medium text-red-800">Refused</h3>
          <ul className="mt-1 space-y-2">
            {outcome.refused.map((s) => (
              <li key={s.id} className="rounded-md border border-red-200 bg-red-50 px-3 py-2 text-red-900">
                <span className="font-medium">
                  {s.computer} › {s.name}
                </span>
                <ul className="mt-0.5 list-inside list-disc">
                  {s.issues.map((i) => (
                    <li key={i.rule + i.message}>
                      {i.message} <span className="text-xs text-red-700">(rule: {i.rule})</span>
                    </li>
                  ))}
                </ul>
              </li>
            ))}
          </ul>
        </section>
      )}
    </div>
  );
}

/** DPM's "Switch disaster protection", with what it does spelled out before it is done, and what it did (or refused) after. */
export function SwitchDialog({ primaryId, primaryName, target, onClose }: { primaryId: string; primaryName: string; target: SwitchTarget; onClose: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const run = useMutation(
    trpc.servers.switchProtection.mutationOptions({
      onSettled: () => Promise.all([queryClient.invalidateQueries(trpc.servers.pathFilter()), queryClient.invalidateQueries(trpc.monitoring.jobs.pathFilter())]),
    }),
  );
  const outcome: Outcome | null = run.data ? { done: run.data.switched, refused: run.data.refused } : null;
  return (
    <Modal
      title={`Switch protection of ${target.label}`}
      subtitle={`From ${primaryName} to this server`}
      onClose={onClose}
      footer={
        outcome ? (
          <Button onClick={onClose}>Done</Button>
        ) : (
          <>
            <Button variant="ghost" onClick={onClose}>
              Cancel
            </Button>
            <Button variant="danger" disabled={run.isPending} onClick={() => run.mutate({ primaryId, ...("groupId" in target ? { groupId: target.groupId } : { dataSourceIds: target.dataSourceIds }) })}>
              {run.isPending ? "Switching…" : "Switch protection"}
            </Button>
          </>
        )
      }
    >
      {outcome ? (
        <OutcomeLists outcome={outcome} doneLabel="Switched to this server" doneWord="switched" />
      ) : (
        <div className="space-y-3 text-sm text-slate-700">
          <p>This server takes over protection of {target.label} from {primaryName}, usually because {primaryName} is lost or will be down for long:</p>
          <ul className="list-inside list-disc space-y-1">
            <li>The protection agent of each data source takes this server as its owner. From then on the agent refuses {primaryName}: it is fenced off.</li>
            <li>Each switched replica is inconsistent until a consistency check, which runs here at once; then this server makes recovery points on top of the copies it holds, under {primaryName}&apos;s policy.</li>
            <li>When {primaryName} is back, it raises &ldquo;Agent ownership required&rdquo; and does not protect these sources until its admin takes ownership back (switch back).</li>
          </ul>
          <p className="text-slate-600">Sources on {primaryName}&apos;s own computer, or without a copy here yet, are refused one by one with the reason; the others switch.</p>
          {run.error && <Notice tone="error">{messageOf(run.error)}</Notice>}
        </div>
      )}
    </Modal>
  );
}

/** Switch back, on the primary: its switched sources' agents return to it and the secondary's recovery points are pulled back. */
export function TakeOwnershipDialog({ secondaryName, target, onClose }: { secondaryName: string; target: { label: string; dataSourceIds: number[] }; onClose: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const run = useMutation(
    trpc.servers.takeOwnership.mutationOptions({
      onSettled: () => Promise.all([queryClient.invalidateQueries(trpc.servers.pathFilter()), queryClient.invalidateQueries(trpc.monitoring.pathFilter())]),
    }),
  );
  const outcome: Outcome | null = run.data ? { done: run.data.taken, refused: run.data.refused } : null;
  return (
    <Modal
      title={`Take ownership of ${target.label}`}
      subtitle={`Switch back from ${secondaryName} to this server`}
      onClose={onClose}
      footer={
        outcome ? (
          <Button onClick={onClose}>Done</Button>
        ) : (
          <>
            <Button variant="ghost" onClick={onClose}>
              Cancel
            </Button>
            <Button disabled={run.isPending} onClick={() => run.mutate({ dataSourceIds: target.dataSourceIds })}>
              {run.isPending ? "Taking ownership…" : "Take ownership"}
            </Button>
          </>
        )
      }
    >
      {outcome ? (
        <div className="space-y-4">
          <OutcomeLists outcome={outcome} doneLabel="Protected by this server again" doneWord="taken back" />
          {run.data?.pullJobId && (
            <p className="text-sm text-slate-700">
              The recovery points {secondaryName} made meanwhile are being copied back: <JobLink id={run.data.pullJobId}>{`job #${run.data.pullJobId}`}</JobLink>.
            </p>
          )}
          {run.data?.secondaryTold && run.data.secondaryTold !== "ok" && (
            <Notice tone="warning">
              {secondaryName} could not be told ({run.data.secondaryTold}); the agents refuse it already, and it learns at its next contact.
            </Notice>
          )}
        </div>
      ) : (
        <div className="space-y-3 text-sm text-slate-700">
          <p>
            {secondaryName} protects {target.label} since protection was switched to it. Taking ownership returns protection to this server:
          </p>
          <ul className="list-inside list-disc space-y-1">
            <li>The protection agents take this server as their owner again and refuse {secondaryName}; {secondaryName} is told to stop.</li>
            <li>The recovery points {secondaryName} made meanwhile are copied back here, so the history has no gap.</li>
            <li>A consistency check of this server&apos;s replica runs, then the protection group&apos;s schedule goes on here.</li>
          </ul>
          {run.error && <Notice tone="error">{messageOf(run.error)}</Notice>}
        </div>
      )}
    </Modal>
  );
}
