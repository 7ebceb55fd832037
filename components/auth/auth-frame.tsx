import type { ReactNode } from "react";

export function AuthFrame({ title, subtitle, children, wide = false }: { title: string; subtitle?: ReactNode; children: ReactNode; wide?: boolean }) {
  return (
    <main className="flex min-h-screen items-center justify-center bg-slate-100 px-4">
      <div className={`w-full ${wide ? "max-w-2xl py-10" : "max-w-sm"}`}>
        <div className="mb-6 flex items-center justify-center gap-2 text-2xl font-semibold text-slate-900">
          <svg aria-hidden viewBox="0 0 24 24" className="h-8 w-8 text-brand-600" fill="currentColor">
            <path d="M12 2l8 3v6c0 5-3.4 9.4-8 11-4.6-1.6-8-6-8-11V5l8-3z" />
          </svg>
          Custodian
        </div>
        <div className="rounded-lg border border-slate-200 bg-white p-6 shadow-sm">
          <h1 className="text-lg font-semibold text-slate-900">{title}</h1>
          {subtitle && <p className="mt-1 text-sm text-slate-600">{subtitle}</p>}
          <div className="mt-5">{children}</div>
        </div>
      </div>
    </main>
  );
}
