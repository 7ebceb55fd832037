/**
 * Servers protecting servers: DPM's topology rules as pure functions that name the rule they
 * apply and explain every refusal (../shared/DPM-REFERENCE.md §5.1–§5.4, SPEC.md §4).
 *
 * A link `{ primary, secondary }` means: the secondary protects the primary's catalog and the
 * replicas selected on the link. The arrows of the topology page point primary → secondary.
 *
 * What the reference says, and which rule applies it:
 *   - unknown-server       a link names two servers this catalog knows.
 *   - self-protection      a server is not its own secondary. SPEC §4 allows one self-protection,
 *                          the server's catalog to its own tape, and that is not a link.
 *   - duplicate-link       the same link is not made twice.
 *   - one-protector        "each DPM server can be protected only once" (§5.3, [CHAIN]).
 *   - indirect-and-direct  "primary and secondary roles come from the chain": in A → B → C, C
 *                          protects A indirectly and so cannot also be A's direct secondary (§5.3).
 *                          Checked on the whole graph the link would make: a server's direct
 *                          secondary must not also protect it through a longer chain. Every such
 *                          case also gives a server two protectors; the rule is reported as well
 *                          because it says why that second protector is wrong.
 *   - mutual pairs         allowed (§5.3 "cyclic protection", [CHAIN] scenario 3: DS1 → DS2 ⇄ DS3),
 *                          so not an issue; a mutual pair is not "indirect" protection of itself.
 *   - same-version         "the whole chain/cycle runs the same version" (§5.2, [SEC][BKDPM]);
 *                          checked only for servers whose version the catalog knows.
 *   - protected-twice      "no double protection": a data source is protected by one server;
 *                          its secondary holds it only as the primary's replica (§5.1, §5.3).
 *   - unsupported-move     §5.4: while a primary is under secondary protection (or a source of it
 *                          is switched), its sources cannot be re-protected on its secondary, on a
 *                          server further down its chain, or on another primary of the same
 *                          secondary. The supported ways are switch protection, rebuilding the
 *                          primary with its identity, or a server outside the chain.
 *   - no-link, not-direct-replica, switched-no-secondary
 *                          what a link may copy: only replicas the primary protects directly
 *                          (§5.1), and a switched source gets no secondary protection (§5.4).
 *
 * Where the reference is silent, and what we do:
 *   - Cycles longer than two (A → B → C → A): DPM documents mutual pairs only ("two DPM servers
 *     can protect each other") and neither allows nor forbids longer rings (§5.3: "not
 *     documented"). No stated rule is broken by one (every server has one protector and none of
 *     them also reaches its primary through the ring), so they are accepted; chainOf stops
 *     before it comes round again.
 *   - Chain depth: no documented maximum; none is imposed.
 *   - DPM's "a server that protects its own data source breaks the chain" (§5.3) is not applied:
 *     Custodian's built-in agent protects the server's own computer like any other, and its
 *     catalog-to-own-tape backup (SPEC §5) is a consistent file snapshot, not the locally
 *     hosted SQL database whose double protection DPM refuses (§5.2, [DBM]).
 */

export interface TopologyServer {
  id: string;
  name: string;
  /** The server's release, when known: the whole chain or cycle must run the same one. */
  version?: string;
}

/** The secondary protects the primary's catalog and the replicas selected on the link. */
export interface ProtectionLink {
  primary: string;
  secondary: string;
}

/** A data source a server protects directly (as its primary). */
export interface ProtectedSource {
  serverId: string;
  dataSourceKey: string;
  /** Set while protection of the source is switched to this server (the primary's secondary). */
  switchedTo?: string;
}

export interface Topology {
  servers: TopologyServer[];
  links: ProtectionLink[];
  protectedSources: ProtectedSource[];
}

export type TopologyRule =
  | "unknown-server"
  | "self-protection"
  | "duplicate-link"
  | "one-protector"
  | "indirect-and-direct"
  | "same-version"
  | "protected-twice"
  | "unsupported-move"
  | "no-link"
  | "not-direct-replica"
  | "switched-no-secondary";

/** One broken rule: its name and why, in words an administrator can act on. */
export interface TopologyIssue {
  rule: TopologyRule;
  message: string;
}

const nameOf = (t: Topology, id: string) => t.servers.find((s) => s.id === id)?.name ?? id;
const known = (t: Topology, id: string) => t.servers.some((s) => s.id === id);
const sameLink = (a: ProtectionLink, b: ProtectionLink) => a.primary === b.primary && a.secondary === b.secondary;

/** The servers that protect this one directly (its secondaries; at most one in a valid topology). */
export function protectorsOf(t: Topology, serverId: string): string[] {
  return unique(t.links.filter((l) => l.primary === serverId).map((l) => l.secondary));
}

/** The servers this one protects directly (its primaries). */
export function protectedBy(t: Topology, serverId: string): string[] {
  return unique(t.links.filter((l) => l.secondary === serverId).map((l) => l.primary));
}

/**
 * The chain beyond a server: its secondary, the secondary's secondary, and so on, stopping
 * before a server comes round again (a mutual pair A ⇄ B gives [B] for A; a ring A → B → C → A
 * gives [B, C]). In a topology that breaks one-protector, the first link made is followed.
 */
export function chainOf(t: Topology, serverId: string): string[] {
  const chain: string[] = [];
  const seen = new Set([serverId]);
  let at = serverId;
  for (;;) {
    const next = t.links.find((l) => l.primary === at)?.secondary;
    if (next === undefined || seen.has(next)) return chain;
    chain.push(next);
    seen.add(next);
    at = next;
  }
}

export type GraphRole = "self" | "primary" | "secondary" | "chain";

/**
 * What the topology page draws for one server: itself, its primaries, its secondary and the
 * chain beyond, with the links among them (arrows primary → secondary). A server may have
 * several roles: in a mutual pair the other server is both primary and secondary.
 */
export function topologyGraph(t: Topology, selfId: string): { nodes: { id: string; name: string; roles: GraphRole[] }[]; edges: ProtectionLink[] } {
  const roles = new Map<string, GraphRole[]>([[selfId, ["self"]]]);
  const add = (id: string, role: GraphRole) => {
    const r = roles.get(id) ?? [];
    if (!r.includes(role)) r.push(role);
    roles.set(id, r);
  };
  for (const p of protectedBy(t, selfId)) add(p, "primary");
  chainOf(t, selfId).forEach((id, i) => add(id, i === 0 ? "secondary" : "chain"));
  const edges = dedupeLinks(t.links).filter((l) => roles.has(l.primary) && roles.has(l.secondary));
  return { nodes: [...roles].map(([id, r]) => ({ id, name: nameOf(t, id), roles: r })), edges };
}

/** Every rule the link breaks in this topology (empty when it may be made). */
export function checkLink(t: Topology, link: ProtectionLink): TopologyIssue[] {
  const { primary, secondary } = link;
  const unknown = unique([primary, secondary]).filter((id) => !known(t, id));
  if (unknown.length) {
    return unknown.map((id) => ({ rule: "unknown-server", message: `This server does not know a server ${JSON.stringify(id)}: pair with it first.` }));
  }
  const P = nameOf(t, primary);
  const S = nameOf(t, secondary);
  if (primary === secondary) {
    return [
      {
        rule: "self-protection",
        message: `${P} cannot be its own secondary: a server protects its catalog and replicas on another server. (Its catalog can go to its own tape library; that is a catalog backup, not a link.)`,
      },
    ];
  }
  if (t.links.some((l) => sameLink(l, link))) {
    return [{ rule: "duplicate-link", message: `${S} already protects ${P}.` }];
  }

  const issues: TopologyIssue[] = [];
  const others = protectorsOf(t, primary).filter((id) => id !== secondary);
  if (others.length) {
    issues.push({
      rule: "one-protector",
      message: `${P} is already protected by ${others.map((id) => nameOf(t, id)).join(", ")}; a server is protected by at most one server. Remove that link first, or protect ${P}'s secondary instead to build a chain.`,
    });
  }

  // Roles follow the chain: a server's direct secondary must not also protect it through a longer chain.
  const before = indirectAndDirect(t.links);
  const after = indirectAndDirect([...t.links, link]).filter((v) => !before.some((b) => b.primary === v.primary && b.secondary === v.secondary));
  for (const v of after) {
    const path = v.path.map((id) => nameOf(t, id)).join(" → ");
    const Y = nameOf(t, v.primary);
    const D = nameOf(t, v.secondary);
    issues.push({
      rule: "indirect-and-direct",
      message:
        v.primary === primary && v.secondary === secondary
          ? `${D} already protects ${Y} indirectly, through the chain ${path}; primary and secondary roles follow the chain, so ${D} cannot also be ${Y}'s direct secondary.`
          : `With this link ${D}, ${Y}'s direct secondary, would also protect ${Y} indirectly, through the chain ${path}; primary and secondary roles follow the chain, so a server is not both.`,
    });
  }

  issues.push(...checkVersions(t, [...t.links, link], primary));
  return issues;
}

/**
 * The links of a stored topology checked in the order they were made, each against the ones
 * before it (for a catalog read back, or a lab's configuration).
 */
export function checkTopology(t: Topology): { link: ProtectionLink; issues: TopologyIssue[] }[] {
  return t.links
    .map((link, i) => ({ link, issues: checkLink({ ...t, links: t.links.slice(0, i) }, link) }))
    .filter((r) => r.issues.length > 0);
}

/** Whether a server may protect this data source directly (as its primary). */
export function checkDataSourceProtection(t: Topology, o: { serverId: string; dataSourceKey: string }): TopologyIssue[] {
  const { serverId, dataSourceKey: key } = o;
  if (!known(t, serverId)) return [{ rule: "unknown-server", message: `This server does not know a server ${JSON.stringify(serverId)}.` }];
  const R = nameOf(t, serverId);
  const current = t.protectedSources.find((p) => p.dataSourceKey === key);
  if (!current) return [];
  const H = nameOf(t, current.serverId);
  if (current.switchedTo !== undefined) {
    const S = nameOf(t, current.switchedTo);
    return [
      {
        rule: "unsupported-move",
        message: `Protection of ${key} is switched from ${H} to ${S}. While switched it stays with ${S}: switch back by taking ownership on ${H}, or rebuild ${H} with its identity; protecting it anew on ${R} is not supported.`,
      },
    ];
  }
  if (current.serverId === serverId) return [{ rule: "protected-twice", message: `${R} already protects ${key}.` }];

  const chain = chainOf(t, current.serverId);
  const options = `Switch protection to ${nameOf(t, chain[0] ?? current.serverId)}, rebuild ${H} with its identity, or protect ${key} from a server outside ${H}'s chain.`;
  const at = chain.indexOf(serverId);
  if (at === 0) {
    return [
      {
        rule: "unsupported-move",
        message: `${key} is protected by ${H}; ${R} holds it only as ${H}'s replica, and a data source is not protected twice. Re-protecting it directly on the secondary is not supported. ${options}`,
      },
    ];
  }
  if (at > 0) {
    const path = [current.serverId, ...chain.slice(0, at + 1)].map((id) => nameOf(t, id)).join(" → ");
    return [
      {
        rule: "unsupported-move",
        message: `${key} is protected by ${H}, which ${R} protects through the chain ${path}; a data source is not protected twice, and re-protecting it further down the chain is not supported. ${options}`,
      },
    ];
  }
  // §5.4's example: Server1 on DPM1 and Server2 on DPM2, both protected by DPM3.
  const shared = protectorsOf(t, serverId).find((id) => protectorsOf(t, current.serverId).includes(id));
  if (shared !== undefined) {
    return [
      {
        rule: "unsupported-move",
        message: `${key} is protected by ${H}, which ${nameOf(t, shared)} protects, as it protects ${R}; moving it to another primary of the same secondary is not supported. ${options}`,
      },
    ];
  }
  return [
    {
      rule: "protected-twice",
      message: `${key} is protected by ${H}; a data source is protected by one server. Stop its protection on ${H} first.`,
    },
  ];
}

/** Whether the secondary of a link may copy this data source's replica from the primary. */
export function checkReplicaSelection(t: Topology, o: { primary: string; secondary: string; dataSourceKey: string }): TopologyIssue[] {
  const P = nameOf(t, o.primary);
  const S = nameOf(t, o.secondary);
  const key = o.dataSourceKey;
  if (!t.links.some((l) => l.primary === o.primary && l.secondary === o.secondary)) {
    return [{ rule: "no-link", message: `${S} does not protect ${P}: link the servers first.` }];
  }
  const current = t.protectedSources.find((p) => p.dataSourceKey === key);
  if (current?.switchedTo === o.primary) {
    return [
      {
        rule: "switched-no-secondary",
        message: `Protection of ${key} is switched to ${P} (from ${nameOf(t, current.serverId)}); while switched it gets no secondary protection on another server.`,
      },
    ];
  }
  if (current?.serverId !== o.primary) {
    return [
      {
        rule: "not-direct-replica",
        message: current
          ? `${P} does not protect ${key} directly (${nameOf(t, current.serverId)} does); a secondary copies only the replicas its primary protects directly.`
          : `${P} does not protect ${key}.`,
      },
    ];
  }
  return [];
}

/**
 * Direct links Y → D where D is also reachable from Y without that link: the shortest such
 * path is simple and at least two links long, so D would protect Y both directly and
 * indirectly. A mutual pair never counts (the way back leads to Y itself, not to D).
 */
function indirectAndDirect(links: readonly ProtectionLink[]): { primary: string; secondary: string; path: string[] }[] {
  const all = dedupeLinks(links);
  const found: { primary: string; secondary: string; path: string[] }[] = [];
  for (const direct of all) {
    const path = shortestPath(
      all.filter((l) => !sameLink(l, direct)),
      direct.primary,
      direct.secondary,
    );
    if (path) found.push({ primary: direct.primary, secondary: direct.secondary, path });
  }
  return found;
}

function shortestPath(links: readonly ProtectionLink[], from: string, to: string): string[] | null {
  const parent = new Map<string, string | null>([[from, null]]);
  const queue = [from];
  while (queue.length) {
    const at = queue.shift()!;
    for (const l of links) {
      if (l.primary !== at || parent.has(l.secondary)) continue;
      parent.set(l.secondary, at);
      if (l.secondary === to) {
        const path = [to];
        for (let p = parent.get(to); p != null; p = parent.get(p)) path.unshift(p);
        return path;
      }
      queue.push(l.secondary);
    }
  }
  return null;
}

/** Servers joined to `start` by links, in either direction: a chain or cycle, as §5.2 means it. */
function connected(links: readonly ProtectionLink[], start: string): Set<string> {
  const seen = new Set([start]);
  const queue = [start];
  while (queue.length) {
    const at = queue.shift()!;
    for (const l of links) {
      const other = l.primary === at ? l.secondary : l.secondary === at ? l.primary : null;
      if (other !== null && !seen.has(other)) {
        seen.add(other);
        queue.push(other);
      }
    }
  }
  return seen;
}

function checkVersions(t: Topology, links: readonly ProtectionLink[], start: string): TopologyIssue[] {
  const joined = connected(links, start);
  const byVersion = new Map<string, string[]>();
  for (const s of t.servers) {
    if (joined.has(s.id) && s.version !== undefined) byVersion.set(s.version, [...(byVersion.get(s.version) ?? []), s.name]);
  }
  if (byVersion.size <= 1) return [];
  const listed = [...byVersion].map(([v, names]) => `${names.join(", ")} on ${v}`).join("; ");
  return [{ rule: "same-version", message: `Every server of a chain or cycle runs the same Custodian version, and this link would join ${listed}. Upgrade them to one version first.` }];
}

function unique<T>(xs: readonly T[]): T[] {
  return [...new Set(xs)];
}

function dedupeLinks(links: readonly ProtectionLink[]): ProtectionLink[] {
  return links.filter((l, i) => links.findIndex((m) => sameLink(l, m)) === i);
}
