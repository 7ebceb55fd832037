"use client";

import { useState, type FormEvent } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import type { Role } from "@/db/schema/users";
import { useTRPC } from "@/components/trpc/trpc-provider";
import { fieldErrorsOf, messageOf } from "@/components/trpc/errors";
import { SelectField, TextField } from "@/components/ui/field";
import { Button } from "@/components/ui/button";
import { Notice } from "@/components/ui/notice";
import { Card } from "@/components/ui/card";
import { ROLE_INFO, ROLE_LIST } from "@/components/shell/roles";

const EMPTY = { username: "", displayName: "", role: "helpdesk" as Role, password: "" };

export function CreateUserForm() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [form, setForm] = useState(EMPTY);
  const [created, setCreated] = useState<string | null>(null);
  const create = useMutation(
    trpc.users.create.mutationOptions({
      onSuccess: async (u) => {
        setCreated(u.username);
        setForm(EMPTY);
        await queryClient.invalidateQueries(trpc.users.list.pathFilter());
      },
    }),
  );
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    setCreated(null);
    create.mutate({ ...form, displayName: form.displayName || undefined, mustChangePassword: true });
  };
  const fields = fieldErrorsOf(create.error);
  const set = (k: keyof typeof form) => (e: { target: { value: string } }) => setForm({ ...form, [k]: e.target.value });

  return (
    <Card title="Add a user">
      <form onSubmit={onSubmit} method="post" className="grid gap-4 md:grid-cols-2" noValidate aria-label="Add a user">
        <TextField label="User name" name="username" value={form.username} onChange={set("username")} errors={fields.username} autoComplete="off" />
        <TextField label="Display name" name="displayName" value={form.displayName} onChange={set("displayName")} errors={fields.displayName} />
        <SelectField label="Role" name="role" value={form.role} onChange={set("role")} errors={fields.role} hint={ROLE_INFO[form.role].description}>
          {ROLE_LIST.map((r) => (
            <option key={r} value={r}>
              {ROLE_INFO[r].label}
            </option>
          ))}
        </SelectField>
        <TextField label="Initial password" name="password" type="password" value={form.password} onChange={set("password")} errors={fields.password} autoComplete="new-password" hint="At least 10 characters; the user must change it at first sign-in." />
        <div className="flex items-center gap-3 md:col-span-2">
          <Button type="submit" disabled={create.isPending}>
            Add user
          </Button>
          {created && <span className="text-sm text-green-700" role="status">User {created} added.</span>}
          {create.error && Object.keys(fields).length === 0 && <Notice tone="error">{messageOf(create.error)}</Notice>}
        </div>
      </form>
    </Card>
  );
}
