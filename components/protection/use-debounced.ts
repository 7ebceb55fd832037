"use client";

import { useEffect, useMemo, useState } from "react";

/**
 * A JSON value as it was `ms` after it last changed. Compared by its JSON, so a fresh object
 * with the same content (every render makes one) neither restarts the wait nor refetches.
 */
export function useDebounced<T>(value: T, ms: number): T {
  const key = JSON.stringify(value);
  const [settled, setSettled] = useState(key);
  useEffect(() => {
    const t = setTimeout(() => setSettled(key), ms);
    return () => clearTimeout(t);
  }, [key, ms]);
  return useMemo(() => JSON.parse(settled) as T, [settled]);
}

/** A submission key for one wizard: the server returns the first group if the same key comes twice. */
export function newRequestKey(): string {
  if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
  // crypto.randomUUID needs a secure context; a plain-HTTP address other than loopback is not one.
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
}
