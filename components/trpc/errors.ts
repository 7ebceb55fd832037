import { TRPCClientError } from "@trpc/client";

/** Per-field messages from a BAD_REQUEST (zod) or a domain error that names its fields. */
export function fieldErrorsOf(err: unknown): Record<string, string[] | undefined> {
  if (err instanceof TRPCClientError) {
    const data = err.data as { fieldErrors?: Record<string, string[]> | null } | undefined;
    return data?.fieldErrors ?? {};
  }
  return {};
}

/** "wrong pairing token" → "Wrong pairing token." (a message ending in a parenthesis is left as it is). */
export const sentence = (s: string) => `${s.charAt(0).toUpperCase()}${s.slice(1)}${/[.!?)]$/.test(s) ? "" : "."}`;

/** fieldErrorsOf, each message written as a sentence (the forms show them under their fields). */
export function fieldSentencesOf(err: unknown): Record<string, string[] | undefined> {
  return Object.fromEntries(Object.entries(fieldErrorsOf(err)).map(([k, v]) => [k, v?.map(sentence)]));
}

export function messageOf(err: unknown): string {
  if (err instanceof TRPCClientError) return err.message;
  if (err instanceof Error) return err.message;
  return "Something went wrong.";
}

export function codeOf(err: unknown): string | undefined {
  return err instanceof TRPCClientError ? (err.data as { code?: string } | undefined)?.code : undefined;
}
