"use client";

import { useState, type FormEvent } from "react";
import { useRouter } from "next/navigation";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/trpc-provider";
import { fieldErrorsOf, messageOf } from "@/components/trpc/errors";
import { TextField } from "@/components/ui/field";
import { Button } from "@/components/ui/button";
import { Notice } from "@/components/ui/notice";
import { AuthFrame } from "./auth-frame";

export function ChangePasswordForm() {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const me = useQuery(trpc.auth.me.queryOptions());
  const [form, setForm] = useState({ currentPassword: "", newPassword: "", confirm: "" });
  const [mismatch, setMismatch] = useState(false);
  const change = useMutation(
    trpc.auth.changePassword.mutationOptions({
      onSuccess: async () => {
        await queryClient.invalidateQueries();
        router.replace("/");
      },
    }),
  );
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    const differs = form.newPassword !== form.confirm;
    setMismatch(differs);
    if (!differs) change.mutate({ currentPassword: form.currentPassword, newPassword: form.newPassword });
  };
  const fields = fieldErrorsOf(change.error);
  const set = (k: keyof typeof form) => (e: { target: { value: string } }) => setForm({ ...form, [k]: e.target.value });

  return (
    <AuthFrame
      title="Change your password"
      subtitle={me.data?.mustChangePassword ? "An administrator reset your password. Choose a new one to go on." : undefined}
    >
      <form onSubmit={onSubmit} method="post" className="space-y-4" noValidate>
        {change.error && Object.keys(fields).length === 0 && <Notice tone="error">{messageOf(change.error)}</Notice>}
        <TextField label="Current password" name="currentPassword" type="password" autoComplete="current-password" value={form.currentPassword} onChange={set("currentPassword")} errors={fields.currentPassword} />
        <TextField label="New password" name="newPassword" type="password" autoComplete="new-password" value={form.newPassword} onChange={set("newPassword")} errors={fields.newPassword} hint="At least 10 characters." />
        <TextField label="Confirm new password" name="confirm" type="password" autoComplete="new-password" value={form.confirm} onChange={set("confirm")} errors={mismatch ? ["The two passwords differ."] : undefined} />
        <Button type="submit" className="w-full" disabled={change.isPending}>
          Change password
        </Button>
      </form>
    </AuthFrame>
  );
}
