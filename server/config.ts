import os from "node:os";
import path from "node:path";
import { z } from "zod";

/**
 * `custodian serve` configuration: flags win over environment variables, which win over
 * defaults. Parsed once here; nothing else reads process.env.
 */
const ZBool = z
  .union([z.boolean(), z.enum(["1", "0", "true", "false", "yes", "no"])])
  .transform((v) => v === true || v === "1" || v === "true" || v === "yes");

export const ZServeConfig = z.object({
  dataDir: z.string().min(1, "--data must name a directory").transform((p) => path.resolve(p)),
  host: z.string().min(1).default("127.0.0.1"),
  port: z.coerce.number().int().min(0).max(65535, "--port must be 0–65535").default(3100),
  name: z
    .string()
    .trim()
    .min(1)
    .max(63)
    .regex(/^[A-Za-z0-9][A-Za-z0-9.-]*$/, "--name: letters, digits, dots and dashes")
    .default(os.hostname().split(".")[0] || "custodian"),
  demo: ZBool.default(false),
  dev: ZBool.default(false),
  logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  secureCookies: ZBool.default(false),
  /** Whether --name (or CUSTODIAN_NAME) was given: only then is a catalog's server renamed. */
  nameGiven: z.boolean().default(false),
});
export type ServeConfig = z.output<typeof ZServeConfig>;

export const SERVE_ENV = {
  dataDir: "CUSTODIAN_DATA",
  host: "CUSTODIAN_HOST",
  port: "CUSTODIAN_PORT",
  name: "CUSTODIAN_NAME",
  demo: "CUSTODIAN_DEMO",
  logLevel: "CUSTODIAN_LOG_LEVEL",
  secureCookies: "CUSTODIAN_SECURE_COOKIES",
} as const;

export function resolveServeConfig(flags: Record<string, unknown>, env: NodeJS.ProcessEnv): ServeConfig {
  const merged: Record<string, unknown> = {};
  for (const [key, envName] of Object.entries(SERVE_ENV)) {
    if (env[envName] !== undefined && env[envName] !== "") merged[key] = env[envName];
  }
  for (const [key, value] of Object.entries(flags)) if (value !== undefined) merged[key] = value;
  merged.dataDir ??= "data";
  merged.nameGiven = merged.name !== undefined;
  return ZServeConfig.parse(merged);
}
