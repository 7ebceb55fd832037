/** Colours and axis styles shared by the report charts (the UI kit's greens, ambers and reds). */
export const HEALTH_COLORS = { ok: "#16a34a", warning: "#f59e0b", critical: "#dc2626" } as const;
export const SERIES_COLORS = { primary: "#2f6fdf", secondary: "#94a3b8", line: "#1f4a9f" } as const;
export const AXIS_TICK = { fontSize: 12, fill: "#475569" } as const;
export const AXIS_LABEL = { fontSize: 12, fill: "#334155" } as const;
export const GRID_STROKE = "#e2e8f0";

/** Keeps a legend in the order the series are drawn (recharts sorts by label otherwise). */
export const legendOrder =
  (keys: readonly string[]) =>
  (item: { dataKey?: unknown }): number =>
    keys.indexOf(String(item.dataKey));
