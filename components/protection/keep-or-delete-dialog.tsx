"use client";

import { useEffect, useId, useRef, useState, type ReactNode } from "react";
import { Button } from "@/components/ui/button";
import { Notice } from "@/components/ui/notice";

/**
 * DPM's "stop protection" choice (DPM-REFERENCE §2.1): keep the protected data or delete
 * it. Nothing is preselected: the admin has to choose, and is told what each choice does.
 */
export function KeepOrDeleteDialog({
  open,
  title,
  children,
  recoveryPoints,
  confirmLabel,
  pending,
  error,
  onCancel,
  onConfirm,
}: {
  open: boolean;
  title: string;
  children: ReactNode;
  recoveryPoints: number;
  confirmLabel: string;
  pending: boolean;
  error: string | null;
  onCancel: () => void;
  onConfirm: (keepData: boolean) => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const [choice, setChoice] = useState<"keep" | "delete" | null>(null);
  const id = useId();
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) {
      setChoice(null);
      d.showModal();
    } else if (!open && d.open) d.close();
  }, [open]);
  const rps = `${recoveryPoints} ${recoveryPoints === 1 ? "recovery point" : "recovery points"}`;

  return (
    <dialog
      ref={ref}
      aria-labelledby={`${id}-title`}
      onCancel={(e) => {
        e.preventDefault();
        if (!pending) onCancel();
      }}
      className="m-auto w-full max-w-lg rounded-lg border border-slate-200 p-0 shadow-xl backdrop:bg-slate-900/40"
    >
      <form
        method="dialog"
        className="space-y-4 p-6"
        onSubmit={(e) => {
          e.preventDefault();
          if (choice) onConfirm(choice === "keep");
        }}
      >
        <h2 id={`${id}-title`} className="text-lg font-semibold text-slate-900">
          {title}
        </h2>
        <div className="text-sm text-slate-600">{children}</div>
        <fieldset className="space-y-2">
          <legend className="mb-2 text-sm font-medium text-slate-800">What happens to the protected data?</legend>
          <label className={`flex gap-3 rounded-md border p-3 text-sm ${choice === "keep" ? "border-brand-500 bg-brand-50" : "border-slate-200"}`}>
            <input type="radio" name={`${id}-choice`} className="mt-0.5" checked={choice === "keep"} onChange={() => setChoice("keep")} />
            <span>
              <span className="block font-medium text-slate-900">Keep the protected data</span>
              <span className="text-slate-600">The replica and its {rps} stay on this server and can still be restored. No new synchronizations or recovery points are made.</span>
            </span>
          </label>
          <label className={`flex gap-3 rounded-md border p-3 text-sm ${choice === "delete" ? "border-red-400 bg-red-50" : "border-slate-200"}`}>
            <input type="radio" name={`${id}-choice`} className="mt-0.5" checked={choice === "delete"} onChange={() => setChoice("delete")} />
            <span>
              <span className="block font-medium text-slate-900">Delete the protected data</span>
              <span className="text-slate-600">
                The replica and all {rps} are deleted now and can no longer be restored; their storage is freed at the next prune. This cannot be undone.
              </span>
            </span>
          </label>
        </fieldset>
        {error && <Notice tone="error">{error}</Notice>}
        <div className="flex justify-end gap-2 pt-2">
          <Button variant="secondary" onClick={onCancel} disabled={pending}>
            Cancel
          </Button>
          <Button type="submit" variant={choice === "delete" ? "danger" : "primary"} disabled={!choice || pending}>
            {pending ? "Working…" : confirmLabel}
          </Button>
        </div>
      </form>
    </dialog>
  );
}
