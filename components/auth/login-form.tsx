"use client";

import { useEffect, useState, type FormEvent } from "react";
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
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const login = useMutation(
    trpc.auth.login.mutationOptions({
      onSuccess: async (user) => {
        await queryClient.invalidateQueries();
        router.replace(user.mustChangePassword ? "/change-password" : safeNext(params.get("next")));
      },
    }),
  );

  useEffect(() => {
    if (status.data?.setupRequired) router.replace("/setup");
  }, [status.data, router]);

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    login.mutate({ username, password });
  };
  const fields = fieldErrorsOf(login.error);

  return (
    <AuthFrame title="Sign in" subtitle={status.data ? <>to server <strong>{status.data.serverName}</strong></> : undefined}>
      <form onSubmit={onSubmit} className="space-y-4" noValidate>
        {login.error && !fields.username && !fields.password && <Notice tone="error">{messageOf(login.error)}</Notice>}
        <TextField label="User name" name="username" autoComplete="username" autoFocus value={username} onChange={(e) => setUsername(e.target.value)} errors={fields.username} />
        <TextField label="Password" name="password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} errors={fields.password} />
        <Button type="submit" className="w-full" disabled={login.isPending}>
          {login.isPending ? "Signing in…" : "Sign in"}
        </Button>
      </form>
    </AuthFrame>
  );
}
