import { TextField } from "./field";

interface FieldText {
  label: string;
  placeholder?: string;
  hint: string;
}

/**
 * Another process's address and the one-time token it printed or its admin created: how an
 * agent is paired and how a secondary links to its primary. Two fields side by side.
 */
export function AddressTokenFields({
  value,
  onChange,
  errors,
  address,
  token,
}: {
  value: { url: string; token: string };
  onChange: (value: { url: string; token: string }) => void;
  errors: Record<string, string[] | undefined>;
  address: FieldText;
  token: FieldText;
}) {
  return (
    <div className="grid gap-4 md:grid-cols-2">
      <TextField
        label={address.label}
        name="url"
        value={value.url}
        onChange={(e) => onChange({ ...value, url: e.target.value })}
        errors={errors.url}
        placeholder={address.placeholder}
        autoComplete="off"
        hint={address.hint}
      />
      <TextField
        label={token.label}
        name="token"
        value={value.token}
        onChange={(e) => onChange({ ...value, token: e.target.value })}
        errors={errors.token}
        autoComplete="off"
        spellCheck={false}
        hint={token.hint}
      />
    </div>
  );
}
