import { requireRole, router } from "../trpc";
import { getTapeInventory } from "@/server/domain/tape/get-tape-inventory";

// Read models behind the navigation's pages. Each area moves to its own router as it grows
// (servers: ./servers.ts).

export const tapeRouter = router({
  inventory: requireRole("admin", "manager", "tape").query(({ ctx }) => getTapeInventory(ctx.services.db)),
});
