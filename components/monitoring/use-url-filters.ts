"use client";

import { useCallback } from "react";
import { usePathname, useRouter, useSearchParams } from "next/navigation";

/**
 * Filters kept in the page's address (?state=failed&type=restore), so a filtered view can be
 * bookmarked, shared and reached from a link. Unknown values fall back to the default.
 */
export function useUrlFilters<K extends string>(spec: Record<K, { default: string; allowed: readonly string[] }>) {
  const params = useSearchParams();
  const router = useRouter();
  const pathname = usePathname();
  const values = {} as Record<K, string>;
  for (const key of Object.keys(spec) as K[]) {
    const v = params.get(key);
    values[key] = v !== null && spec[key].allowed.includes(v) ? v : spec[key].default;
  }
  const set = useCallback(
    (changes: Partial<Record<K, string>>) => {
      const next = new URLSearchParams(params.toString());
      for (const [k, v] of Object.entries(changes) as [K, string][]) {
        if (v === spec[k].default) next.delete(k);
        else next.set(k, v);
      }
      const q = next.toString();
      router.replace(q ? `${pathname}?${q}` : pathname, { scroll: false });
    },
    [params, router, pathname, spec],
  );
  return [values, set] as const;
}
