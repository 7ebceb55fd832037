/**
 * The closed set of failures the domain reports. The API maps each code to a tRPC code in
 * exactly one place (server/api/trpc.ts); the CLI maps them to exit codes.
 */
export type DomainErrorCode =
  | "NOT_FOUND"
  | "CONFLICT"
  | "INVALID"
  | "UNAUTHENTICATED"
  | "FORBIDDEN"
  | "THROTTLED"
  | "PRECONDITION";

export class DomainError extends Error {
  constructor(
    readonly code: DomainErrorCode,
    message: string,
    /** What the error is about: a username, an id... for logs and the audit trail. */
    readonly subject?: string,
    /** Per-field messages, for forms. */
    readonly fieldErrors?: Record<string, string[]>,
    /** For THROTTLED: when the caller may try again. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = "DomainError";
  }
}
