import { describe, expect, it } from "vitest";
import { COLUMN_WIDTH, ROW_HEIGHT, layoutTopology } from "./topology-layout";

const nodes = (...ids: string[]) => ids.map((id) => ({ id }));
const link = (primary: string, secondary: string) => ({ primary, secondary });
const columnsOf = (l: ReturnType<typeof layoutTopology>) => Object.fromEntries([...l.positions].map(([id, p]) => [id, p.x / COLUMN_WIDTH]));

describe("layoutTopology", () => {
  it("puts a chain left to right, primary before secondary", () => {
    const l = layoutTopology(nodes("b", "a", "c"), [link("a", "b"), link("b", "c")], "b");
    expect(columnsOf(l)).toEqual({ a: 0, b: 1, c: 2 });
    expect(l.back.size).toBe(0);
  });

  it("stacks several primaries of this server in one column, centred", () => {
    const l = layoutTopology(nodes("self", "p1", "p2"), [link("p1", "self"), link("p2", "self")], "self");
    expect(columnsOf(l)).toEqual({ p1: 0, p2: 0, self: 1 });
    expect([l.positions.get("p1")!.y, l.positions.get("p2")!.y, l.positions.get("self")!.y]).toEqual([-ROW_HEIGHT / 2, ROW_HEIGHT / 2, 0]);
    expect(l.rows).toBe(2);
  });

  it("starts a mutual pair at this server and routes the return arrow as a back edge", () => {
    const l = layoutTopology(nodes("other", "self"), [link("other", "self"), link("self", "other")], "self");
    expect(columnsOf(l)).toEqual({ self: 0, other: 1 });
    expect([...l.back]).toEqual(["other>self"]);
  });

  it("places a lone server (no links yet)", () => {
    const l = layoutTopology(nodes("self"), [], "self");
    expect(l.positions.get("self")).toEqual({ x: 0, y: 0 });
    expect(l.columns).toBe(1);
  });
});
