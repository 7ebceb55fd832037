import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@/server/api/root";

type Outputs = inferRouterOutputs<AppRouter>;
export type AlertRow = Outputs["monitoring"]["alerts"][number];
export type JobRow = Outputs["monitoring"]["jobs"][number];
export type JobDetail = Outputs["monitoring"]["job"];
export type Role = NonNullable<Outputs["auth"]["me"]>["role"];
