"use client";

import { useState, type ReactNode } from "react";
import { Button } from "@/components/ui/button";

/**
 * A button whose action needs a second, explicit click: the question appears in place, with
 * the action and a way back, instead of a browser dialog.
 */
export function ConfirmButton({
  children,
  question,
  confirmLabel,
  onConfirm,
  disabled,
  variant = "danger",
  ariaLabel,
  keepLabel = "Keep it",
}: {
  children: ReactNode;
  question: ReactNode;
  confirmLabel: string;
  onConfirm: () => void;
  disabled?: boolean;
  variant?: "danger" | "secondary";
  ariaLabel?: string;
  keepLabel?: string;
}) {
  const [asking, setAsking] = useState(false);
  if (!asking)
    return (
      <Button variant={variant} className="px-2.5 py-1.5 text-xs" disabled={disabled} aria-label={ariaLabel} onClick={() => setAsking(true)}>
        {children}
      </Button>
    );
  return (
    <div role="group" aria-label={typeof question === "string" ? question : confirmLabel} className="flex max-w-xs flex-wrap items-center justify-end gap-2 whitespace-normal rounded-md bg-slate-50 p-2 text-left text-xs text-slate-700 ring-1 ring-slate-200">
      <span className="basis-full">{question}</span>
      <Button
        variant="danger"
        className="px-2.5 py-1 text-xs"
        disabled={disabled}
        onClick={() => {
          setAsking(false);
          onConfirm();
        }}
      >
        {confirmLabel}
      </Button>
      <Button variant="ghost" className="px-2.5 py-1 text-xs" onClick={() => setAsking(false)}>
        {keepLabel}
      </Button>
    </div>
  );
}
