import type { Role } from "@/db/schema/users";

export interface NavItem {
  href: string;
  label: string;
  roles: readonly Role[];
  /** The API query the page is built on; a unit test checks the page and the API allow the same roles. */
  procedure: string;
}

export interface NavSection {
  label: string;
  items: NavItem[];
}

const EVERYONE = ["admin", "manager", "helpdesk", "tape"] as const;

/** The console's navigation. Each role sees only the items it may use. */
export const NAVIGATION: NavSection[] = [
  {
    label: "Monitoring",
    items: [
      { href: "/monitoring/alerts", label: "Alerts", roles: ["admin", "manager"], procedure: "monitoring.alerts" },
      { href: "/monitoring/jobs", label: "Jobs", roles: EVERYONE, procedure: "monitoring.jobs" },
    ],
  },
  { label: "Protection", items: [{ href: "/protection", label: "Protection groups", roles: ["admin", "manager"], procedure: "protection.groups" }] },
  { label: "Recovery", items: [{ href: "/recovery", label: "Recovery points", roles: ["admin", "manager", "helpdesk"], procedure: "recovery.sources" }] },
  { label: "Servers", items: [{ href: "/servers", label: "Servers", roles: ["admin", "manager"], procedure: "servers.list" }] },
  { label: "Tape", items: [{ href: "/tape", label: "Tape library", roles: ["admin", "manager", "tape"], procedure: "tape.inventory" }] },
  { label: "Reports", items: [{ href: "/reports", label: "Reports", roles: ["admin", "manager"], procedure: "reports.dashboard" }] },
  {
    label: "Settings",
    items: [
      { href: "/settings/users", label: "Users", roles: ["admin", "manager"], procedure: "users.list" },
      { href: "/settings/audit", label: "Audit log", roles: ["admin", "manager"], procedure: "audit.list" },
    ],
  },
];

export function navigationFor(role: Role): NavSection[] {
  return NAVIGATION.map((s) => ({ ...s, items: s.items.filter((i) => i.roles.includes(role)) })).filter((s) => s.items.length > 0);
}

/** The nav item a path belongs to (longest matching prefix), or undefined for pages outside the nav. */
export function navItemFor(pathname: string): NavItem | undefined {
  let best: NavItem | undefined;
  for (const s of NAVIGATION)
    for (const i of s.items)
      if ((pathname === i.href || pathname.startsWith(i.href + "/")) && (!best || i.href.length > best.href.length)) best = i;
  return best;
}
