import type { Role } from "@/db/schema/users";

/** How each role is shown; a Record so that a new role cannot be forgotten here. */
export const ROLE_INFO: Record<Role, { label: string; description: string; home: string }> = {
  admin: { label: "Administrator", description: "Everything: servers, agents, protection, tape, users.", home: "/monitoring/alerts" },
  manager: { label: "Manager", description: "Reads everything, health charts and reports; changes nothing.", home: "/reports" },
  helpdesk: { label: "Help desk", description: "Browses and searches recovery points, runs and watches restores.", home: "/recovery" },
  tape: { label: "Tape operator", description: "Tape inventory, import/export, labels, cleaning; no restores.", home: "/tape" },
};

export const ROLE_LIST = Object.keys(ROLE_INFO) as Role[];
