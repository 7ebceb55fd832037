import { describe, expect, it } from "vitest";
import {
  chainOf,
  checkDataSourceProtection,
  checkLink,
  checkReplicaSelection,
  checkTopology,
  protectedBy,
  protectorsOf,
  topologyGraph,
  type ProtectedSource,
  type ProtectionLink,
  type Topology,
  type TopologyServer,
} from "./topology-rules";

const servers: TopologyServer[] = ["A", "B", "C", "D", "E"].map((n) => ({ id: n.toLowerCase(), name: n }));
/** "a>b" is the link in which b protects a (arrow primary → secondary). */
const links = (...ls: string[]): ProtectionLink[] =>
  ls.map((l) => {
    const [primary, secondary] = l.split(">") as [string, string];
    return { primary, secondary };
  });
const topo = (ls: ProtectionLink[], protectedSources: ProtectedSource[] = [], s: TopologyServer[] = servers): Topology => ({ servers: s, links: ls, protectedSources });
const link = (l: string) => links(l)[0]!;
const rules = (t: Topology, l: string) => checkLink(t, link(l)).map((i) => i.rule);

describe("chains and mutual pairs (DPM-REFERENCE §5.3)", () => {
  it("the chain A → B → C is valid; C protects A only through B", () => {
    const t = topo(links("a>b", "b>c"));
    expect(checkTopology(t)).toEqual([]);
    expect(chainOf(t, "a")).toEqual(["b", "c"]);
    expect(chainOf(t, "b")).toEqual(["c"]);
    expect(chainOf(t, "c")).toEqual([]);
    expect(protectorsOf(t, "a")).toEqual(["b"]);
    expect(protectorsOf(t, "c")).toEqual([]);
    expect(protectedBy(t, "b")).toEqual(["a"]);
    expect(protectedBy(t, "a")).toEqual([]);
  });

  it("a mutual pair A ⇄ B is allowed, and is not A protecting itself indirectly", () => {
    expect(checkLink(topo(links("a>b")), link("b>a"))).toEqual([]);
    const t = topo(links("a>b", "b>a"));
    expect(checkTopology(t)).toEqual([]);
    expect(chainOf(t, "a")).toEqual(["b"]);
    expect(chainOf(t, "b")).toEqual(["a"]);
  });

  it.each<[string, string[], Record<string, string[]>]>([
    // Scenario 1: DS1 and DS2 are protected by DS3, DS3 by DS4.
    ["scenario 1", ["a>c", "b>c", "c>d"], { a: ["c", "d"], b: ["c", "d"], c: ["d"], d: [] }],
    // Scenario 2: DS1 by DS2, DS2 by DS3, DS3 by DS4.
    ["scenario 2", ["a>b", "b>c", "c>d"], { a: ["b", "c", "d"], d: [] }],
    // Scenario 3 (cyclic): DS1 by DS2, and DS2 and DS3 protect each other.
    ["scenario 3", ["a>b", "b>c", "c>b"], { a: ["b", "c"], b: ["c"], c: ["b"] }],
  ])("DPM's example topology, %s, is valid", (_, ls, chains) => {
    const t = topo(links(...ls));
    expect(checkTopology(t)).toEqual([]);
    for (const [id, chain] of Object.entries(chains)) expect(chainOf(t, id), id).toEqual(chain);
  });

  it("a ring longer than two is accepted (the reference is silent), and chains stop before coming round", () => {
    const t = topo(links("a>b", "b>c"));
    expect(checkLink(t, link("c>a"))).toEqual([]);
    const ring = topo(links("a>b", "b>c", "c>a"));
    expect(chainOf(ring, "a")).toEqual(["b", "c"]);
    expect(chainOf(ring, "c")).toEqual(["a", "b"]);
  });
});

describe("forbidden links are refused with their rule's name", () => {
  const chain = topo(links("a>b", "b>c"));
  it.each<[string, Topology, string, string[]]>([
    ["self-protection", chain, "d>d", ["self-protection"]],
    ["an unknown secondary", chain, "a>x", ["unknown-server"]],
    ["two unknown servers", chain, "x>y", ["unknown-server", "unknown-server"]],
    ["the same link again", chain, "a>b", ["duplicate-link"]],
    ["a second protector", chain, "a>d", ["one-protector"]],
    ["a second protector for B, in the middle of the chain", chain, "b>d", ["one-protector"]],
    ["C directly protecting A in A → B → C", chain, "a>c", ["one-protector", "indirect-and-direct"]],
    ["B joining in between A and its direct secondary C", topo(links("a>c", "b>c")), "a>b", ["one-protector", "indirect-and-direct"]],
    // Only reachable from a catalog that already breaks one-protector (E has two protectors).
    ["a path that makes E's direct secondary D also an indirect one", topo(links("e>d", "e>a")), "a>d", ["indirect-and-direct"]],
    ["the end of a chain protecting a new server", chain, "d>c", []],
    ["a mutual pair inside a chain", chain, "c>b", []],
  ])("%s", (_, t, l, expected) => {
    expect(rules(t, l)).toEqual(expected);
  });

  it("each refusal explains itself with the servers' names", () => {
    const [one, indirect] = checkLink(chain, link("a>c"));
    expect(one!.message).toMatch(/^A is already protected by B; a server is protected by at most one server/);
    expect(indirect!.message).toBe("C already protects A indirectly, through the chain A → B → C; primary and secondary roles follow the chain, so C cannot also be A's direct secondary.");
    const [, joined] = checkLink(topo(links("a>c", "b>c")), link("a>b"));
    expect(joined!.message).toMatch(/^With this link C, A's direct secondary, would also protect A indirectly, through the chain A → B → C/);
    expect(checkLink(chain, link("a>x"))[0]!.message).toBe('This server does not know a server "x": pair with it first.');
    expect(checkLink(chain, link("d>d"))[0]!.message).toMatch(/^D cannot be its own secondary.*catalog can go to its own tape library/);
    expect(checkLink(chain, link("a>b"))[0]!.message).toBe("B already protects A.");
  });

  it("checkTopology names the first link that broke a rule", () => {
    const t = topo(links("a>b", "b>c", "a>c"));
    expect(checkTopology(t).map((r) => [r.link, r.issues.map((i) => i.rule)])).toEqual([[{ primary: "a", secondary: "c" }, ["one-protector", "indirect-and-direct"]]]);
  });

  it("the whole chain or cycle runs the same version, where versions are known", () => {
    const versioned: TopologyServer[] = [
      { id: "a", name: "A", version: "1.4.0" },
      { id: "b", name: "B", version: "1.4.0" },
      { id: "c", name: "C", version: "1.5.0" },
      { id: "d", name: "D" },
    ];
    const t = topo(links("a>b"), [], versioned);
    expect(rules(t, "b>c")).toEqual(["same-version"]);
    expect(checkLink(t, link("b>c"))[0]!.message).toMatch(/would join A, B on 1\.4\.0; C on 1\.5\.0/);
    expect(rules(t, "c>d")).toEqual([]); // D's version is not known
    expect(rules(t, "b>d")).toEqual([]);
    expect(rules(topo(links("c>d"), [], versioned), "d>a")).toEqual(["same-version"]); // D joins C's chain to A's
  });
});

describe("no data source is protected twice", () => {
  const src = (serverId: string, dataSourceKey: string, switchedTo?: string): ProtectedSource => (switchedTo ? { serverId, dataSourceKey, switchedTo } : { serverId, dataSourceKey });
  const check = (t: Topology, serverId: string, key = "fs1/docs") => checkDataSourceProtection(t, { serverId, dataSourceKey: key });

  it.each<[string, Topology, string, string[]]>([
    ["an unprotected source", topo(links("a>b"), [src("a", "fs1/other")]), "a", []],
    ["again on the same server", topo([], [src("a", "fs1/docs")]), "a", ["protected-twice"]],
    ["on an unrelated server", topo(links("a>b"), [src("a", "fs1/docs")]), "d", ["protected-twice"]],
    ["on another server when the primary has no secondary", topo([], [src("a", "fs1/docs")]), "b", ["protected-twice"]],
    ["directly on the primary's secondary (it holds it as A's replica)", topo(links("a>b"), [src("a", "fs1/docs")]), "b", ["unsupported-move"]],
    ["on a mutual partner", topo(links("a>b", "b>a"), [src("a", "fs1/docs")]), "b", ["unsupported-move"]],
    ["further down the chain", topo(links("a>b", "b>c"), [src("a", "fs1/docs")]), "c", ["unsupported-move"]],
    ["on another primary of the same secondary (§5.4)", topo(links("a>c", "b>c"), [src("a", "fs1/docs")]), "b", ["unsupported-move"]],
    ["while switched, anywhere", topo(links("a>b"), [src("a", "fs1/docs", "b")]), "d", ["unsupported-move"]],
    ["while switched, on the secondary that serves it", topo(links("a>b"), [src("a", "fs1/docs", "b")]), "b", ["unsupported-move"]],
    ["by an unknown server", topo([], []), "x", ["unknown-server"]],
  ])("%s", (_, t, serverId, expected) => {
    expect(check(t, serverId).map((i) => i.rule)).toEqual(expected);
  });

  it("the refusals say what is supported instead", () => {
    expect(check(topo(links("a>b"), [src("a", "fs1/docs")]), "b")[0]!.message).toBe(
      "fs1/docs is protected by A; B holds it only as A's replica, and a data source is not protected twice. Re-protecting it directly on the secondary is not supported. Switch protection to B, rebuild A with its identity, or protect fs1/docs from a server outside A's chain.",
    );
    expect(check(topo(links("a>b", "b>c"), [src("a", "fs1/docs")]), "c")[0]!.message).toMatch(/^fs1\/docs is protected by A, which C protects through the chain A → B → C/);
    expect(check(topo(links("a>c", "b>c"), [src("a", "fs1/docs")]), "b")[0]!.message).toMatch(/^fs1\/docs is protected by A, which C protects, as it protects B; moving it to another primary of the same secondary is not supported/);
    expect(check(topo([], [src("a", "fs1/docs")]), "b")[0]!.message).toBe("fs1/docs is protected by A; a data source is protected by one server. Stop its protection on A first.");
    expect(check(topo(links("a>b"), [src("a", "fs1/docs", "b")]), "d")[0]!.message).toMatch(/^Protection of fs1\/docs is switched from A to B\. While switched it stays with B/);
  });
});

describe("what a link copies: the replicas its primary protects directly (§5.1, §5.4)", () => {
  const t = topo(links("a>b", "b>c"), [
    { serverId: "a", dataSourceKey: "fs1/docs" },
    { serverId: "b", dataSourceKey: "fs2/mail" },
    { serverId: "a", dataSourceKey: "fs3/crm", switchedTo: "b" },
  ]);
  it.each<[string, string, string, string[]]>([
    ["a>b", "fs1/docs", "A's own source, on A's link", []],
    ["b>c", "fs2/mail", "B's own source, on B's link", []],
    ["b>c", "fs1/docs", "A's source again on B's link (B holds it only as A's replica)", ["not-direct-replica"]],
    ["a>b", "fs9/none", "a source nobody protects", ["not-direct-replica"]],
    ["a>c", "fs1/docs", "a link that does not exist", ["no-link"]],
    ["b>c", "fs3/crm", "a source switched to B, on B's link", ["switched-no-secondary"]],
    ["a>b", "fs3/crm", "a switched source on the link it was switched over", []],
  ])("%s %s: %s", (l, key, _, expected) => {
    const { primary, secondary } = link(l);
    expect(checkReplicaSelection(t, { primary, secondary, dataSourceKey: key }).map((i) => i.rule)).toEqual(expected);
  });
  it("explains where the replica belongs", () => {
    expect(checkReplicaSelection(t, { primary: "b", secondary: "c", dataSourceKey: "fs1/docs" })[0]!.message).toBe(
      "B does not protect fs1/docs directly (A does); a secondary copies only the replicas its primary protects directly.",
    );
  });
});

describe("the topology page's graph", () => {
  it("shows a server, its primaries, its secondary and the chain beyond, with their links", () => {
    const t = topo(links("a>b", "e>b", "b>c", "c>d"));
    const g = topologyGraph(t, "b");
    expect(g.nodes).toEqual([
      { id: "b", name: "B", roles: ["self"] },
      { id: "a", name: "A", roles: ["primary"] },
      { id: "e", name: "E", roles: ["primary"] },
      { id: "c", name: "C", roles: ["secondary"] },
      { id: "d", name: "D", roles: ["chain"] },
    ]);
    expect(g.edges).toEqual(links("a>b", "e>b", "b>c", "c>d"));
    // From the end of the chain only its primary is known.
    expect(topologyGraph(t, "d").nodes.map((n) => n.id)).toEqual(["d", "c"]);
    expect(topologyGraph(t, "d").edges).toEqual(links("c>d"));
  });
  it("in a mutual pair the other server is both primary and secondary", () => {
    const g = topologyGraph(topo(links("a>b", "b>a")), "a");
    expect(g.nodes).toEqual([
      { id: "a", name: "A", roles: ["self"] },
      { id: "b", name: "B", roles: ["primary", "secondary"] },
    ]);
    expect(g.edges).toEqual(links("a>b", "b>a"));
  });
});
