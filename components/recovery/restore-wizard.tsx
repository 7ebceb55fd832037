"use client";

import { useId, useState, type ReactNode } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/trpc-provider";
import { Button } from "@/components/ui/button";
import { Notice } from "@/components/ui/notice";
import { TextField } from "@/components/ui/field";
import { formatDateTime } from "@/components/ui/format";
import { fieldErrorsOf, messageOf } from "@/components/trpc/errors";
import { Modal } from "@/components/ui/modal";
import { WhatLine, WhatSummary } from "./restore-what";
import { RestoreProgress } from "./restore-progress";
import { EXISTING_CHOICES, originalLocationRefusal, targetProblem, type ExistingPolicy } from "./restore-target";
import type { RestoreDraft, Role } from "./types";

const STEPS = ["What", "Where", "Existing files", "Summary"] as const;

/**
 * DPM's recovery wizard: review what is restored, where to (the original location for
 * administrators, or an alternate folder), what to do with files already there, a summary,
 * then the restore job's progress and its report.
 */
export function RestoreWizard({ draft, role, onClose }: { draft: RestoreDraft; role: Role; onClose: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const settings = useQuery(trpc.recovery.settings.queryOptions());
  // A copy kept after its link was removed: the computer's agent no longer accepts this server (server/domain/recovery/kept-copies.ts).
  const kept = draft.source.keptCopyOf;
  const originalRefusal = kept
    ? draft.source.keptBecause === "no-agent"
      ? `A copy of ${kept}'s own computer: its built-in agent answers ${kept} only, so it is restored to a folder on this server (administrators only).`
      : `A copy kept from ${kept} after the link with it was removed: ${draft.source.computer}'s agent no longer accepts this server, so it is restored to a folder on this server (administrators only).`
    : originalLocationRefusal(role, draft.source.kind, settings.data?.helpdeskMayRestoreToOriginal ?? false);
  const host = kept ? "this server" : draft.source.computer;
  const [step, setStep] = useState(0);
  const [mode, setMode] = useState<"original" | "alternate">(originalRefusal ? "alternate" : "original");
  const [target, setTarget] = useState("");
  const [targetTouched, setTargetTouched] = useState(false);
  const [existing, setExisting] = useState<ExistingPolicy>("copy");
  const [serverErrors, setServerErrors] = useState<Record<string, string[] | undefined>>({});
  const [jobId, setJobId] = useState<number | null>(null);
  const paths = draft.what.kind === "selection" ? draft.what.paths : draft.what.kind === "version" ? [draft.what.path] : undefined;

  const restore = useMutation(
    trpc.recovery.restore.mutationOptions({
      onSuccess: (r) => {
        setJobId(r.jobId);
        void queryClient.invalidateQueries(trpc.monitoring.pathFilter());
      },
      onError: (err) => {
        const fe = fieldErrorsOf(err);
        setServerErrors(fe);
        if (fe.paths || fe.recoveryPointId) setStep(0);
        else if (fe.target) setStep(1);
        else if (fe.existing) setStep(2);
      },
    }),
  );

  const localTargetProblem = mode === "alternate" ? targetProblem(target) : null;
  const targetErrors = mode === "alternate" && targetTouched && localTargetProblem ? [localTargetProblem] : serverErrors.target;
  const where = mode === "original" ? `the original location${draft.source.path ? `, ${draft.source.path}` : ""}, on ${draft.source.computer}` : `${target.trim()} on ${host}`;

  const next = () => {
    if (step === 1 && localTargetProblem) {
      setTargetTouched(true);
      return;
    }
    setStep((s) => Math.min(s + 1, STEPS.length - 1));
  };

  if (jobId !== null) {
    return (
      <Modal title="Restore" subtitle={`${draft.source.computer} › ${draft.source.label}, recovery point of ${formatDateTime(draft.recoveryPoint.createdAt)}`} onClose={onClose}>
        <RestoreProgress jobId={jobId} role={role} onClose={onClose} />
      </Modal>
    );
  }

  return (
    <Modal
      title="Restore"
      subtitle={`${draft.source.computer} › ${draft.source.label}, recovery point of ${formatDateTime(draft.recoveryPoint.createdAt)}`}
      onClose={onClose}
      footer={
        <>
          <Button variant="ghost" onClick={onClose}>
            Cancel
          </Button>
          {step > 0 && (
            <Button variant="secondary" onClick={() => setStep(step - 1)}>
              Back
            </Button>
          )}
          {step < STEPS.length - 1 ? (
            <Button onClick={next}>Next</Button>
          ) : (
            <Button
              disabled={restore.isPending}
              onClick={() =>
                restore.mutate({ dataSourceId: draft.source.id, recoveryPointId: draft.recoveryPoint.id, target: mode === "alternate" ? target.trim() : undefined, paths, existing })
              }
            >
              {restore.isPending ? "Starting…" : "Restore"}
            </Button>
          )}
        </>
      }
    >
      <ol aria-label="Steps" className="mb-5 flex flex-wrap gap-x-6 gap-y-1 text-sm">
        {STEPS.map((s, i) => (
          <li key={s} aria-current={i === step ? "step" : undefined} className={`flex items-center gap-2 ${i === step ? "font-semibold text-brand-700" : i < step ? "text-slate-700" : "text-slate-400"}`}>
            <span className={`flex h-5 w-5 items-center justify-center rounded-full text-xs ${i === step ? "bg-brand-600 text-white" : i < step ? "bg-slate-200 text-slate-700" : "bg-slate-100"}`}>{i + 1}</span>
            {s}
          </li>
        ))}
      </ol>

      {step === 0 && (
        <section aria-label="What to restore" className="space-y-3">
          <WhatSummary draft={draft} />
          {serverErrors.paths && <Notice tone="error">{serverErrors.paths.join(" ")}</Notice>}
          {serverErrors.recoveryPointId && <Notice tone="error">{serverErrors.recoveryPointId.join(" ")}</Notice>}
        </section>
      )}

      {step === 1 && (
        <fieldset className="space-y-3">
          <legend className="mb-2 text-sm font-semibold text-slate-800">Restore to</legend>
          <Choice
            name="where"
            checked={mode === "original"}
            disabled={originalRefusal !== null}
            onChange={() => setMode("original")}
            label="Original location"
            help={originalRefusal ?? `Back where it was: ${draft.source.path ?? "the data source's own folder"} on ${draft.source.computer}.`}
            helpTone={originalRefusal ? "warning" : "muted"}
          />
          <Choice name="where" checked={mode === "alternate"} onChange={() => setMode("alternate")} label="An alternate folder" help={`A folder on ${host}; the items keep their paths inside it.`} />
          {mode === "alternate" && (
            <div className="pl-7">
              <TextField
                label={`Folder on ${host}`}
                value={target}
                placeholder="/srv/restores/ticket-1234"
                autoFocus
                onChange={(e) => {
                  setTarget(e.target.value);
                  setServerErrors((s) => ({ ...s, target: undefined }));
                }}
                onBlur={() => target && setTargetTouched(true)}
                errors={targetErrors}
                hint="An absolute path, e.g. /srv/restores/ticket-1234. It is created if it does not exist."
              />
            </div>
          )}
        </fieldset>
      )}

      {step === 2 && (
        <fieldset className="space-y-3">
          <legend className="mb-2 text-sm font-semibold text-slate-800">When a file is already there</legend>
          {EXISTING_CHOICES.map((c) => (
            <Choice key={c.value} name="existing" checked={existing === c.value} onChange={() => setExisting(c.value)} label={`${c.label}${c.value === "copy" ? " (recommended)" : ""}`} help={c.help} />
          ))}
          {mode === "original" && existing === "overwrite" && <Notice tone="warning">Overwrite replaces the current files in the original location with the recovered ones.</Notice>}
          {serverErrors.existing && <Notice tone="error">{serverErrors.existing.join(" ")}</Notice>}
        </fieldset>
      )}

      {step === 3 && (
        <section aria-label="Summary" className="space-y-4">
          <dl className="grid grid-cols-[10rem_minmax(0,1fr)] gap-x-4 gap-y-2 text-sm">
            <Row term="Data source">
              {draft.source.computer} › {draft.source.label}
            </Row>
            <Row term="Recovery point">{formatDateTime(draft.recoveryPoint.createdAt)}</Row>
            <Row term="What">
              <WhatLine draft={draft} />
            </Row>
            <Row term="Restore to">
              <span className="break-all">{where}</span>
            </Row>
            <Row term="Existing files">{EXISTING_CHOICES.find((c) => c.value === existing)!.label}</Row>
          </dl>
          {restore.isError && <Notice tone="error">{messageOf(restore.error)}</Notice>}
        </section>
      )}
    </Modal>
  );
}

function Row({ term, children }: { term: string; children: ReactNode }) {
  return (
    <>
      <dt className="font-medium text-slate-500">{term}</dt>
      <dd className="text-slate-900">{children}</dd>
    </>
  );
}

function Choice({ name, checked, disabled = false, onChange, label, help, helpTone = "muted" }: { name: string; checked: boolean; disabled?: boolean; onChange: () => void; label: string; help: string; helpTone?: "muted" | "warning" }) {
  const id = useId();
  return (
    <div className="flex gap-3">
      <input id={id} type="radio" name={name} checked={checked} disabled={disabled} onChange={onChange} aria-describedby={`${id}-help`} className="mt-0.5 h-4 w-4 accent-brand-600" />
      <div className="text-sm">
        <label htmlFor={id} className={`font-medium ${disabled ? "text-slate-400" : "text-slate-800"}`}>
          {label}
        </label>
        <p id={`${id}-help`} className={helpTone === "warning" ? "text-amber-800" : "text-slate-500"}>
          {help}
        </p>
      </div>
    </div>
  );
}
