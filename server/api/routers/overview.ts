import { requireRole, router } from "../trpc";
import { listServers } from "@/server/domain/servers/list-servers";
import { getTapeInventory } from "@/server/domain/tape/get-tape-inventory";

// Read models behind the navigation's pages. Each area moves to its own router as it grows.

export const serversRouter = router({
  list: requireRole("admin", "manager").query(({ ctx }) => listServers(ctx.services.db)),
});

export const tapeRouter = router({
  inventory: requireRole("admin", "manager", "tape").query(({ ctx }) => getTapeInventory(ctx.services.db)),
});
