/**
 * tRPC set-up: context, the role-checking procedure builders, the audit trail of mutations,
 * and the one place where domain errors become tRPC errors.
 */
import { initTRPC, TRPCError } from "@trpc/server";
import type { TRPC_ERROR_CODE_KEY } from "@trpc/server/rpc";
import superjson from "superjson";
import { z, ZodError } from "zod";
import type { Role } from "@/db/schema";
import type { Services } from "@/server/services";
import { DomainError, type DomainErrorCode } from "@/server/domain/errors";
import type { SessionUser } from "@/server/domain/auth/sessions";
import { recordAuditEvent } from "@/server/domain/audit/record-audit-event";

// 1. CONTEXT ---------------------------------------------------------------------------

/** The transport's handle on the session cookie; the HTTP layer seals it, tests keep it in memory. */
export interface SessionCookie {
  /** The session token the request carried, if any (already unsealed and checked). */
  readonly token: string | null;
  set(token: string): Promise<void>;
  clear(): void;
}

export interface Context {
  services: Services;
  user: SessionUser | null;
  clientAddress: string;
  userAgent: string;
  session: SessionCookie;
}

// 2. META: every procedure declares who may call it -------------------------------------

export type Access = "public" | "authenticated" | readonly Role[];

export interface ProcedureMeta {
  /** Who may call. A procedure without it is refused to everyone (fail closed). */
  access?: Access;
  /** Mutations are audited unless the use case records its own, richer event (login). */
  audit?: boolean;
  /** Callable by a user who must change a reset password first (the password change itself). */
  passwordChangeExempt?: boolean;
}

const isProduction = process.env.NODE_ENV === "production";

const t = initTRPC
  .context<Context>()
  .meta<ProcedureMeta>()
  .create({
    transformer: superjson,
    isDev: !isProduction,
    errorFormatter({ shape, error }) {
      const cause = error.cause;
      const fieldErrors =
        cause instanceof ZodError
          ? (z.flattenError(cause).fieldErrors as Record<string, string[]>)
          : cause instanceof DomainError
            ? (cause.fieldErrors ?? null)
            : null;
      const message =
        cause instanceof ZodError
          ? "Some fields are not valid."
          : isProduction && error.code === "INTERNAL_SERVER_ERROR"
            ? "Internal error. The server log has the details."
            : shape.message;
      return {
        ...shape,
        message,
        data: {
          code: shape.data.code,
          httpStatus: shape.data.httpStatus,
          path: shape.data.path,
          fieldErrors,
          retryAfterSeconds: cause instanceof DomainError ? (cause.retryAfterSeconds ?? null) : null,
          ...(!isProduction && shape.data.stack ? { stack: shape.data.stack } : {}),
        },
      };
    },
  });

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

// 3. DOMAIN ERRORS → tRPC, in exactly one place -----------------------------------------

const DOMAIN_TO_TRPC: Record<DomainErrorCode, TRPC_ERROR_CODE_KEY> = {
  NOT_FOUND: "NOT_FOUND",
  CONFLICT: "CONFLICT",
  INVALID: "BAD_REQUEST",
  UNAUTHENTICATED: "UNAUTHORIZED",
  FORBIDDEN: "FORBIDDEN",
  THROTTLED: "TOO_MANY_REQUESTS",
  PRECONDITION: "PRECONDITION_FAILED",
};

// tRPC catches whatever a procedure throws and hands it back as `result.error` (a try/catch
// around next() would catch nothing), so the conversion inspects the result instead.
const mapDomainErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok && result.error.cause instanceof DomainError) {
    const cause = result.error.cause;
    throw new TRPCError({ code: DOMAIN_TO_TRPC[cause.code], message: cause.message, cause });
  }
  return result;
});

// 4. AUTHORIZATION from meta.access -----------------------------------------------------

export function isAllowed(access: Access | undefined, user: SessionUser | null): boolean {
  if (access === undefined) return false;
  if (access === "public") return true;
  if (!user) return false;
  if (access === "authenticated") return true;
  return access.includes(user.role);
}

const authorize = t.middleware(({ ctx, meta, path, next }) => {
  const access = meta?.access;
  if (access === undefined) {
    ctx.services.log.error({ path }, "procedure declares no access roles; refused");
    throw new TRPCError({ code: "FORBIDDEN", message: "This operation is not available." });
  }
  if (access !== "public" && !ctx.user) {
    throw new TRPCError({ code: "UNAUTHORIZED", message: "Sign in first." });
  }
  if (ctx.user?.mustChangePassword && access !== "public" && !meta?.passwordChangeExempt) {
    throw new TRPCError({ code: "FORBIDDEN", message: "Change your password before going on." });
  }
  if (!isAllowed(access, ctx.user)) {
    throw new TRPCError({ code: "FORBIDDEN", message: "Your role does not allow this operation." });
  }
  return next();
});

// 5. AUDIT of every mutation, including refused ones ------------------------------------

/** A short, password-free description of what a mutation was about. */
export function describeTarget(input: unknown): string {
  if (!input || typeof input !== "object") return "";
  const o = input as Record<string, unknown>;
  for (const key of ["username", "name", "id"] as const) {
    const v = o[key];
    if (typeof v === "string" || typeof v === "number") return key === "id" ? `#${v}` : String(v);
  }
  return "";
}

function describeError(error: TRPCError): string {
  if (error.cause instanceof ZodError) {
    const fields = [...new Set(error.cause.issues.map((i) => i.path.join(".") || "input"))];
    return `${error.code}: invalid ${fields.join(", ")}`;
  }
  return `${error.code}: ${error.message}`;
}

const auditMutations = t.middleware(async ({ ctx, type, path, meta, getRawInput, next }) => {
  const result = await next();
  if (type !== "mutation" || meta?.audit === false) return result;
  let target = "";
  try {
    target = describeTarget(await getRawInput());
  } catch {
    /* unreadable input: the event is still worth recording */
  }
  const error = result.ok ? null : result.error;
  const outcome = !error
    ? "ok"
    : error.code === "FORBIDDEN" || error.code === "UNAUTHORIZED"
      ? "denied"
      : error.code === "INTERNAL_SERVER_ERROR"
        ? "error"
        : "failed";
  try {
    recordAuditEvent(ctx.services.db, {
      at: ctx.services.clock.now(),
      userId: ctx.user?.id,
      username: ctx.user?.username ?? "",
      action: path,
      target,
      outcome,
      detail: error ? describeError(error) : "",
      clientAddress: ctx.clientAddress,
    });
  } catch (err) {
    ctx.services.log.error({ err, path }, "could not write the audit event");
  }
  return result;
});

// 6. PROCEDURE BUILDERS -----------------------------------------------------------------

const base = t.procedure.use(auditMutations).use(authorize).use(mapDomainErrors);

// authorize() has already refused anonymous callers; this narrows the type for handlers.
const withUser = base.use(({ ctx, next }) => {
  if (!ctx.user) throw new TRPCError({ code: "UNAUTHORIZED", message: "Sign in first." });
  return next({ ctx: { ...ctx, user: ctx.user } });
});

/** Anyone, signed in or not: sign-in, first set-up, server status. */
export const publicProcedure = base.meta({ access: "public" });
/** Any signed-in user, whatever the role. */
export const authedProcedure = withUser.meta({ access: "authenticated" });
/** Only users whose role is one of `roles`. */
export const requireRole = (...roles: [Role, ...Role[]]) => withUser.meta({ access: roles });

export const ALL_ROLES = ["admin", "manager", "helpdesk", "tape"] as const satisfies readonly Role[];
