"use client";

import { useEffect, useState, type FormEvent } from "react";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/trpc-provider";
import { fieldErrorsOf, messageOf } from "@/components/trpc/errors";
import { TextField } from "@/components/ui/field";
import { Button } from "@/components/ui/button";
import { Notice } from "@/components/ui/notice";
import { AuthFrame } from "./auth-frame";

/** First start on an empty catalog: create the first administrator. */
export function SetupForm() {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const status = useQuery(trpc.auth.status.queryOptions());
  const [form, setForm] = useState({ username: "", displayName: "", password: "", confirm: "" });
  const [mismatch, setMismatch] = useState(false);
  const setup = useMutation(trpc.auth.setup.mutationOptions({
      onSuccess: () => {
        queryClient.clear(); // the cached "setup required" would send the sign-in page straight back here
        router.replace("/login?setup=done");
      },
    }));

  useEffect(() => {
    if (status.data && !status.data.setupRequired) router.replace("/login");
  }, [status.data, router]);

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    const differs = form.password !== form.confirm;
    setMismatch(differs);
    if (!differs) setup.mutate({ username: form.username, displayName: form.displayName || undefined, password: form.password });
  };
  const fields = fieldErrorsOf(setup.error);
  const set = (k: keyof typeof form) => (e: { target: { value: string } }) => setForm({ ...form, [k]: e.target.value });

  return (
    <AuthFrame title="Set up Custodian" subtitle="This server has no users yet. Create the first administrator; you can add other users and roles afterwards.">
      <form onSubmit={onSubmit} method="post" className="space-y-4" noValidate>
        {setup.error && Object.keys(fields).length === 0 && <Notice tone="error">{messageOf(setup.error)}</Notice>}
        <TextField label="User name" name="username" autoComplete="username" autoFocus value={form.username} onChange={set("username")} errors={fields.username} hint="Lower-case letters, digits, dot, dash or underscore." />
        <TextField label="Display name (optional)" name="displayName" value={form.displayName} onChange={set("displayName")} errors={fields.displayName} />
        <TextField label="Password" name="password" type="password" autoComplete="new-password" value={form.password} onChange={set("password")} errors={fields.password} hint="At least 10 characters." />
        <TextField label="Confirm password" name="confirm" type="password" autoComplete="new-password" value={form.confirm} onChange={set("confirm")} errors={mismatch ? ["The two passwords differ."] : undefined} />
        <Button type="submit" className="w-full" disabled={setup.isPending}>
          {setup.isPending ? "Creating…" : "Create administrator"}
        </Button>
      </form>
      <p className="mt-5 border-t border-slate-200 pt-4 text-sm text-slate-600">
        Replacing a lost server?{" "}
        <Link href="/setup/rebuild" className="font-medium text-brand-700 hover:underline">
          Rebuild it from its secondary
        </Link>{" "}
        instead: its catalog, recovery points and users come back.
      </p>
    </AuthFrame>
  );
}
