import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@/server/api/root";

type Outputs = inferRouterOutputs<AppRouter>;
export type ServerRow = Outputs["servers"]["list"][number];
export type Topology = Outputs["servers"]["topology"];
export type TopologyNode = Topology["nodes"][number];
export type TopologyEdge = Topology["edges"][number];
export type LinkState = TopologyEdge["state"];
export type LinkDetail = Outputs["servers"]["link"];
export type LinkSource = LinkDetail["sources"][number];
export type SwitchState = LinkSource["switch"];
export type PrimarySource = Outputs["servers"]["primarySources"][number];
export type SwitchOutcome = Outputs["servers"]["switchProtection"];
export type Role = NonNullable<Outputs["auth"]["me"]>["role"];
export type RemoveLinkOutcome = Outputs["servers"]["removeLink"];
