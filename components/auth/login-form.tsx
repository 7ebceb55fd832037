"use client";

import { useEffect, type FormEvent } from "react";
import { useRouter, useSearchParams } from "next/navigation";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/trpc-provider";
import { fieldErrorsOf, messageOf } from "@/components/trpc/errors";
import { TextField } from "@/components/ui/field";
import { Button } from "@/components/ui/button";
import { Notice } from "@/components/ui/notice";
import { AuthFrame } from "./auth-frame";

/** Only same-site paths are followed after sign-in, never another origin. */
function safeNext(next: string | null): string {
  return next && next.startsWith("/") && !next.startsWith("//") ? next : "/";
}

export function LoginForm() {
  const trpc = useTRPC();
  const router = useRouter();
  const params = useSearchParams();
  const queryClient = useQueryClient();
  const status = useQuery(trpc.auth.status.queryOptions());
  const login = useMutation(
    trpc.auth.login.mutationOptions({
      onSuccess: (user) => {
        // Drop everything cached while signed out (above all "me = null") before entering the console.
        queryClient.clear();
        router.replace(user.mustChangePassword ? "/change-password" : safeNext(params.get("next")));
      },
    }),
  );

  useEffect(() => {
    if (status.data?.setupRequired) router.replace("/setup");
  }, [status.data, router]);

  // Uncontrolled inputs read on submit: what a quick user typed before the page hydrated is kept.
  const onSubmit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    login.mutate({ username: String(form.get("username") ?? ""), password: String(form.get("password") ?? "") });
  };
  const fields = fieldErrorsOf(login.error);

  return (
    <AuthFrame title="Sign in" subtitle={status.data ? <>to server <strong>{status.data.serverName}</strong></> : undefined}>
      {/* method=post: a submit before hydration must never put the password in a URL */}
      <form onSubmit={onSubmit} method="post" className="space-y-4" noValidate>
        {params.get("setup") === "done" && !login.error && <Notice tone="success">Administrator created. Sign in with it.</Notice>}
        {login.error && !fields.username && !fields.password && <Notice tone="error">{messageOf(login.error)}</Notice>}
        <TextField label="User name" name="username" autoComplete="username" autoFocus errors={fields.username} />
        <TextField label="Password" name="password" type="password" autoComplete="current-password" errors={fields.password} />
        <Button type="submit" className="w-full" disabled={login.isPending}>
          {login.isPending ? "Signing in…" : "Sign in"}
        </Button>
      </form>
    </AuthFrame>
  );
}
