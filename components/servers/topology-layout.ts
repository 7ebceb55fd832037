/**
 * Where the topology graph puts each server: columns by protection depth, so arrows run
 * left to right from primary to secondary (a chain reads A → B → C). Servers that nothing
 * protects start the columns; when every server is protected (a mutual pair, a ring), this
 * server does. An arrow that would run backwards (the return arrow of a mutual pair) is a
 * "back" edge: the graph routes it below the servers so it does not cover the forward one.
 */
export interface LaidOut {
  positions: Map<string, { x: number; y: number }>;
  /** Edges as "primary>secondary" that point to the same or an earlier column. */
  back: Set<string>;
  columns: number;
  rows: number;
}

export const COLUMN_WIDTH = 400;
export const ROW_HEIGHT = 150;

export function layoutTopology(nodes: readonly { id: string }[], edges: readonly { primary: string; secondary: string }[], selfId: string): LaidOut {
  const ids = nodes.map((n) => n.id);
  const column = new Map<string, number>();
  const order: string[] = [];
  const visit = (roots: string[]) => {
    const queue = [...roots];
    for (const r of roots) {
      column.set(r, 0);
      order.push(r);
    }
    while (queue.length) {
      const at = queue.shift()!;
      for (const e of edges) {
        if (e.primary !== at || column.has(e.secondary) || !ids.includes(e.secondary)) continue;
        column.set(e.secondary, column.get(at)! + 1);
        order.push(e.secondary);
        queue.push(e.secondary);
      }
    }
  };
  const unprotected = ids.filter((id) => !edges.some((e) => e.secondary === id && ids.includes(e.primary)));
  visit(unprotected.length ? unprotected : ids.includes(selfId) ? [selfId] : ids.slice(0, 1));
  // Whatever the walk did not reach (a separate ring) starts over at the first column.
  for (let rest = ids.filter((id) => !column.has(id)); rest.length; rest = ids.filter((id) => !column.has(id))) visit([rest[0]!]);

  const perColumn = new Map<number, string[]>();
  for (const id of order) perColumn.set(column.get(id)!, [...(perColumn.get(column.get(id)!) ?? []), id]);
  const rows = Math.max(1, ...[...perColumn.values()].map((c) => c.length));
  const positions = new Map<string, { x: number; y: number }>();
  for (const [c, members] of perColumn) {
    members.forEach((id, i) => positions.set(id, { x: c * COLUMN_WIDTH, y: (i - (members.length - 1) / 2) * ROW_HEIGHT }));
  }
  const back = new Set(edges.filter((e) => column.has(e.primary) && column.has(e.secondary) && column.get(e.secondary)! <= column.get(e.primary)!).map((e) => `${e.primary}>${e.secondary}`));
  return { positions, back, columns: perColumn.size, rows };
}
