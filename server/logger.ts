import pino, { type Logger } from "pino";

export type { Logger };

/** Structured JSON lines on stdout (pino); one logger per process, children per component. */
export function createLogger(o: { level: string; name: string }): Logger {
  return pino({
    level: o.level,
    base: { server: o.name },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: ["password", "*.password", "newPassword", "currentPassword", "token"], censor: "[redacted]" },
  });
}
