"use client";

import { useSyncExternalStore } from "react";

const never = () => () => {};

/**
 * The address this page was opened at (e.g. http://dpm-east:3100): how the people and servers
 * that reach this server name it. Empty while rendering on the server.
 */
export function useOrigin(): string {
  return useSyncExternalStore(
    never,
    () => window.location.origin,
    () => "",
  );
}
