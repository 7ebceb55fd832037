"use client";

import { useEffect } from "react";
import { useRouter } from "next/navigation";
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/trpc-provider";
import { ROLE_INFO } from "@/components/shell/roles";
import { Skeleton } from "@/components/ui/skeleton";

/** "/" sends each role to its home page. */
export default function HomeRedirect() {
  const trpc = useTRPC();
  const router = useRouter();
  const me = useQuery(trpc.auth.me.queryOptions());
  useEffect(() => {
    if (me.data) router.replace(ROLE_INFO[me.data.role].home);
  }, [me.data, router]);
  return <Skeleton rows={3} />;
}
