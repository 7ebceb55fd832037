"use client";

import { useCallback, useEffect, useRef, useState } from "react";

export interface MenuAction {
  label: string;
  onSelect: () => void;
  danger?: boolean;
  disabled?: boolean;
}

const WIDTH = 240;

/**
 * A row's actions behind a "⋯" button. The list is placed with fixed coordinates next to
 * the button, so a scrolling table around it cannot clip it, and follows the button when
 * the page scrolls or resizes.
 */
export function ActionsMenu({ label, actions }: { label: string; actions: MenuAction[] }) {
  const [at, setAt] = useState<{ top: number; left: number } | null>(null);
  const button = useRef<HTMLButtonElement>(null);
  const menu = useRef<HTMLDivElement>(null);
  const open = at !== null;
  const place = useCallback(() => {
    const r = button.current!.getBoundingClientRect();
    // Opens upwards when there is no room below (about 32 px an item).
    const height = actions.length * 32 + 8;
    const top = r.bottom + 4 + height > window.innerHeight && r.top - 4 - height > 0 ? r.top - 4 - height : r.bottom + 4;
    setAt({ top, left: Math.max(8, r.right - WIDTH) });
  }, [actions.length]);
  useEffect(() => {
    if (!open) return;
    const close = () => setAt(null);
    const onDown = (e: MouseEvent) => {
      if (!menu.current?.contains(e.target as Node) && !button.current?.contains(e.target as Node)) close();
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape") {
        close();
        button.current?.focus();
      }
    };
    document.addEventListener("mousedown", onDown);
    document.addEventListener("keydown", onKey);
    window.addEventListener("scroll", place, true);
    window.addEventListener("resize", place);
    menu.current?.querySelector<HTMLButtonElement>("button:not(:disabled)")?.focus({ preventScroll: true });
    return () => {
      document.removeEventListener("mousedown", onDown);
      document.removeEventListener("keydown", onKey);
      window.removeEventListener("scroll", place, true);
      window.removeEventListener("resize", place);
    };
  }, [open, place]);

  const toggle = () => (open ? setAt(null) : place());

  return (
    <>
      <button
        ref={button}
        type="button"
        aria-haspopup="menu"
        aria-expanded={open}
        aria-label={label}
        title="Actions"
        onClick={toggle}
        className="inline-flex items-center rounded-md px-2 py-1.5 text-slate-600 ring-1 ring-slate-300 hover:bg-slate-50 hover:text-slate-900"
      >
        <svg aria-hidden viewBox="0 0 20 20" className="h-4 w-4" fill="currentColor">
          <circle cx="4" cy="10" r="1.6" />
          <circle cx="10" cy="10" r="1.6" />
          <circle cx="16" cy="10" r="1.6" />
        </svg>
      </button>
      {at && (
        <div ref={menu} role="menu" aria-label={label} style={{ top: at.top, left: at.left, width: WIDTH }} className="fixed z-30 rounded-md border border-slate-200 bg-white py-1 text-left shadow-lg">
          {actions.map((a) => (
            <button
              key={a.label}
              type="button"
              role="menuitem"
              disabled={a.disabled}
              onClick={() => {
                setAt(null);
                a.onSelect();
              }}
              className={`block w-full px-3 py-1.5 text-left text-sm disabled:cursor-not-allowed disabled:text-slate-300 ${a.danger ? "text-red-700 hover:bg-red-50" : "text-slate-700 hover:bg-slate-100"}`}
            >
              {a.label}
            </button>
          ))}
        </div>
      )}
    </>
  );
}
