"use client";

export default function ErrorPage({ reset }: { error: Error; reset: () => void }) {
  // The error itself is logged on the server; the browser only learns that something failed.
  return (
    <main className="flex min-h-[60vh] flex-col items-center justify-center gap-3 px-4 text-center">
      <h1 className="text-xl font-semibold text-slate-900">Something went wrong</h1>
      <p className="text-sm text-slate-600">The server log has the details.</p>
      <button type="button" onClick={reset} className="rounded-md bg-brand-600 px-4 py-2 text-sm font-medium text-white">
        Try again
      </button>
    </main>
  );
}
