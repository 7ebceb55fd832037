import { describe, expect, it } from "vitest";
import { checkLinkRemoval, type LinkRemovalFacts } from "./link-removal-rules";

const facts = (o: Partial<LinkRemovalFacts>): LinkRemovalFacts => ({ end: "secondary", primary: "alpha", secondary: "bravo", switched: [], copies: "keep", ...o });
const rules = (o: Partial<LinkRemovalFacts>) => checkLinkRemoval(facts(o)).map((i) => i.rule);
const docs = { computer: "pc-1", name: "docs" };

describe("removing a link between servers", () => {
  it.each<[string, Partial<LinkRemovalFacts>, string[]]>([
    ["the secondary keeps its copies", { end: "secondary", copies: "keep" }, []],
    ["the secondary deletes its copies", { end: "secondary", copies: "delete" }, []],
    ["the secondary without a choice for its copies", { end: "secondary", copies: undefined }, ["copies-choice"]],
    ["the primary (the secondary keeps its copies)", { end: "primary", copies: undefined }, []],
    ["the primary saying keep", { end: "primary", copies: "keep" }, []],
    ["the primary deleting the secondary's copies", { end: "primary", copies: "delete" }, ["copies-on-secondary"]],
    ["the secondary while a source is switched to it", { end: "secondary", switched: [docs] }, ["switched-sources"]],
    ["the primary while a source is switched away", { end: "primary", copies: undefined, switched: [docs] }, ["switched-sources"]],
    ["switched, and no choice", { end: "secondary", copies: undefined, switched: [docs] }, ["switched-sources", "copies-choice"]],
  ])("%s: %j", (_, o, expected) => {
    expect(rules(o)).toEqual(expected);
  });

  it("says why a switched source keeps the link, names the sources, and what to do first", () => {
    const [issue] = checkLinkRemoval(facts({ switched: [docs, { computer: "pc-2", name: "crm" }] }));
    expect(issue!.message).toBe(
      "Protection of 2 of alpha's data sources (pc-1: docs, pc-2: crm) is switched to bravo: removing the link would leave them protected by no server. " +
        "Switch back first: on alpha, take ownership of them (Servers → the link), then remove the link.",
    );
    const many = Array.from({ length: 8 }, (_, i) => ({ computer: "pc", name: `s${i}` }));
    expect(checkLinkRemoval(facts({ switched: many }))[0]!.message).toContain("(pc: s0, pc: s1, pc: s2, pc: s3, pc: s4 and 3 more)");
  });

  it("puts the copies' issues on the form's field", () => {
    expect(checkLinkRemoval(facts({ copies: undefined }))[0]).toMatchObject({ field: "copies" });
    expect(checkLinkRemoval(facts({ switched: [docs] }))[0]!.field).toBeUndefined();
  });
});
