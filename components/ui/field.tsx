import { useId, type InputHTMLAttributes, type ReactNode, type SelectHTMLAttributes } from "react";

const inputClass =
  "block w-full rounded-md border-0 bg-white px-3 py-2 text-sm text-slate-900 shadow-sm ring-1 ring-inset placeholder:text-slate-400 focus:ring-2 focus:ring-inset focus:ring-brand-500";

function FieldFrame({ id, label, hint, errors, children }: { id: string; label: string; hint?: ReactNode; errors?: string[]; children: ReactNode }) {
  return (
    <div className="space-y-1.5">
      <label htmlFor={id} className="block text-sm font-medium text-slate-700">
        {label}
      </label>
      {children}
      {errors && errors.length > 0 ? (
        <p id={`${id}-error`} className="text-sm text-red-700" role="alert">
          {errors.join(" ")}
        </p>
      ) : hint ? (
        <p className="text-xs text-slate-500">{hint}</p>
      ) : null}
    </div>
  );
}

/** A labelled input whose server-side validation messages appear right under it. */
export function TextField({ label, hint, errors, ...props }: InputHTMLAttributes<HTMLInputElement> & { label: string; hint?: ReactNode; errors?: string[] }) {
  const id = useId();
  const invalid = !!errors?.length;
  return (
    <FieldFrame id={id} label={label} hint={hint} errors={errors}>
      <input
        id={id}
        aria-invalid={invalid || undefined}
        aria-describedby={invalid ? `${id}-error` : undefined}
        className={`${inputClass} ${invalid ? "ring-red-400" : "ring-slate-300"}`}
        {...props}
      />
    </FieldFrame>
  );
}

export function SelectField({ label, hint, errors, children, ...props }: SelectHTMLAttributes<HTMLSelectElement> & { label: string; hint?: ReactNode; errors?: string[] }) {
  const id = useId();
  const invalid = !!errors?.length;
  return (
    <FieldFrame id={id} label={label} hint={hint} errors={errors}>
      <select id={id} aria-invalid={invalid || undefined} className={`${inputClass} ${invalid ? "ring-red-400" : "ring-slate-300"}`} {...props}>
        {children}
      </select>
    </FieldFrame>
  );
}
