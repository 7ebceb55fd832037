"use client";

import Link from "next/link";
import { usePathname, useRouter } from "next/navigation";
import { useEffect, type ReactNode } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/trpc-provider";
import { Skeleton } from "@/components/ui/skeleton";
import { EmptyState } from "@/components/ui/empty-state";
import { navigationFor, navItemFor } from "./navigation";
import { ROLE_INFO } from "./roles";

/**
 * The signed-in console: sidebar navigation for the user's role, a header with the server
 * and the user, and the page. The API enforces every permission; the shell only avoids
 * showing a role what it cannot use.
 */
export function AppShell({ children }: { children: ReactNode }) {
  const trpc = useTRPC();
  const router = useRouter();
  const pathname = usePathname();
  const queryClient = useQueryClient();
  const me = useQuery(trpc.auth.me.queryOptions());
  const status = useQuery(trpc.auth.status.queryOptions());
  const logout = useMutation(
    trpc.auth.logout.mutationOptions({
      onSettled: () => {
        queryClient.clear();
        router.replace("/login");
      },
    }),
  );

  const user = me.data;
  useEffect(() => {
    if (status.data?.setupRequired) router.replace("/setup");
    else if (me.isSuccess && !me.isFetching && !user) router.replace(`/login?next=${encodeURIComponent(pathname)}`);
    else if (user?.mustChangePassword) router.replace("/change-password");
  }, [me.isSuccess, me.isFetching, user, status.data, pathname, router]);

  if (!user) {
    return (
      <div className="mx-auto max-w-md p-10">
        <Skeleton rows={4} />
      </div>
    );
  }

  const sections = navigationFor(user.role);
  const item = navItemFor(pathname);
  const allowed = !item || item.roles.includes(user.role);

  return (
    <div className="flex min-h-screen">
      <aside className="flex w-60 shrink-0 flex-col bg-slate-900 text-slate-200">
        <Link href="/" className="flex items-center gap-2 px-5 py-5 text-lg font-semibold text-white">
          <svg aria-hidden viewBox="0 0 24 24" className="h-6 w-6 text-brand-500" fill="currentColor">
            <path d="M12 2l8 3v6c0 5-3.4 9.4-8 11-4.6-1.6-8-6-8-11V5l8-3z" />
          </svg>
          Custodian
        </Link>
        <nav aria-label="Main" className="flex-1 space-y-5 px-3 pb-6">
          {sections.map((s) => (
            <div key={s.label}>
              <p className="px-2 pb-1 text-xs font-semibold uppercase tracking-wider text-slate-400">{s.label}</p>
              <ul className="space-y-0.5">
                {s.items.map((i) => {
                  const active = pathname === i.href || pathname.startsWith(i.href + "/");
                  return (
                    <li key={i.href}>
                      <Link
                        href={i.href}
                        aria-current={active ? "page" : undefined}
                        className={`block rounded-md px-2 py-1.5 text-sm ${active ? "bg-slate-700 font-medium text-white" : "text-slate-300 hover:bg-slate-800 hover:text-white"}`}
                      >
                        {i.label}
                      </Link>
                    </li>
                  );
                })}
              </ul>
            </div>
          ))}
        </nav>
      </aside>
      <div className="flex min-w-0 flex-1 flex-col">
        <header className="flex items-center justify-between border-b border-slate-200 bg-white px-8 py-3">
          <p className="text-sm text-slate-600">
            Server <span className="font-medium text-slate-900">{status.data?.serverName ?? "…"}</span>
          </p>
          <div className="flex items-center gap-4 text-sm">
            <span data-testid="current-user">
              <span className="font-medium text-slate-900">{user.displayName || user.username}</span>{" "}
              <span className="text-slate-500">({ROLE_INFO[user.role].label})</span>
            </span>
            <button type="button" onClick={() => logout.mutate()} className="rounded-md px-2 py-1 text-slate-600 hover:bg-slate-100 hover:text-slate-900">
              Sign out
            </button>
          </div>
        </header>
        <main className="flex-1 px-8 py-8">
          {allowed ? (
            children
          ) : (
            <EmptyState title="This page is not part of your role">
              Your role, {ROLE_INFO[user.role].label}, cannot open {item?.label}. Ask an administrator if you need it.
            </EmptyState>
          )}
        </main>
      </div>
    </div>
  );
}
