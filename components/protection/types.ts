import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@/server/api/root";

type Outputs = inferRouterOutputs<AppRouter>;

export type ProtectionGroup = Outputs["protection"]["groups"][number];
export type GroupMember = ProtectionGroup["members"][number];
export type Computer = Outputs["protection"]["computers"][number];
export type Job = Outputs["monitoring"]["jobs"][number];
export type { ShortTermPolicy, SyncInterval, Weekday, PolicyIssue } from "@/server/domain/protection/short-term-policy";
