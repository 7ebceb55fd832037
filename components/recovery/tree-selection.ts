/**
 * What is ticked in a recovery point's tree. A ticked folder stands for everything under it,
 * so the selection keeps only the top-most ticked paths: ticking a folder drops its ticked
 * descendants, and a descendant of a ticked folder shows as ticked (implied) without being
 * listed. The restore request gets exactly these paths.
 */

export function isUnder(path: string, ancestor: string): boolean {
  return path.length > ancestor.length && path.startsWith(ancestor) && path[ancestor.length] === "/";
}

/** The ticked folder that covers this path, if any (not the path itself). */
export function coveringAncestor(selection: ReadonlySet<string>, path: string): string | undefined {
  for (const s of selection) if (isUnder(path, s)) return s;
  return undefined;
}

export function toggle(selection: ReadonlySet<string>, path: string): Set<string> {
  const next = new Set(selection);
  if (next.has(path)) {
    next.delete(path);
    return next;
  }
  if (coveringAncestor(next, path) !== undefined) return next; // already covered: unticking the folder is how to change it
  for (const s of next) if (isUnder(s, path)) next.delete(s);
  next.add(path);
  return next;
}

/** The selection as the request's paths: sorted, for a stable summary. */
export function selectedPaths(selection: ReadonlySet<string>): string[] {
  return [...selection].sort((a, b) => a.localeCompare(b));
}
