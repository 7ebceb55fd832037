import { createCallerFactory, router } from "./trpc";
import { authRouter } from "./routers/auth";
import { usersRouter } from "./routers/users";
import { auditRouter } from "./routers/audit";
import { agentsRouter } from "./routers/agents";
import { reportsRouter } from "./routers/reports";
import { monitoringRouter } from "./routers/monitoring";
import { protectionRouter } from "./routers/protection";
import { recoveryRouter } from "./routers/recovery";
import { tapeRouter } from "./routers/overview";
import { serversRouter } from "./routers/servers";
import { rebuildRouter } from "./routers/rebuild";

export const appRouter = router({
  auth: authRouter,
  users: usersRouter,
  audit: auditRouter,
  agents: agentsRouter,
  monitoring: monitoringRouter,
  protection: protectionRouter,
  recovery: recoveryRouter,
  servers: serversRouter,
  rebuild: rebuildRouter,
  tape: tapeRouter,
  reports: reportsRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
